/**
 * Chat orchestration without VS Code: webview messages in, skiff/* requests out, everything reduced
 * into a ChatStore. The extension supplies a ChatHost (posting to the webview, editor context,
 * opening the diff review); the protocol test supplies a fake one and drives the real server.
 */
import { type ChatAction, ChatStore, type TurnOutcome } from './chatState';
import {
  type ChatContext,
  type ChatResult,
  ErrorCodes,
  type Proposal,
  type ResolveAccept,
  type ResolveProposalResult,
  type UndoProposalResult,
  type UpdateParams,
} from './protocol';
import { type DisposableLike, SkiffApi, TokenSource, errorMessage, isRpcError } from './skiffApi';
import type { FromWebview, ToWebview } from './webview/messages';

export interface EditorContext extends ChatContext {
  /** Short label shown in the chat, e.g. "stats.py:2-4". */
  label: string;
}

export interface ChatHost {
  post(message: ToWebview): void;
  showError(message: string): void;
  showInfo?(message: string): void;
  /** The active editor's context to attach to a prompt from the chat view (null: none). */
  editorContext?(): EditorContext | null;
  openProposal?(id: string): void | Promise<void>;
  /** Resolve / undo from the chat's proposal buttons (default: this controller's own methods). */
  resolveProposal?(id: string, accept: ResolveAccept): Promise<void>;
  undoProposal?(id: string): Promise<void>;
  /** Called for each new pending proposal streamed by the server. */
  onProposal?(proposal: Proposal): void;
  /** Called after the model was switched from the picker (e.g. to persist it). */
  onModelChosen?(model: string): void;
}

interface InFlight {
  localId?: string;
  sessionId?: string;
  source: TokenSource;
  promise: Promise<TurnEnd>;
}

export interface TurnEnd {
  outcome: TurnOutcome;
  sessionId: string | null;
  result?: ChatResult;
  error?: unknown;
}

