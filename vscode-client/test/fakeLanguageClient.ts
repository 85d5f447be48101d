/**
 * A fake `vscode-languageclient/node` for the extension tests (`vi.mock('vscode-languageclient/node',
 * () => import('./fakeLanguageClient'))`): each LanguageClient is a FakeConnection that records its
 * options and notifications and walks through the client states on start and stop.
 */
import { FakeConnection } from './fakeConnection';

/** Every client created, oldest first (tests clear it between cases). */
export const clients: FakeLanguageClient[] = [];

export class FakeLanguageClient extends FakeConnection {
  state = 1;
  stateListeners: ((e: { oldState: number; newState: number }) => void)[] = [];
  notifications: { method: string; params: unknown }[] = [];
  stopped = false;
  /** Set to make start() fail like a server that cannot be spawned. */
  static startError: Error | null = null;
  constructor(
    readonly id: string,
    readonly name: string,
    readonly serverOptions: any,
    readonly clientOptions: any,
  ) {
    super();
    clients.push(this);
  }
  onDidChangeState(listener: (e: { oldState: number; newState: number }) => void) {
    this.stateListeners.push(listener);
    return { dispose: () => undefined };
  }
  setState(newState: number) {
    const oldState = this.state;
    this.state = newState;
    for (const l of this.stateListeners) l({ oldState, newState });
  }
  async start() {
    await new Promise((r) => setTimeout(r, 0));
    if (FakeLanguageClient.startError) throw FakeLanguageClient.startError;
    this.setState(3);
    this.setState(2);
  }
  isRunning() {
    return this.state === 2;
  }
  async stop() {
    this.stopped = true;
    this.setState(1);
  }
  async dispose() {}
  async sendNotification(method: string, params: unknown) {
    this.notifications.push({ method, params });
  }
}

export const LanguageClient = FakeLanguageClient;
export const CloseAction = { DoNotRestart: 1, Restart: 2 };
export const ErrorAction = { Continue: 1, Shutdown: 2 };
export const State = { Stopped: 1, Running: 2, Starting: 3 };
export const TransportKind = { stdio: 0, ipc: 1, pipe: 2, socket: 3 };
