/**
 * Activates the extension against the recording `vscode` stub (vitest alias) and the fake language
 * client. A test file that uses it mocks the client first:
 *
 *     vi.mock('vscode-languageclient/node', () => import('./fakeLanguageClient'));
 *
 * and calls useExtensionHarness() for the per-test reset and teardown.
 */
import { afterEach, beforeEach } from 'vitest';
import * as ext from '../src/extension';
import { Methods } from '../src/protocol';
import { findServer } from '../src/serverLookup';
import { serverHooks } from '../src/serverManager';
import type { FakeConnection } from './fakeConnection';
import { FakeLanguageClient, clients } from './fakeLanguageClient';
import { flush, makeContext, stub } from './vscodeFixtures';

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