export class ChatController {
  readonly store: ChatStore;
  private inflight: InFlight[] = [];
  private localCounter = 0;
  private disposables: DisposableLike[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private api: SkiffApi | null = null;
  private contextEnabled = true;
  private apiSubscription: DisposableLike | null = null;

  constructor(
    private readonly host: ChatHost,
    store?: ChatStore,
  ) {
    this.store = store ?? new ChatStore();
    this.disposables.push(this.store.subscribe((action) => this.host.post(action)));
  }

  /** Connects to a (re)started server. Updates are reduced into the store from now on. */
  attach(api: SkiffApi): void {
    this.apiSubscription?.dispose();
    this.api = api;
    this.apiSubscription = api.onUpdate((params) => this.onUpdate(params));
    this.dispatch({ type: 'server', state: 'running' });
  }

  get connected(): boolean {
    return this.api !== null;
  }

  /** The server went away: running turns end, their spinners stop. */
  detach(state: 'starting' | 'stopped' = 'stopped'): void {
    this.apiSubscription?.dispose();
    this.apiSubscription = null;
    this.api = null;
    for (const f of this.inflight) f.source.cancel();
    for (const session of Object.values(this.store.state.sessions)) {
      if (session.busy) this.dispatch({ type: 'turnEnded', sessionId: session.id, outcome: 'error', message: 'The Skiff server stopped.' });
    }
    this.dispatch({ type: 'server', state });
  }

  dispose(): void {
    this.apiSubscription?.dispose();
    for (const d of this.disposables) d.dispose();
    this.disposables = [];
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
  }

  dispatch(action: ChatAction): void {
    this.store.dispatch(action);
  }

  onUpdate(params: UpdateParams): void {
    const known = params && params.sessionId in this.store.state.sessions;
    this.dispatch({ type: 'update', params });
    if (!known) this.claimInflight(params.sessionId);
    const update = params?.update;
    if (update?.sessionUpdate === 'proposal' && update.proposal?.status === 'pending') {
      this.host.onProposal?.(update.proposal);
    }
    if (update?.sessionUpdate === 'usage' && !this.store.state.sessions[params.sessionId]?.localTurn) {
      // A background turn (code action): its end is only visible through skiff/sessions.
      this.scheduleRefresh();
    }
  }

  private claimInflight(sessionId: string): void {
    const entry = this.inflight.find((f) => !f.sessionId && f.localId && !(f.localId in this.store.state.sessions));
    if (entry) entry.sessionId = sessionId;
  }

  private scheduleRefresh(delay = 300): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refreshSessions();
      void this.refreshStatus();
    }, delay);
  }

  setContextEnabled(enabled: boolean): void {
    this.contextEnabled = enabled;
  }

  async handleMessage(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.host.post({ type: 'snapshot', state: this.store.state });
        await Promise.all([this.refreshModels(), this.refreshSessions(), this.refreshStatus()]);
        return;
      case 'send':
        if (message.text.trim()) await this.send(message.text, message.sessionId);
        return;
      case 'cancel':
        await this.cancel(message.sessionId);
        return;
      case 'newChat':
        this.dispatch({ type: 'select', sessionId: null });
        return;
      case 'selectSession':
        await this.selectSession(message.sessionId);
        return;
      case 'refreshSessions':
        await this.refreshSessions();
        return;
      case 'setModel':
        await this.setModel(message.model);
        return;
      case 'openProposal':
        await this.host.openProposal?.(message.id);
        return;
      case 'resolveProposal':
        if (this.host.resolveProposal) await this.host.resolveProposal(message.id, message.accept);
        else await this.resolveProposal(message.id, message.accept);
        return;
      case 'undoProposal':
        if (this.host.undoProposal) await this.host.undoProposal(message.id);
        else await this.undoProposal(message.id);
        return;
      case 'clearContext':
        this.contextEnabled = false;
        this.dispatch({ type: 'context', label: null });
        return;
    }
  }

  /** Runs one turn. `sessionId` null (or a session the server has not named yet) starts a new session. */
  send(text: string, sessionId: string | null, context?: EditorContext | null): Promise<TurnEnd> {
    const api = this.api;
    if (!api) {
      this.host.showError('Skiff: the server is not running.');
      return Promise.resolve({ outcome: 'error', sessionId });
    }
    const existing = sessionId ? this.store.state.sessions[sessionId] : undefined;
    if (existing?.busy) {
      this.host.showError('Skiff: this session is still working; stop it or wait.');
      return Promise.resolve({ outcome: 'error', sessionId });
    }
    const ctx = context === undefined ? (this.contextEnabled ? (this.host.editorContext?.() ?? null) : null) : context;
    const serverSession = existing && !existing.pendingLocal ? existing.id : null;
    const localId = serverSession ? undefined : (existing?.id ?? `local-${++this.localCounter}`);
    this.dispatch({
      type: 'prompt',
      sessionId: serverSession,
      ...(localId ? { localId } : {}),
      text,
      ...(ctx ? { context: ctx.label } : {}),
    });
    const source = new TokenSource();
    const entry: InFlight = { source, promise: Promise.resolve({ outcome: 'done', sessionId: null }) };
    if (serverSession) entry.sessionId = serverSession;
    if (localId) entry.localId = localId;
    const params: Parameters<SkiffApi['chat']>[0] = { prompt: text };
    if (serverSession) params.sessionId = serverSession;
    if (ctx) {
      const c: ChatContext = {};
      if (ctx.uri) c.uri = ctx.uri;
      if (ctx.range) c.range = ctx.range;
      if (ctx.diagnostics && ctx.diagnostics.length) c.diagnostics = ctx.diagnostics;
      if (Object.keys(c).length) params.context = c;
    }
    this.inflight.push(entry);
    entry.promise = this.runTurn(api, params, entry);
    return entry.promise;
  }

  private async runTurn(api: SkiffApi, params: Parameters<SkiffApi['chat']>[0], entry: InFlight): Promise<TurnEnd> {
    let end: TurnEnd;
    try {
      const result = await api.chat(params, entry.source.token);
      end = { outcome: 'done', sessionId: result.sessionId, result };
      this.dispatch({ type: 'turnEnded', sessionId: result.sessionId, localId: entry.localId, outcome: 'done', result });
    } catch (error) {
      const cancelled = (isRpcError(error) && error.code === ErrorCodes.RequestCancelled) || entry.source.isCancelled;
      const sessionId = entry.sessionId ?? null;
      end = { outcome: cancelled ? 'cancelled' : 'error', sessionId, error };
      const action: ChatAction = {
        type: 'turnEnded',
        sessionId,
        localId: entry.localId,
        outcome: end.outcome,
      };
      if (!cancelled) action.message = describeError(error);
      this.dispatch(action);
    } finally {
      this.inflight = this.inflight.filter((f) => f !== entry);
    }
    void this.refreshSessions();
    void this.refreshStatus();
    return end;
  }

  /** Stops the running turn of a session (our own request: $/cancelRequest; else skiff/cancel). */
  async cancel(sessionId: string | null): Promise<void> {
    const id = sessionId ?? this.store.state.activeId;
    const entry =
      this.inflight.find((f) => (id && (f.sessionId === id || f.localId === id)) || false) ??
      (id === null && this.inflight.length === 1 ? this.inflight[0] : undefined);
    if (entry) {
      entry.source.cancel();
      return;
    }
    if (!id || !this.api) return;
    try {
      await this.api.cancel(id);
    } catch (error) {
      this.host.showError(`Skiff: could not stop the session: ${describeError(error)}`);
    }
  }

  async selectSession(sessionId: string): Promise<void> {
    this.dispatch({ type: 'select', sessionId });
    const session = this.store.state.sessions[sessionId];
    if (!this.api || !session || session.items.length > 0 || session.pendingLocal) return;
    try {
      const history = await this.api.session(sessionId);
      this.dispatch({ type: 'history', history });
    } catch (error) {
      this.host.showError(`Skiff: could not load the session: ${describeError(error)}`);
    }
  }

  /** Shows a session started elsewhere (e.g. a code action's background turn). */
  track(sessionId: string, title?: string): void {
    this.dispatch({ type: 'track', sessionId, ...(title ? { title } : {}) });
  }

  async refreshSessions(): Promise<void> {
    if (!this.api) return;
    try {
      const result = await this.api.sessions();
      this.dispatch({ type: 'sessions', sessions: result.sessions ?? [] });
    } catch {
      // Not fatal: the list refreshes after the next turn.
    }
  }

  async refreshModels(): Promise<void> {
    if (!this.api) return;
    try {
      const result = await this.api.models();
      this.dispatch({ type: 'models', current: result.current ?? null, models: result.models ?? [] });
    } catch {
      // ignore
    }
  }

  async refreshStatus(): Promise<void> {
    if (!this.api) return;
    try {
      const status = await this.api.status();
      this.dispatch({ type: 'status', status });
    } catch {
      // ignore
    }
  }

  async setModel(model: string): Promise<boolean> {
    if (!this.api) return false;
    try {
      const result = await this.api.setModel(model);
      this.dispatch({ type: 'models', current: result.model ?? model, models: this.store.state.models });
      this.host.onModelChosen?.(result.model ?? model);
      void this.refreshStatus();
      return true;
    } catch (error) {
      this.host.showError(`Skiff: could not switch to ${model}: ${describeError(error)}`);
      return false;
    }
  }

  async resolveProposal(id: string, accept: ResolveAccept): Promise<ResolveProposalResult | null> {
    if (!this.api) return null;
    try {
      const result = await this.api.resolveProposal(id, accept);
      // A conflict applied nothing: the proposal is still pending (the message names the hunks).
      this.dispatch({ type: 'proposalStatus', id, status: result.status === 'conflict' ? 'pending' : result.status });
      if (result.message) this.host.showError(`Skiff: ${result.message}`);
      return result;
    } catch (error) {
      this.host.showError(`Skiff: could not apply the proposal: ${describeError(error)}`);
      return null;
    }
  }

  async undoProposal(id: string): Promise<UndoProposalResult | null> {
    if (!this.api) return null;
    try {
      const result = await this.api.undoProposal(id);
      this.dispatch({ type: 'proposalStatus', id, status: result.status });
      return result;
    } catch (error) {
      this.host.showError(`Skiff: could not undo the proposal: ${describeError(error)}`);
      return null;
    }
  }

  get running(): number {
    return this.inflight.length;
  }
}

export function describeError(error: unknown): string {
  if (isRpcError(error)) {
    if (error.code === ErrorCodes.SessionBusy) return 'the session is busy';
    return error.message;
  }
  return errorMessage(error);
}
