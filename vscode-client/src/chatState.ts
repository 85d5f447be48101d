/**
 * The chat state and its reducer: turns `skiff/update` notifications, turn results, session lists and
 * history into a render model.
 *
 * The same reducer runs in the extension host (the authoritative copy, which survives the webview being
 * hidden) and in the webview (which receives the same actions by postMessage). State is plain JSON so
 * it can be posted as a snapshot. The reducer never mutates its input.
 */
import type {
  ChatResult,
  ModelInfo,
  PlanEntry,
  Proposal,
  ProposalStatus,
  SessionHistory,
  SessionSummary,
  StatusResult,
  ToolCallContent,
  UpdateParams,
} from './protocol';

export interface UsageView {
  promptTokens?: number;
  completionTokens?: number;
  tokensPerSecond?: number;
  contextUsed?: number;
  contextLimit?: number;
}

export type ChatItem =
  | { kind: 'user'; key: string; text: string; context?: string }
  | { kind: 'assistant'; key: string; text: string }
  | { kind: 'thought'; key: string; text: string }
  | {
      kind: 'tool';
      key: string;
      toolCallId: string;
      title: string;
      toolKind: string;
      status: string;
      rawInput?: unknown;
      output: string;
    }
  | { kind: 'plan'; key: string; entries: PlanEntry[] }
  | { kind: 'proposal'; key: string; proposal: Proposal }
  | { kind: 'mechanism'; key: string; mechanism: string; detail: string }
  | { kind: 'error'; key: string; message: string }
  | { kind: 'notice'; key: string; text: string };

export type ChatItemKind = ChatItem['kind'];

export interface SessionView {
  id: string;
  title: string;
  model?: string;
  turns?: number;
  busy: boolean;
  items: ChatItem[];
  usage: UsageView | null;
  /** A session started from this client whose server id is not known yet. */
  pendingLocal: boolean;
  /** A turn requested by this client is running (its end arrives as `turnEnded`). */
  localTurn: boolean;
}

export interface ChatState {
  sessions: Record<string, SessionView>;
  /** Session ids, most recently active first. */
  order: string[];
  /** The session shown; null shows an empty "new chat". */
  activeId: string | null;
  models: ModelInfo[];
  currentModel: string | null;
  status: StatusResult | null;
  /** Usage of the last turn of any session (for the status bar). */
  lastUsage: UsageView | null;
  /** A short label of the editor context a prompt will carry, e.g. "stats.py:1-3". */
  context: string | null;
  server: 'starting' | 'running' | 'stopped';
  nextKey: number;
}

export type TurnOutcome = 'done' | 'cancelled' | 'error';

export type ChatAction =
  | { type: 'snapshot'; state: ChatState }
  | { type: 'update'; params: UpdateParams }
  | { type: 'prompt'; sessionId: string | null; localId?: string; text: string; context?: string }
  | {
      type: 'turnEnded';
      sessionId: string | null;
      localId?: string;
      outcome: TurnOutcome;
      result?: ChatResult;
      message?: string;
    }
  | { type: 'sessions'; sessions: SessionSummary[] }
  | { type: 'history'; history: SessionHistory }
  | { type: 'select'; sessionId: string | null }
  | { type: 'models'; current: string | null; models: ModelInfo[] }
  | { type: 'status'; status: StatusResult }
  | { type: 'proposalStatus'; id: string; status: ProposalStatus }
  | { type: 'context'; label: string | null }
  | { type: 'server'; state: ChatState['server'] }
  | { type: 'track'; sessionId: string; title?: string };

export function initialState(): ChatState {
  return {
    sessions: {},
    order: [],
    activeId: null,
    models: [],
    currentModel: null,
    status: null,
    lastUsage: null,
    context: null,
    server: 'starting',
    nextKey: 1,
  };
}

function newSession(id: string, title = 'New chat'): SessionView {
  return { id, title, busy: false, items: [], usage: null, pendingLocal: false, localTurn: false };
}

