/**
 * ChatState → HTML strings for the chat webview (pure, so it is unit-tested in Node and bundled for
 * the browser). All dynamic text goes through escapeHtml or the safe Markdown renderer; the markup has
 * no inline styles or handlers (the webview's CSP forbids both): behaviour hangs off data-action.
 */
import { type ChatItem, type ChatState, type SessionView, activeSession } from '../chatState';
import { type DiffFile, diffStats, parseUnifiedDiff } from '../diff';
import { diffFromHunks } from '../hunks';
import type { Proposal, ProposalFile } from '../protocol';
import { CHECK_FAILED_MARK, CHECK_OK_MARK, checksView, isUndoable, statusLabel } from '../proposals';
import { footerView, shortModel } from '../status';
import { escapeHtml, renderMarkdown } from './markdown';

export interface RenderOptions {
  /** details elements the user opened or closed, by key. */
  open: Record<string, boolean>;
  /** The item being streamed (gets a cursor / spinner). */
  streamingKey?: string | null;
}

const ICONS: Record<string, string> = {
  read: '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 1.5h5l3 3v10H4z" fill="none" stroke="currentColor"/><path d="M9 1.5v3h3" fill="none" stroke="currentColor"/></svg>',
  edit: '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M11 2.5l2.5 2.5-7.5 7.5H3.5V10z" fill="none" stroke="currentColor"/></svg>',
  search: '<svg viewBox="0 0 16 16" aria-hidden="true"><circle cx="7" cy="7" r="4" fill="none" stroke="currentColor"/><path d="M10 10l4 4" stroke="currentColor"/></svg>',
  execute: '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M2.5 4l4 4-4 4M8 12.5h5.5" fill="none" stroke="currentColor"/></svg>',
  think: '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M8 1.8a4.2 4.2 0 0 0-2.5 7.6V11h5V9.4A4.2 4.2 0 0 0 8 1.8zM6 13h4M6.8 14.7h2.4" fill="none" stroke="currentColor"/></svg>',
  other: '<svg viewBox="0 0 16 16" aria-hidden="true"><circle cx="8" cy="8" r="2.2" fill="none" stroke="currentColor"/><path d="M8 1.5v2.2M8 12.3v2.2M1.5 8h2.2M12.3 8h2.2M3.4 3.4l1.6 1.6M11 11l1.6 1.6M3.4 12.6L5 11M11 5l1.6-1.6" stroke="currentColor"/></svg>',
};

function icon(kind: string): string {
  return `<span class="icon">${ICONS[kind] ?? ICONS.other}</span>`;
}

function statusBadge(status: string): string {
  const label =
    status === 'in_progress' ? 'running' : status === 'completed' ? 'done' : status === 'failed' ? 'failed' : status;
  const spinner = status === 'in_progress' || status === 'pending' ? '<span class="spinner"></span>' : '';
  return `<span class="badge status-${escapeHtml(status)}">${spinner}${escapeHtml(label)}</span>`;
}

function isOpen(opts: RenderOptions, key: string, dflt: boolean): boolean {
  return key in opts.open ? Boolean(opts.open[key]) : dflt;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}

function prettyInput(raw: unknown): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw === 'string') return raw;
  try {
    return JSON.stringify(raw, null, 2);
  } catch {
    return String(raw);
  }
}

export function renderDiffFile(file: DiffFile): string {
  const rows: string[] = [];
  for (const hunk of file.hunks) {
    rows.push(`<tr class="dh"><td class="ln"></td><td class="ln"></td><td class="dc" colspan="2">${escapeHtml(hunk.header)}</td></tr>`);
    for (const line of hunk.lines) {
      const sign = line.kind === 'add' ? '+' : line.kind === 'del' ? '-' : line.kind === 'meta' ? '' : ' ';
      rows.push(
        `<tr class="d-${line.kind}"><td class="ln">${line.oldLine ?? ''}</td><td class="ln">${line.newLine ?? ''}</td>` +
          `<td class="sg">${sign}</td><td class="dc">${escapeHtml(line.text)}</td></tr>`,
      );
    }
  }
  return `<div class="diff-scroll"><table class="diff">${rows.join('')}</table></div>`;
}

