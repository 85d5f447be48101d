/**
 * Proposal review model (pure): virtual-document URIs, where each hunk lands in the proposed text,
 * per-hunk decisions and the `accept` value they resolve to, and the checks that travel with a proposal
 * as the review shows them.
 */
import type {
  FullProposal,
  FullProposalFile,
  Hunk,
  Position,
  ProposalFile,
  ProposalStatus,
  ResolveAccept,
  Verification,
  VerificationCheck,
} from './protocol';

export const PROPOSAL_SCHEME = 'skiff-proposal';

export type Side = 'base' | 'new';

export interface ProposalUriParts {
  id: string;
  file: number;
  side: Side;
  path: string;
}

/** `skiff-proposal:/src/stats.py?id=abc&file=0&side=new` (the path keeps the language detection right). */
export function proposalUri(parts: ProposalUriParts): string {
  const path = parts.path
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s.length > 0)
    .map(encodeURIComponent)
    .join('/');
  const query = new URLSearchParams({ id: parts.id, file: String(parts.file), side: parts.side }).toString();
  return `${PROPOSAL_SCHEME}:/${path}?${query}`;
}

/** Parses the query of a proposal URI; null when it is not one of ours. */
export function parseProposalQuery(query: string, path = ''): ProposalUriParts | null {
  const q = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const id = q.get('id');
  const file = Number(q.get('file'));
  const side = q.get('side');
  if (!id || !Number.isInteger(file) || file < 0 || (side !== 'base' && side !== 'new')) return null;
  return { id, file, side, path: path.replace(/^\//, '') };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function comparePos(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

export function sortedHunks(hunks: Hunk[]): Hunk[] {
  return hunks.slice().sort((a, b) => comparePos(a.range.start, b.range.start));
}

/** Offset of an LSP position (UTF-16, like JS strings) in `text`; clamps past the end. */
export function offsetAt(text: string, pos: Position): number {
  let offset = 0;
  for (let line = 0; line < pos.line; line++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  const max = lineEnd < 0 ? text.length : lineEnd;
  return Math.min(offset + pos.character, max);
}

/** Applies hunks (ranges in base-text coordinates, non-overlapping) to `base`. */
export function applyHunks(base: string, hunks: Hunk[]): string {
  let out = base;
  for (const hunk of sortedHunks(hunks).reverse()) {
    const start = offsetAt(out, hunk.range.start);
    const end = offsetAt(out, hunk.range.end);
    out = out.slice(0, start) + hunk.newText + out.slice(end);
  }
  return out;
}

export interface HunkPlacement {
  hunk: Hunk;
  /** First line of the hunk in the proposed (new) text. */
  newStartLine: number;
  /** Lines the hunk's new text spans (0 for a pure deletion). */
  newLineCount: number;
  /** First line of the hunk in the base text. */
  baseStartLine: number;
  added: number;
  removed: number;
}

function lineSpan(text: string): number {
  if (text.length === 0) return 0;
  return countNewlines(text) + (text.endsWith('\n') ? 0 : 1);
}

/** Where each hunk lands in the file's new text, in hunk order. */
export function placeHunks(file: Pick<FullProposalFile, 'hunks'>): HunkPlacement[] {
  let delta = 0;
  const out: HunkPlacement[] = [];
  for (const hunk of sortedHunks(file.hunks ?? [])) {
    const removedLines = hunk.range.end.line - hunk.range.start.line;
    const addedNewlines = countNewlines(hunk.newText);
    out.push({
      hunk,
      newStartLine: Math.max(0, hunk.range.start.line + delta),
      newLineCount: lineSpan(hunk.newText),
      baseStartLine: hunk.range.start.line,
      added: lineSpan(hunk.newText),
      removed: lineSpan(hunk.oldText),
    });
    delta += addedNewlines - removedLines;
  }
  return out;
}

/** True when the hunks turn baseText into newText exactly (the placements are then trustworthy). */
export function hunksConsistent(file: FullProposalFile): boolean {
  return applyHunks(file.baseText, file.hunks ?? []) === file.newText;
}

export type Decision = 'accept' | 'reject';

export function allHunkIds(proposal: Pick<FullProposal, 'files'>): string[] {
  return proposal.files.flatMap((f) => (f.hunks ?? []).map((h) => h.id));
}

/**
 * The `accept` value for `skiff/resolveProposal` once every hunk has a decision; null while some
 * hunk is undecided.
 */
export function resolution(hunkIds: string[], decisions: Record<string, Decision>): ResolveAccept | null {
  if (hunkIds.some((id) => decisions[id] === undefined)) return null;
  const accepted = hunkIds.filter((id) => decisions[id] === 'accept');
  if (accepted.length === hunkIds.length) return 'all';
  if (accepted.length === 0) return 'none';
  return accepted;
}

/** A per-proposal review session kept by the extension while the diff editor is open. */
export class ProposalReview {
  readonly decisions: Record<string, Decision> = {};
  constructor(readonly proposal: FullProposal) {}

  get hunkIds(): string[] {
    return allHunkIds(this.proposal);
  }

  decide(hunkId: string, decision: Decision | undefined): void {
    if (decision === undefined) delete this.decisions[hunkId];
    else this.decisions[hunkId] = decision;
  }

  decideAll(decision: Decision): void {
    for (const id of this.hunkIds) this.decisions[id] = decision;
  }

  pending(): string[] {
    return this.hunkIds.filter((id) => this.decisions[id] === undefined);
  }

  resolution(): ResolveAccept | null {
    return resolution(this.hunkIds, this.decisions);
  }
}

export function isOpenStatus(status: ProposalStatus): boolean {
  return status === 'pending';
}

export function isUndoable(status: ProposalStatus): boolean {
  return status === 'applied' || status === 'partially_applied';
}

export function statusLabel(status: ProposalStatus): string {
  switch (status) {
    case 'pending':
      return 'Pending review';
    case 'applied':
      return 'Applied';
    case 'partially_applied':
      return 'Partially applied';
    case 'rejected':
      return 'Rejected';
    case 'undone':
      return 'Undone';
    default:
      return String(status);
  }
}

/**
 * The hunk at `line` of one side of a file's diff: the hunk covering the line, else the next one
 * below it, else the last one. Null when the file has no hunks.
 */
export function hunkAtLine(placements: HunkPlacement[], line: number, side: Side): HunkPlacement | null {
  if (placements.length === 0) return null;
  const start = (p: HunkPlacement) => (side === 'new' ? p.newStartLine : p.baseStartLine);
  const span = (p: HunkPlacement) => Math.max(1, side === 'new' ? p.newLineCount : p.removed);
  const covering = placements.find((p) => line >= start(p) && line < start(p) + span(p));
  if (covering) return covering;
  return placements.find((p) => start(p) >= line) ?? placements[placements.length - 1]!;
}

/** One line describing a hunk for a picker: "+1 −0  \"\"\"Return the mean.\"\"\"". */
export function describeHunk(p: HunkPlacement): string {
  const firstLine = (t: string) => t.split('\n').find((l) => l.trim().length > 0)?.trim() ?? '';
  const text = p.added > 0 ? firstLine(p.hunk.newText) : `delete: ${firstLine(p.hunk.oldText)}`;
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

export const CHECK_OK_MARK = '✓';
export const CHECK_FAILED_MARK = '⚠';

/** A proposal's checks as the review shows them; null when the proposal carries none. */
export interface ChecksView {
  ok: boolean;
  /** One line for titles, prompts and notifications: "✓ syntax ok · 4 tests passed", or only the failing
   * checks when `ok` is false: "⚠ 1 of 4 tests failed". */
  label: string;
  /** The server's summary of every check: "syntax ok · 1 of 4 tests failed". */
  summary: string;
  /** Each check (one entry with the summary when the server sent none). */
  checks: VerificationCheck[];
}

function isCheck(c: unknown): c is VerificationCheck {
  const o = c as Partial<VerificationCheck> | null;
  return typeof o === 'object' && o !== null && typeof o.summary === 'string' && o.summary.length > 0;
}

/** Reads `proposal.verification` defensively: anything without a summary counts as absent. */
export function checksView(verification: Verification | null | undefined): ChecksView | null {
  const v = verification as Partial<Verification> | null | undefined;
  if (typeof v !== 'object' || v === null || typeof v.summary !== 'string' || !v.summary.trim()) return null;
  const ok = v.ok !== false;
  const listed = Array.isArray(v.checks) ? v.checks.filter(isCheck).map((c) => ({ ...c, ok: c.ok !== false })) : [];
  const checks = listed.length ? listed : [{ name: 'checks', ok, summary: v.summary }];
  const failing = listed.filter((c) => !c.ok).map((c) => c.summary);
  const label = ok ? `${CHECK_OK_MARK} ${v.summary}` : `${CHECK_FAILED_MARK} ${failing.length ? failing.join(' · ') : v.summary}`;
  return { ok, label, summary: v.summary, checks };
}

/** The diff editor title of one file: "stats.py (Skiff: proposed · ⚠ 1 of 4 tests failed)". */
export function diffTitle(file: Pick<ProposalFile, 'path' | 'kind'>, verification?: Verification | null): string {
  const kind = file.kind === 'create' ? 'new file' : file.kind === 'delete' ? 'deleted' : 'proposed';
  const checks = checksView(verification);
  return `${file.path} (Skiff: ${kind}${checks ? ` · ${checks.label}` : ''})`;
}
