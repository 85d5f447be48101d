/**
 * A typed client for the skiff/* methods over any JSON-RPC connection.
 *
 * Both vscode-languageclient's `LanguageClient` and vscode-jsonrpc's `MessageConnection` satisfy
 * `RpcConnection` structurally, so the extension and the protocol test share this code.
 */
import {
  type CancelResult,
  type ChatParams,
  type ChatResult,
  type FullProposal,
  Methods,
  type ModelsResult,
  type RequestPermissionParams,
  type RequestPermissionResult,
  type ResolveAccept,
  type ResolveProposalResult,
  type SessionHistory,
  type SessionsResult,
  type SetModelResult,
  type StatusResult,
  type UndoProposalResult,
  type UpdateParams,
} from './protocol';

export interface DisposableLike {
  dispose(): void;
}

export interface CancellationTokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: (e: unknown) => unknown): DisposableLike;
}

export interface RpcConnection {
  sendRequest<R>(method: string, params: unknown, token?: CancellationTokenLike): Promise<R>;
  onNotification(method: string, handler: (params: any) => void): DisposableLike;
  onRequest(method: string, handler: (params: any, token: CancellationTokenLike) => unknown): DisposableLike;
}

/** The shape of a JSON-RPC ResponseError (vscode-jsonrpc's ResponseError has these fields). */
export interface RpcErrorLike {
  code: number;
  message: string;
}

export function isRpcError(value: unknown): value is RpcErrorLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'number' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (isRpcError(value)) return value.message;
  return String(value);
}

export class SkiffApi {
  constructor(private readonly conn: RpcConnection) {}

  chat(params: ChatParams, token?: CancellationTokenLike): Promise<ChatResult> {
    // Never pass an undefined token: vscode-jsonrpc would send [params, null] as positional params.
    return token
      ? this.conn.sendRequest<ChatResult>(Methods.chat, params, token)
      : this.conn.sendRequest<ChatResult>(Methods.chat, params);
  }

  proposal(id: string): Promise<FullProposal> {
    return this.conn.sendRequest<FullProposal>(Methods.proposal, { id });
  }

  resolveProposal(id: string, accept: ResolveAccept): Promise<ResolveProposalResult> {
    return this.conn.sendRequest<ResolveProposalResult>(Methods.resolveProposal, { id, accept });
  }

  undoProposal(id: string): Promise<UndoProposalResult> {
    return this.conn.sendRequest<UndoProposalResult>(Methods.undoProposal, { id });
  }

  cancel(sessionId: string): Promise<CancelResult> {
    return this.conn.sendRequest<CancelResult>(Methods.cancel, { sessionId });
  }

  sessions(): Promise<SessionsResult> {
    return this.conn.sendRequest<SessionsResult>(Methods.sessions, {});
  }

  session(sessionId: string): Promise<SessionHistory> {
    return this.conn.sendRequest<SessionHistory>(Methods.session, { sessionId });
  }

  models(): Promise<ModelsResult> {
    return this.conn.sendRequest<ModelsResult>(Methods.models, {});
  }

  setModel(model: string, sessionId?: string): Promise<SetModelResult> {
    const params: { model: string; sessionId?: string } = { model };
    if (sessionId) params.sessionId = sessionId;
    return this.conn.sendRequest<SetModelResult>(Methods.setModel, params);
  }

  status(): Promise<StatusResult> {
    return this.conn.sendRequest<StatusResult>(Methods.status, {});
  }

  onUpdate(handler: (params: UpdateParams) => void): DisposableLike {
    return this.conn.onNotification(Methods.update, handler);
  }

  onRequestPermission(
    handler: (params: RequestPermissionParams) => Promise<RequestPermissionResult> | RequestPermissionResult,
  ): DisposableLike {
    return this.conn.onRequest(Methods.requestPermission, (params) => handler(params as RequestPermissionParams));
  }
}

/** A minimal cancellation source whose token vscode-jsonrpc (and so the language client) accepts. */
export class TokenSource {
  private listeners: ((e: unknown) => unknown)[] = [];
  private cancelled = false;
  readonly token: CancellationTokenLike;

  constructor() {
    const self = this;
    this.token = {
      get isCancellationRequested() {
        return self.cancelled;
      },
      onCancellationRequested(listener: (e: unknown) => unknown): DisposableLike {
        if (self.cancelled) {
          listener(undefined);
          return { dispose() {} };
        }
        self.listeners.push(listener);
        return { dispose: () => (self.listeners = self.listeners.filter((l) => l !== listener)) };
      },
    };
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l(undefined);
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }
}