function renderProposalFile(file: ProposalFile, key: string, index: number, opts: RenderOptions): string {
  // The server's structured hunks; the unified diff text only for a server that sends none.
  const parsed = Array.isArray(file.hunks) && file.hunks.length ? [diffFromHunks(file)] : parseUnifiedDiff(file.diff ?? '');
  const stats = diffStats(parsed);
  const k = `${key}:f${index}`;
  const open = isOpen(opts, k, true) ? ' open' : '';
  const body = parsed.length
    ? parsed.map(renderDiffFile).join('')
    : '<div class="muted small">No textual changes.</div>';
  return (
    `<details class="pfile" data-key="${escapeHtml(k)}"${open}><summary>` +
    `<span class="path">${escapeHtml(file.path || file.uri)}</span>` +
    (file.kind && file.kind !== 'modify' ? `<span class="fkind fkind-${escapeHtml(file.kind)}">${escapeHtml(file.kind)}</span>` : '') +
    `<span class="stats"><span class="plus">+${stats.added}</span> <span class="minus">−${stats.removed}</span></span>` +
    `</summary>${body}</details>`
  );
}

/**
 * The checks that travel with a proposal, one mark per check: "✓ syntax ok · ⚠ 1 of 4 tests failed".
 * Empty when the proposal carries none. Styled with the stylesheet's existing classes: the summary's
 * padding, `plus` (green) for passing marks, `minus` (red) for what failed, `muted` for the rest.
 */
export function renderChecks(proposal: Pick<Proposal, 'verification'>): string {
  const view = checksView(proposal.verification);
  if (!view) return '';
  const checks = view.checks
    .map((c) =>
      c.ok
        ? `<span class="check check-ok" data-check="${escapeHtml(c.name)}"><span class="check-mark plus">${CHECK_OK_MARK}</span> ${escapeHtml(c.summary)}</span>`
        : `<span class="check check-failed minus" data-check="${escapeHtml(c.name)}"><span class="check-mark">${CHECK_FAILED_MARK}</span> ${escapeHtml(c.summary)}</span>`,
    )
    .join('<span class="check-sep muted"> · </span>');
  const what = view.ok ? 'Checks passed' : 'Checks failed';
  return (
    `<div class="proposal-summary proposal-checks checks-${view.ok ? 'ok' : 'failed'}" title="${escapeHtml(`${what}: ${view.summary}`)}">` +
    (view.ok ? '<span class="checks-label muted">Checks:</span> ' : '<span class="checks-label minus">Checks failed:</span> ') +
    `${checks}</div>`
  );
}

export function renderProposal(proposal: Proposal, key: string, opts: RenderOptions): string {
  const status = proposal.status ?? 'pending';
  const files = Array.isArray(proposal.files) ? proposal.files : [];
  const id = escapeHtml(proposal.id);
  const parts: string[] = [];
  parts.push(
    `<div class="proposal-head"><span class="proposal-title">${icon('edit')}Proposed change</span>` +
      `<span class="badge pstatus-${escapeHtml(status)}">${escapeHtml(statusLabel(status))}</span></div>`,
  );
  if (proposal.summary) parts.push(`<div class="proposal-summary md">${renderMarkdown(proposal.summary)}</div>`);
  const checks = renderChecks(proposal);
  if (checks) parts.push(checks);
  files.forEach((f, i) => parts.push(renderProposalFile(f, key, i, opts)));
  const actions: string[] = [];
  if (status === 'pending') {
    actions.push(`<button class="btn" data-action="openProposal" data-id="${id}" title="Open in the diff editor to review hunk by hunk">Review</button>`);
    actions.push(`<button class="btn primary" data-action="acceptProposal" data-id="${id}">Accept all</button>`);
    actions.push(`<button class="btn secondary" data-action="rejectProposal" data-id="${id}">Reject</button>`);
  } else if (isUndoable(status)) {
    actions.push(`<button class="btn secondary" data-action="undoProposal" data-id="${id}">Undo</button>`);
  }
  if (actions.length) parts.push(`<div class="actions">${actions.join('')}</div>`);
  const failed = checksView(proposal.verification)?.ok === false ? ' checks-failed' : '';
  return `<div class="proposal pstatus-${escapeHtml(status)}${failed}" data-proposal="${id}">${parts.join('')}</div>`;
}

