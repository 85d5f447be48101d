/**
 * Activates the extension against the recording `vscode` stub (vitest alias) and the fake language
 * client. A test file that uses it mocks the client first:
 *
 *     vi.mock('vscode-languageclient/node', () => import('./fakeLanguageClient'));
 *
 * and calls useExtensionHarness() for the per-test reset and teardown.
 */
import { afterEach, beforeEach } from 'vitest';
import * as vscode from 'vscode';
import * as ext from '../src/extension';
import { Methods } from '../src/protocol';
import { findServer } from '../src/serverLookup';
import { serverHooks } from '../src/serverManager';
import type { FakeConnection } from './fakeConnection';
import { FakeLanguageClient, clients } from './fakeLanguageClient';

export const { stub } = vscode as unknown as { stub: any };

/** The machine the lookup sees: `skiff` on PATH in /usr/bin unless a test says otherwise. */
export const machine = { executables: new Set(['/usr/bin/skiff']), installOffers: 0 };
serverHooks.locate = (settings) =>
  findServer(settings, {
    platform: 'linux',
    home: '/home/me',
    env: { PATH: '/usr/local/bin:/usr/bin' },
    workspaceFolder: '/work/demo',
    trusted: true,
    isExecutable: async (file) => machine.executables.has(file),
    pythonExtensionInterpreter: async () => undefined,
    hasSkiffModule: async () => false,
  });
serverHooks.offerInstall = async () => void machine.installOffers++;

/** Lets the server lookup (promises, no timers) finish so the language client exists. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

export type FakeClient = FakeConnection & {
  serverOptions: any;
  clientOptions: any;
  notifications: { method: string; params: unknown }[];
  stopped: boolean;
  setState(s: number): void;
};

export const BASE = 'def mean(xs):\n    total = sum(xs)\n    return total / len(xs)\n';
export const flush = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
};

export function makeContext() {
  const memento = new Map<string, unknown>();
  return {
    subscriptions: [] as { dispose(): unknown }[],
    extensionUri: vscode.Uri.file('/ext'),
    globalState: { get: (k: string) => memento.get(k), update: async (k: string, v: unknown) => void memento.set(k, v), keys: () => [...memento.keys()] },
  } as any;
}

/** A webview view as VS Code hands it to the provider: records posted messages, `send` plays the page. */
export function fakeView() {
  const posted: any[] = [];
  let onMessage: (m: unknown) => void = () => undefined;
  let onDispose: () => void = () => undefined;
  const view = {
    webview: {
      options: {},
      html: '',
      cspSource: 'https://csp.example',
      asWebviewUri: (u: vscode.Uri) => ({ toString: () => `https://webview.example${u.path}` }),
      onDidReceiveMessage: (h: (m: unknown) => void) => {
        onMessage = h;
        return new vscode.Disposable(() => undefined);
      },
      postMessage: (m: unknown) => {
        posted.push(m);
        return Promise.resolve(true);
      },
    },
    onDidDispose: (h: () => void) => {
      onDispose = h;
      return new vscode.Disposable(() => undefined);
    },
  };
  return { view, posted, send: (m: unknown) => onMessage(m), close: () => onDispose() };
}

/** An editor on /work/demo/stats.py (BASE) with the selection given, and two diagnostics in the file. */
export function setEditor(selection: [number, number, number, number]) {
  const uri = vscode.Uri.file('/work/demo/stats.py');
  const document = (vscode as any).makeDocument(uri, BASE);
  const sel = new vscode.Selection(new vscode.Position(selection[0], selection[1]), new vscode.Position(selection[2], selection[3]));
  stub.activeTextEditor = { document, selection: sel };
  const diag = new vscode.Diagnostic(new vscode.Range(1, 4, 1, 9), '"total" is not defined', vscode.DiagnosticSeverity.Error);
  diag.source = 'pyright';
  const far = new vscode.Diagnostic(new vscode.Range(40, 0, 40, 1), 'far away', vscode.DiagnosticSeverity.Warning);
  stub.diagnostics.set(uri.toString(), [diag, far]);
  return uri;
}

/** The last activation's context and returned API (live bindings). */
export let context: any;
export let api: Awaited<ReturnType<typeof ext.activate>>;

/** Activates with these settings (proposals not auto-opened unless set) and a scripted running server. */
export async function activate(config: Record<string, unknown> = {}) {
  stub.config = { 'skiff.autoOpenProposals': false, ...config };
  context = makeContext();
  api = ext.activate(context);
  await settle();
  const client = clients.at(-1) as unknown as FakeClient;
  client
    .on(Methods.status, () => ({ model: 'test/scripted', busy: false, tokensPerSecond: 7.5 }))
    .on(Methods.models, () => ({ current: 'test/scripted', models: [{ id: 'test/scripted' }, { id: 'test/other' }] }))
    .on(Methods.sessions, () => ({ sessions: [] }))
    .on(Methods.setModel, (p: { model: string }) => ({ model: p.model }));
  await flush();
  return client;
}

/** Resets the stub and the fake machine before each test; deactivates and disposes after it. */
export function useExtensionHarness(): void {
  beforeEach(() => {
    stub.reset();
    clients.length = 0;
    FakeLanguageClient.startError = null;
    machine.executables = new Set(['/usr/bin/skiff']);
    machine.installOffers = 0;
  });
  afterEach(async () => {
    await ext.deactivate();
    for (const d of context?.subscriptions ?? []) d.dispose();
    context = undefined;
  });
}
