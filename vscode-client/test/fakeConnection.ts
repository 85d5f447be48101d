/** An in-memory RpcConnection for unit tests: scripted request handlers, recorded requests. */
import type { CancellationTokenLike, DisposableLike, RpcConnection } from '../src/skiffApi';

export interface SentRequest {
  method: string;
  params: unknown;
  token?: CancellationTokenLike;
}

type Handler = (params: any, token?: CancellationTokenLike) => unknown;

export class FakeConnection implements RpcConnection {
  sent: SentRequest[] = [];
  handlers = new Map<string, Handler>();
  notificationHandlers = new Map<string, (params: any) => void>();
  requestHandlers = new Map<string, (params: any, token: CancellationTokenLike) => unknown>();

  on(method: string, handler: Handler): this {
    this.handlers.set(method, handler);
    return this;
  }

  async sendRequest<R>(method: string, params: unknown, token?: CancellationTokenLike): Promise<R> {
    // vscode-jsonrpc turns a trailing undefined into a second positional param: never send one.
    if (arguments.length > 2 && token === undefined) throw new Error(`${method}: undefined token passed`);
    this.sent.push({ method, params, token });
    const handler = this.handlers.get(method);
    if (!handler) throw Object.assign(new Error(`Unhandled method ${method}`), { code: -32601 });
    return (await handler(params, token)) as R;
  }

  onNotification(method: string, handler: (params: any) => void): DisposableLike {
    this.notificationHandlers.set(method, handler);
    return { dispose: () => this.notificationHandlers.delete(method) };
  }

  onRequest(method: string, handler: (params: any, token: CancellationTokenLike) => unknown): DisposableLike {
    this.requestHandlers.set(method, handler);
    return { dispose: () => this.requestHandlers.delete(method) };
  }

  notify(method: string, params: unknown): void {
    this.notificationHandlers.get(method)?.(params);
  }

  requests(method: string): SentRequest[] {
    return this.sent.filter((r) => r.method === method);
  }
}

/** Resolves when `token` is cancelled, rejecting like vscode-jsonrpc does (-32800). */
export function cancelledBy(token: CancellationTokenLike | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    token?.onCancellationRequested(() => reject(Object.assign(new Error('Request cancelled'), { code: -32800 })));
  });
}