export function renderItem(item: ChatItem, opts: RenderOptions): string {
  const key = escapeHtml(item.key);
  const streaming = opts.streamingKey === item.key;
  switch (item.kind) {
    case 'user':
      return (
        `<div class="item user" data-key="${key}"><div class="bubble">${escapeHtml(item.text)}</div>` +
        (item.context ? `<div class="ctx">${icon('read')}${escapeHtml(item.context)}</div>` : '') +
        '</div>'
      );
    case 'assistant':
      return `<div class="item assistant md${streaming ? ' streaming' : ''}" data-key="${key}">${renderMarkdown(item.text)}</div>`;
    case 'thought': {
      const open = isOpen(opts, item.key, false) ? ' open' : '';
      return (
        `<details class="item thought" data-key="${key}"${open}><summary>${icon('think')}` +
        `<span>${streaming ? 'Thinking…' : 'Thought'}</span>${streaming ? '<span class="spinner"></span>' : ''}</summary>` +
        `<div class="thought-body">${escapeHtml(item.text)}</div></details>`
      );
    }
    case 'tool': {
      const open = isOpen(opts, item.key, item.status === 'failed') ? ' open' : '';
      const input = prettyInput(item.rawInput);
      return (
        `<details class="item tool tool-${escapeHtml(item.status)}" data-key="${key}"${open}><summary>` +
        `${icon(item.toolKind)}<span class="tool-title">${escapeHtml(item.title)}</span>${statusBadge(item.status)}</summary>` +
        '<div class="tool-body">' +
        (input ? `<div class="label">Input</div><pre>${escapeHtml(truncate(input, 4000))}</pre>` : '') +
        (item.output ? `<div class="label">Output</div><pre>${escapeHtml(truncate(item.output, 8000))}</pre>` : '') +
        (!input && !item.output ? '<div class="muted small">No details.</div>' : '') +
        '</div></details>'
      );
    }
    case 'plan':
      return (
        `<div class="item plan" data-key="${key}"><div class="label">Plan</div><ul>` +
        item.entries
          .map(
            (e) =>
              `<li class="plan-${escapeHtml(e.status)}"><span class="mark">${e.status === 'completed' ? '✓' : e.status === 'in_progress' ? '▸' : '○'}</span>${escapeHtml(e.content)}</li>`,
          )
          .join('') +
        '</ul></div>'
      );
    case 'proposal':
      return `<div class="item" data-key="${key}">${renderProposal(item.proposal, item.key, opts)}</div>`;
    case 'mechanism':
      return (
        `<div class="item mechanism" data-key="${key}">${icon('other')}<span class="mech-name">${escapeHtml(item.mechanism)}</span>` +
        (item.detail ? `<span class="mech-detail">${escapeHtml(item.detail)}</span>` : '') +
        '</div>'
      );
    case 'error':
      return `<div class="item error-box" data-key="${key}" role="alert">${escapeHtml(item.message)}</div>`;
    case 'notice':
      return `<div class="item notice" data-key="${key}">${escapeHtml(item.text)}</div>`;
    default:
      return '';
  }
}

/** The key of the item currently streaming in a busy session (its last text item), if any. */
export function streamingKey(session: SessionView | null): string | null {
  if (!session || !session.busy) return null;
  const last = session.items[session.items.length - 1];
  return last && (last.kind === 'assistant' || last.kind === 'thought') ? last.key : null;
}

export function renderSessionOptions(state: ChatState): string {
  const options = [`<option value=""${state.activeId === null ? ' selected' : ''}>New chat</option>`];
  for (const id of state.order) {
    const s = state.sessions[id];
    if (!s) continue;
    const label = `${s.busy ? '● ' : ''}${s.title}`;
    options.push(`<option value="${escapeHtml(id)}"${state.activeId === id ? ' selected' : ''}>${escapeHtml(label)}</option>`);
  }
  return options.join('');
}

export function renderModelOptions(state: ChatState): string {
  const models = state.models.slice();
  if (state.currentModel && !models.some((m) => m.id === state.currentModel)) models.unshift({ id: state.currentModel });
  if (!models.length) return '<option value="">(no models)</option>';
  return models
    .map((m) => {
      const title = m.name ? `${m.name}${m.contextWindow ? ` · ${m.contextWindow} ctx` : ''}` : m.id;
      return `<option value="${escapeHtml(m.id)}" title="${escapeHtml(title)}"${m.id === state.currentModel ? ' selected' : ''}>${escapeHtml(shortModel(m.id))}</option>`;
    })
    .join('');
}

export function renderEmpty(state: ChatState): string {
  if (state.server === 'stopped') {
    return '<div class="empty"><div class="empty-title">The Skiff server is not running</div><div class="muted">Run “Skiff: Restart server” from the command palette.</div></div>';
  }
  return (
    '<div class="empty"><div class="empty-title">Ask Skiff</div>' +
    '<div class="muted">Describe a change or ask a question. The selection in the active editor is sent along. ' +
    'Edits arrive as proposals you review before anything is written.</div></div>'
  );
}

export interface FooterModel {
  tokens: string;
  context: string;
  fill: number | null;
}

export function footerModel(state: ChatState): FooterModel {
  const session = activeSession(state);
  return footerView(session?.usage ?? state.lastUsage, state.status);
}
