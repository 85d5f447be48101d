/** Pure helpers behind the extension's commands: their ids, skiff.ask interception, permissions, context labels. */
import type {
  AskCommandArgs,
  Diagnostic,
  PermissionOption,
  Range,
  RequestPermissionParams,
  RequestPermissionResult,
} from './protocol';

/** The chat webview view's id (package.json `contributes.views`). */
export const CHAT_VIEW_ID = 'skiff.chat';

/** The client-side commands (package.json `contributes.commands`); the server's `skiff.*` commands are not here. */
export const Commands = {
  askAgent: 'skiff.askAgent',
  openChat: 'skiff.openChat',
  newChat: 'skiff.newChat',
  stop: 'skiff.stop',
  selectModel: 'skiff.selectModel',
  restartServer: 'skiff.restartServer',
  showOutput: 'skiff.showOutput',
  reviewProposal: 'skiff.review.open',
  acceptProposal: 'skiff.review.acceptAll',
  rejectProposal: 'skiff.review.rejectAll',
  undoProposal: 'skiff.review.undo',
  decideHunk: 'skiff.review.decideHunk',
  acceptHunk: 'skiff.review.acceptHunk',
  rejectHunk: 'skiff.review.rejectHunk',
  pickHunks: 'skiff.review.pickHunks',
} as const;

/** True when a `skiff.ask` invocation carries neither `prompt` nor `preset` (the client must ask). */
export function askNeedsPrompt(args: unknown[] | undefined): boolean {
  const first = args?.[0];
  if (!first || typeof first !== 'object') return false;
  const a = first as Partial<AskCommandArgs>;
  return !(typeof a.prompt === 'string' && a.prompt.trim()) && !(typeof a.preset === 'string' && a.preset);
}

/** The same `skiff.ask` arguments with the instruction filled in. */
export function askWithPrompt(args: unknown[], prompt: string): unknown[] {
  const [first, ...rest] = args;
  return [{ ...(first as object), prompt }, ...rest];
}

export function sessionIdOf(result: unknown): string | null {
  if (result && typeof result === 'object' && typeof (result as { sessionId?: unknown }).sessionId === 'string') {
    return (result as { sessionId: string }).sessionId;
  }
  return null;
}

export function rangesIntersect(a: Range, b: Range): boolean {
  const before = (x: Range['start'], y: Range['start']) => x.line < y.line || (x.line === y.line && x.character < y.character);
  // Touching ranges count as intersecting so a caret on a diagnostic picks it up.
  return !before(a.end, b.start) && !before(b.end, a.start);
}

export function diagnosticsInRange(diagnostics: Diagnostic[], range: Range): Diagnostic[] {
  return diagnostics.filter((d) => rangesIntersect(d.range, range));
}

/** "stats.py:2-4" (1-based lines), "stats.py:2" for one line, "stats.py" for no range. */
export function contextLabel(path: string, range?: Range | null): string {
  const name = path.replace(/\\/g, '/').split('/').pop() || path;
  if (!range) return name;
  const start = range.start.line + 1;
  // A selection ending at column 0 of a line does not include that line.
  const endLine = range.end.character === 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1;
  return start === endLine ? `${name}:${start}` : `${name}:${start}-${endLine}`;
}

export interface PermissionPrompt {
  message: string;
  detail: string;
  buttons: string[];
}

function commandOf(params: RequestPermissionParams): string | null {
  const raw = params.toolCall?.rawInput;
  if (raw && typeof raw === 'object' && typeof (raw as { command?: unknown }).command === 'string') {
    return (raw as { command: string }).command;
  }
  return null;
}

export function permissionPrompt(params: RequestPermissionParams): PermissionPrompt {
  const command = commandOf(params);
  const message = command ? `Skiff wants to run: ${command}` : `Skiff asks permission: ${params.toolCall?.title ?? 'a tool call'}`;
  const detailLines: string[] = [];
  if (params.reason) detailLines.push(`Reason: ${params.reason}`);
  if (command && params.toolCall?.title) detailLines.push(params.toolCall.title);
  const options: PermissionOption[] = Array.isArray(params.options) && params.options.length ? params.options : DEFAULT_OPTIONS;
  return { message, detail: detailLines.join('\n'), buttons: options.map((o) => o.name) };
}

export const DEFAULT_OPTIONS: PermissionOption[] = [
  { optionId: 'allow_once', name: 'Allow once', kind: 'allow_once' },
  { optionId: 'allow_always', name: 'Allow always', kind: 'allow_always' },
  { optionId: 'reject', name: 'Reject', kind: 'reject_once' },
];

/** Maps the button the user picked (undefined: dismissed) to the protocol's answer. */
export function permissionResult(params: RequestPermissionParams, picked: string | undefined): RequestPermissionResult {
  const options = Array.isArray(params.options) && params.options.length ? params.options : DEFAULT_OPTIONS;
  const option = picked === undefined ? undefined : options.find((o) => o.name === picked);
  if (!option) return { outcome: { outcome: 'cancelled' } };
  return { outcome: { outcome: 'selected', optionId: option.optionId } };
}