function titleFromPrompt(text: string): string {
  const line = text.trim().split(/\r?\n/, 1)[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}…` : line || 'New chat';
}

function toFront(order: string[], id: string): string[] {
  if (order[0] === id) return order;
  return [id, ...order.filter((x) => x !== id)];
}

function withSession(state: ChatState, session: SessionView, front = false): ChatState {
  const exists = session.id in state.sessions;
  return {
    ...state,
    sessions: { ...state.sessions, [session.id]: session },
    order: front ? toFront(state.order, session.id) : exists ? state.order : [...state.order, session.id],
  };
}

function renameSession(state: ChatState, from: string, to: string): ChatState {
  const session = state.sessions[from];
  if (!session || from === to) return state;
  const sessions = { ...state.sessions };
  delete sessions[from];
  const existing = sessions[to];
  const merged: SessionView = {
    ...session,
    id: to,
    pendingLocal: false,
    items: existing ? [...session.items, ...existing.items] : session.items,
  };
  sessions[to] = merged;
  const order = state.order.filter((x) => x !== to).map((x) => (x === from ? to : x));
  return { ...state, sessions, order, activeId: state.activeId === from ? to : state.activeId };
}

function key(state: ChatState): [string, ChatState] {
  return [`i${state.nextKey}`, { ...state, nextKey: state.nextKey + 1 }];
}

function toolOutput(content: ToolCallContent[] | undefined): string {
  if (!content) return '';
  return content
    .map((c) => (c && c.content && typeof c.content.text === 'string' ? c.content.text : ''))
    .filter((t) => t.length > 0)
    .join('\n');
}

/** Finds the session an update belongs to, claiming a pending local session for an unknown id. */
function resolveSession(state: ChatState, sessionId: string): ChatState {
  if (state.sessions[sessionId]) return state;
  const pending = [...state.order].reverse().find((id) => state.sessions[id]?.pendingLocal);
  if (pending) return renameSession(state, pending, sessionId);
  const session = { ...newSession(sessionId, 'Background task'), busy: true };
  return withSession(state, session, true);
}

function applyUpdate(state: ChatState, params: UpdateParams): ChatState {
  if (!params || typeof params.sessionId !== 'string' || !params.update) return state;
  state = resolveSession(state, params.sessionId);
  let session = state.sessions[params.sessionId]!;
  const update = params.update;
  const items = session.items;
  const last = items[items.length - 1];
  let k: string;
  switch (update.sessionUpdate) {
    case 'agent_message_chunk':
    case 'agent_thought_chunk': {
      const kind = update.sessionUpdate === 'agent_message_chunk' ? 'assistant' : 'thought';
      const text = update.content && typeof update.content.text === 'string' ? update.content.text : '';
      if (last && last.kind === kind) {
        session = { ...session, items: [...items.slice(0, -1), { ...last, text: last.text + text }] };
      } else {
        [k, state] = key(state);
        session = { ...session, items: [...items, { kind, key: k, text }] };
      }
      break;
    }
    case 'tool_call': {
      const idx = items.findIndex((i) => i.kind === 'tool' && i.toolCallId === update.toolCallId);
      const tool: ChatItem = {
        kind: 'tool',
        key: '',
        toolCallId: update.toolCallId,
        title: update.title ?? update.toolCallId,
        toolKind: update.kind ?? 'other',
        status: update.status ?? 'in_progress',
        rawInput: update.rawInput,
        output: '',
      };
      if (idx >= 0) {
        const copy = items.slice();
        copy[idx] = { ...tool, key: items[idx]!.key };
        session = { ...session, items: copy };
      } else {
        [k, state] = key(state);
        session = { ...session, items: [...items, { ...tool, key: k }] };
      }
      break;
    }
    case 'tool_call_update': {
      const idx = items.findIndex((i) => i.kind === 'tool' && i.toolCallId === update.toolCallId);
      const output = toolOutput(update.content);
      if (idx >= 0) {
        const prev = items[idx] as Extract<ChatItem, { kind: 'tool' }>;
        const copy = items.slice();
        copy[idx] = {
          ...prev,
          status: update.status ?? prev.status,
          title: update.title ?? prev.title,
          output: output || prev.output,
        };
        session = { ...session, items: copy };
      } else {
        [k, state] = key(state);
        session = {
          ...session,
          items: [
            ...items,
            {
              kind: 'tool',
              key: k,
              toolCallId: update.toolCallId,
              title: update.title ?? update.toolCallId,
              toolKind: 'other',
              status: update.status ?? 'completed',
              output,
            },
          ],
        };
      }
      break;
    }
    case 'plan': {
      const entries = Array.isArray(update.entries) ? update.entries : [];
      // One live plan per turn: a later plan replaces the last one if nothing was said since.
      if (last && last.kind === 'plan') {
        session = { ...session, items: [...items.slice(0, -1), { ...last, entries }] };
      } else {
        [k, state] = key(state);
        session = { ...session, items: [...items, { kind: 'plan', key: k, entries }] };
      }
      break;
    }
    case 'proposal': {
      const proposal = update.proposal;
      if (!proposal || typeof proposal.id !== 'string') return state;
      const idx = items.findIndex((i) => i.kind === 'proposal' && i.proposal.id === proposal.id);
      if (idx >= 0) {
        const copy = items.slice();
        copy[idx] = { kind: 'proposal', key: items[idx]!.key, proposal };
        session = { ...session, items: copy };
      } else {
        [k, state] = key(state);
        session = { ...session, items: [...items, { kind: 'proposal', key: k, proposal }] };
      }
      break;
    }
    case 'usage': {
      const usage: UsageView = {
        promptTokens: update.promptTokens,
        completionTokens: update.completionTokens,
        tokensPerSecond: update.tokensPerSecond,
        contextUsed: update.contextUsed,
        contextLimit: update.contextLimit,
      };
      session = { ...session, usage };
      state = { ...state, lastUsage: usage };
      break;
    }
    case 'mechanism': {
      [k, state] = key(state);
      session = {
        ...session,
        items: [
          ...items,
          { kind: 'mechanism', key: k, mechanism: String(update.mechanism ?? ''), detail: String(update.detail ?? '') },
        ],
      };
      break;
    }
    case 'error': {
      [k, state] = key(state);
      session = { ...session, items: [...items, { kind: 'error', key: k, message: String(update.message ?? '') }] };
      break;
    }
    default:
      // Unknown update kinds are ignored: the protocol may grow.
      return state;
  }
  return withSession(state, session, true);
}

function setProposalStatus(state: ChatState, id: string, status: ProposalStatus): ChatState {
  let changed = false;
  const sessions: Record<string, SessionView> = {};
  for (const [sid, session] of Object.entries(state.sessions)) {
    let touched = false;
    const items = session.items.map((item) => {
      if (item.kind === 'proposal' && item.proposal.id === id && item.proposal.status !== status) {
        touched = true;
        return { ...item, proposal: { ...item.proposal, status } };
      }
      return item;
    });
    sessions[sid] = touched ? { ...session, items } : session;
    changed = changed || touched;
  }
  return changed ? { ...state, sessions } : state;
}

function historyItems(state: ChatState, history: SessionHistory): [ChatItem[], ChatState] {
  const items: ChatItem[] = [];
  let k: string;
  const messages = Array.isArray(history.messages) ? history.messages : [];
  for (const message of messages) {
    if (message.role === 'user') {
      [k, state] = key(state);
      items.push({ kind: 'user', key: k, text: message.content ?? '' });
    } else if (message.role === 'assistant') {
      if (message.content) {
        [k, state] = key(state);
        items.push({ kind: 'assistant', key: k, text: message.content });
      }
      for (const call of message.toolCalls ?? []) {
        [k, state] = key(state);
        items.push({
          kind: 'tool',
          key: k,
          toolCallId: call.id,
          title: call.name,
          toolKind: 'other',
          status: 'completed',
          rawInput: call.arguments,
          output: '',
        });
      }
    } else if (message.role === 'tool') {
      const idx = items.findIndex((i) => i.kind === 'tool' && i.toolCallId === message.toolCallId);
      if (idx >= 0) {
        const tool = items[idx] as Extract<ChatItem, { kind: 'tool' }>;
        items[idx] = { ...tool, output: message.content ?? '' };
      }
    }
  }
  for (const p of history.proposals ?? []) {
    [k, state] = key(state);
    items.push({
      kind: 'proposal',
      key: k,
      proposal: { id: p.id, sessionId: history.sessionId, status: p.status, files: [] },
    });
  }
  return [items, state];
}

export function reduce(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'snapshot':
      return action.state;
    case 'update':
      return applyUpdate(state, action.params);
    case 'prompt': {
      const id = action.sessionId ?? action.localId ?? `local-${state.nextKey}`;
      let session: SessionView =
        state.sessions[id] ?? { ...newSession(id, titleFromPrompt(action.text)), pendingLocal: action.sessionId === null };
      let k: string;
      [k, state] = key(state);
      const item: ChatItem = { kind: 'user', key: k, text: action.text };
      if (action.context) item.context = action.context;
      session = {
        ...session,
        title: session.items.length === 0 ? titleFromPrompt(action.text) : session.title,
        busy: true,
        localTurn: true,
        items: [...session.items, item],
      };
      state = withSession(state, session, true);
      return { ...state, activeId: id };
    }
    case 'turnEnded': {
      if (action.localId && action.sessionId && state.sessions[action.localId]?.pendingLocal) {
        state = renameSession(state, action.localId, action.sessionId);
      }
      const id = action.sessionId ?? action.localId;
      if (!id || !state.sessions[id]) return state;
      const prevSession = state.sessions[id]!;
      // A local session stays pending when its turn ended before the server named it (e.g. cancelled).
      const pendingLocal = prevSession.pendingLocal && !action.sessionId;
      let session = { ...prevSession, busy: false, pendingLocal, localTurn: false };
      let k: string;
      if (action.outcome === 'cancelled') {
        [k, state] = key(state);
        session = { ...session, items: [...session.items, { kind: 'notice', key: k, text: 'Stopped.' }] };
      } else if (action.outcome === 'error') {
        [k, state] = key(state);
        session = {
          ...session,
          items: [...session.items, { kind: 'error', key: k, message: action.message ?? 'The request failed.' }],
        };
      } else if (action.result?.stopReason === 'error' && !failedSinceLastPrompt(session.items)) {
        // The reason (with its fix) normally arrived as an `error` update; show the result's copy if not.
        [k, state] = key(state);
        session = {
          ...session,
          items: [...session.items, { kind: 'error', key: k, message: action.result.error ?? 'The request failed.' }],
        };
      } else if (action.result?.stopReason === 'max_turn_requests') {
        [k, state] = key(state);
        session = {
          ...session,
          items: [...session.items, { kind: 'notice', key: k, text: 'Stopped: the turn reached its request limit.' }],
        };
      }
      if (action.result?.usage) {
        const usage = { ...(session.usage ?? {}), ...action.result.usage };
        session = { ...session, usage };
        state = { ...state, lastUsage: { ...(state.lastUsage ?? {}), ...action.result.usage } };
      }
      if (session.turns !== undefined && action.outcome === 'done') session.turns += 1;
      return withSession(state, session);
    }
    case 'sessions': {
      for (const summary of action.sessions ?? []) {
        const prev = state.sessions[summary.sessionId];
        const session: SessionView = prev
          ? {
              ...prev,
              title: summary.title || prev.title,
              model: summary.model ?? prev.model,
              turns: summary.turns ?? prev.turns,
              busy: prev.localTurn ? prev.busy : Boolean(summary.busy),
            }
          : {
              ...newSession(summary.sessionId, summary.title || summary.sessionId),
              model: summary.model,
              turns: summary.turns,
              busy: Boolean(summary.busy),
            };
        state = withSession(state, session);
      }
      return state;
    }
    case 'history': {
      const history = action.history;
      const prev = state.sessions[history.sessionId] ?? newSession(history.sessionId, history.title ?? 'Chat');
      let session: SessionView = { ...prev, title: history.title || prev.title, model: history.model ?? prev.model };
      if (prev.items.length === 0) {
        let items: ChatItem[];
        [items, state] = historyItems(state, history);
        session = { ...session, items };
      }
      return withSession(state, session);
    }
    case 'select':
      return { ...state, activeId: action.sessionId };
    case 'models':
      return { ...state, currentModel: action.current, models: action.models ?? [] };
    case 'status': {
      const status = action.status;
      return { ...state, status, currentModel: status.model ?? state.currentModel };
    }
    case 'proposalStatus':
      return setProposalStatus(state, action.id, action.status);
    case 'context':
      return { ...state, context: action.label };
    case 'server':
      return { ...state, server: action.state };
    case 'track': {
      const prev = state.sessions[action.sessionId];
      const session = prev ?? newSession(action.sessionId, action.title ?? 'Background task');
      return { ...withSession(state, session, true), activeId: action.sessionId };
    }
    default:
      return state;
  }
}

/** True when any session has a turn running. */
export function isBusy(state: ChatState): boolean {
  return Object.values(state.sessions).some((s) => s.busy);
}

export function activeSession(state: ChatState): SessionView | null {
  return state.activeId ? (state.sessions[state.activeId] ?? null) : null;
}

/** Finds a proposal item by id in any session. */
export function findProposal(state: ChatState, id: string): Proposal | null {
  for (const session of Object.values(state.sessions)) {
    for (const item of session.items) {
      if (item.kind === 'proposal' && item.proposal.id === id) return item.proposal;
    }
  }
  return null;
}

/** A tiny observable store around the reducer. */
export class ChatStore {
  private listeners: ((action: ChatAction, state: ChatState) => void)[] = [];
  constructor(public state: ChatState = initialState()) {}

  dispatch(action: ChatAction): ChatState {
    this.state = reduce(this.state, action);
    for (const listener of this.listeners) listener(action, this.state);
    return this.state;
  }

  subscribe(listener: (action: ChatAction, state: ChatState) => void): { dispose(): void } {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  }
}

/** Whether the current turn (the items after the last prompt) already shows an error. */
function failedSinceLastPrompt(items: ChatItem[]): boolean {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.kind === 'error') return true;
    if (item.kind === 'user') return false;
  }
  return false;
}
