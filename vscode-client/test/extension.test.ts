/**
 * The extension module's wiring, against the recording `vscode` stub (vitest alias) and a fake
 * LanguageClient (vi.mock): commands, server launch, middleware, permission prompt, crash restart,
 * chat webview, status bar and proposal review.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { Methods } from '../src/protocol';
import { FakeConnection } from './fakeConnection';
import { PROPOSAL, SESSION, TURN, VERIFICATION_FAILED, VERIFICATION_OK } from './fixtures/turn';

const hoisted = vi.hoisted(() => ({ clients: [] as any[] }));

vi.mock('vscode-languageclient/node', async () => {
  const { FakeConnection } = await import('./fakeConnection');
  class FakeLanguageClient extends FakeConnection {
    state = 1;
    stateListeners: ((e: { oldState: number; newState: number }) => void)[] = [];
    notifications: { method: string; params: unknown }[] = [];
    stopped = false;
    constructor(
      readonly id: string,
      readonly name: string,
      readonly serverOptions: any,
      readonly clientOptions: any,
    ) {
      super();
      hoisted.clients.push(this);
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
  return {
    LanguageClient: FakeLanguageClient,
    CloseAction: { DoNotRestart: 1, Restart: 2 },
    ErrorAction: { Continue: 1, Shutdown: 2 },
    State: { Stopped: 1, Running: 2, Starting: 3 },
    TransportKind: { stdio: 0, ipc: 1, pipe: 2, socket: 3 },
  };
});

const { stub } = vscode as unknown as { stub: any };
const ext = await import('../src/extension');
const { findServer } = await import('../src/serverLookup');

/** The machine the lookup sees: `skiff` on PATH in /usr/bin unless a test says otherwise. */
const machine = { executables: new Set(['/usr/bin/skiff']), installOffers: 0 };
ext.serverHooks.locate = (settings) =>
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
ext.serverHooks.offerInstall = async () => void machine.installOffers++;

/** Lets the server lookup (promises, no timers) finish so the language client exists. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

type FakeClient = FakeConnection & {
  serverOptions: any;
  clientOptions: any;
  notifications: { method: string; params: unknown }[];
  stopped: boolean;
  setState(s: number): void;
};

const BASE = 'def mean(xs):\n    total = sum(xs)\n    return total / len(xs)\n';
const flush = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
};

function makeContext() {
  const memento = new Map<string, unknown>();
  return {
    subscriptions: [] as { dispose(): unknown }[],
    extensionUri: vscode.Uri.file('/ext'),
    globalState: { get: (k: string) => memento.get(k), update: async (k: string, v: unknown) => void memento.set(k, v), keys: () => [...memento.keys()] },
  } as any;
}

function fakeView() {
  const posted: any[] = [];
  let onMessage: (m: unknown) => void = () => undefined;
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
    onDidDispose: () => new vscode.Disposable(() => undefined),
  };
  return { view, posted, send: (m: unknown) => onMessage(m) };
}

function setEditor(selection: [number, number, number, number]) {
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

let context: any;
let api: Awaited<ReturnType<typeof ext.activate>>;

async function activate(config: Record<string, unknown> = {}) {
  stub.config = { 'skiff.autoOpenProposals': false, ...config };
  context = makeContext();
  api = ext.activate(context);
  await settle();
  const client = hoisted.clients.at(-1) as FakeClient;
  client
    .on(Methods.status, () => ({ model: 'test/scripted', busy: false, tokensPerSecond: 7.5 }))
    .on(Methods.models, () => ({ current: 'test/scripted', models: [{ id: 'test/scripted' }, { id: 'test/other' }] }))
    .on(Methods.sessions, () => ({ sessions: [] }))
    .on(Methods.setModel, (p: { model: string }) => ({ model: p.model }));
  await flush();
  return client;
}

beforeEach(() => {
  stub.reset();
  hoisted.clients.length = 0;
  machine.executables = new Set(['/usr/bin/skiff']);
  machine.installOffers = 0;
});

afterEach(async () => {
  await ext.deactivate();
  for (const d of context?.subscriptions ?? []) d.dispose();
});

describe('activation', () => {
  it('registers every contributed command, and none of the server-side ones', async () => {
    await activate();
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    expect([...stub.commands.keys()].sort()).toEqual(contributed);
    for (const serverCommand of ['skiff.ask', 'skiff.resolveProposal', 'skiff.undoProposal', 'skiff.cancel']) {
      expect(stub.commands.has(serverCommand)).toBe(false);
    }
    expect(pkg.contributes.views.skiff[0].id).toBe(ext.CHAT_VIEW_ID);
    expect(stub.webviewProviders.has(ext.CHAT_VIEW_ID)).toBe(true);
    expect(stub.contentProviders.has('skiff-proposal')).toBe(true);
    expect(stub.codeLensProviders[0].selector).toEqual({ scheme: 'skiff-proposal' });
    for (const key of Object.keys(pkg.contributes.configuration.properties)) expect(key.startsWith('skiff.')).toBe(true);
  });

  it('starts `skiff serve` over stdio with skiffUi initialization options', async () => {
    const client = await activate({ 'skiff.model': 'test/scripted', 'skiff.bash.mode': 'manual' });
    expect(client.serverOptions).toMatchObject({ command: '/usr/bin/skiff', args: ['serve'], transport: 0, options: { cwd: '/work/demo' } });
    expect(client.clientOptions.initializationOptions).toEqual({ model: 'test/scripted', bash: { mode: 'manual' }, skiffUi: true });
    expect(client.clientOptions.documentSelector).toEqual([{ scheme: 'file' }, { scheme: 'untitled' }]);
  });

  it('runs `<python> -m skiff.server` when skiff.pythonPath is set', async () => {
    const client = await activate({ 'skiff.pythonPath': '/venv/bin/python', 'skiff.modelsFile': '/m.json' });
    expect(client.serverOptions).toMatchObject({ command: '/venv/bin/python', args: ['-m', 'skiff.server'] });
    expect(client.serverOptions.options.env.SKIFF_MODELS_FILE).toBe('/m.json');
  });

  it('runs the skiff of the workspace virtualenv, and offers to install when Skiff is nowhere', async () => {
    machine.executables.add('/work/demo/.venv/bin/skiff');
    const client = await activate();
    expect(client.serverOptions).toMatchObject({ command: '/work/demo/.venv/bin/skiff', args: ['serve'] });
    await ext.deactivate();
    hoisted.clients.length = 0;
    machine.executables.clear();
    stub.reset();
    ext.activate(makeContext());
    await settle();
    expect(hoisted.clients).toHaveLength(0);
    expect(machine.installOffers).toBe(1);
  });

  it('activates on its commands and view only, and restricts what may run in untrusted workspaces', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    const commands = pkg.contributes.commands.map((c: { command: string }) => `onCommand:${c.command}`);
    expect(pkg.activationEvents.sort()).toEqual([...commands, 'onView:skiff.chat'].sort());
    const untrusted = pkg.capabilities.untrustedWorkspaces;
    expect(untrusted.supported).toBe('limited');
    expect(untrusted.restrictedConfigurations.sort()).toEqual(
      ['skiff.bash.allow', 'skiff.bash.mode', 'skiff.modelsFile', 'skiff.proposals.mode', 'skiff.pythonPath', 'skiff.serverCommand'].sort(),
    );
    for (const key of untrusted.restrictedConfigurations) expect(pkg.contributes.configuration.properties[key]).toBeDefined();
  });

  it('shows model, busy state and tokens/s in the status bar', async () => {
    const client = await activate();
    const item = stub.statusItems[0];
    expect(item.visible).toBe(true);
    expect(item.text).toBe('$(hubot) scripted · 7.5 tok/s');
    expect(item.command).toBe(ext.Commands.selectModel);
    client.notify(Methods.update, { sessionId: 'bg', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'x' } } });
    expect(item.text).toContain('$(loading~spin)');
    expect(stub.contexts.get('skiff.busy')).toBe(true);
    client.notify(Methods.update, { sessionId: 'bg', update: { sessionUpdate: 'usage', tokensPerSecond: 21.04, contextUsed: 100, contextLimit: 1000 } });
    expect(item.text).toContain('21.0 tok/s');
    expect(item.tooltip).toContain('Context: 100 / 1.0k tokens (10%)');
  });
});

describe('language client hooks', () => {
  it('asks for an instruction when a skiff.ask code action carries none', async () => {
    const client = await activate();
    const mw = client.clientOptions.middleware;
    const next = vi.fn(async () => ({ sessionId: 'bg1' }));
    const args = [{ uri: 'file:///work/demo/stats.py', range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } } }];
    stub.inputBoxAnswers.push('handle empty lists');
    const result = await mw.executeCommand('skiff.ask', args, next);
    expect(next).toHaveBeenCalledWith('skiff.ask', [{ ...args[0], prompt: 'handle empty lists' }]);
    expect(result).toEqual({ sessionId: 'bg1' });
    expect(api.controller.store.state.activeId).toBe('bg1');
    expect(stub.executed.some((e: any) => e.command === 'skiff.chat.focus')).toBe(true);

    next.mockClear();
    stub.inputBoxAnswers.push(undefined);
    expect(await mw.executeCommand('skiff.ask', args, next)).toBeUndefined();
    expect(next).not.toHaveBeenCalled();

    // Resolving from a code action updates the chat's proposal card.
    client.notify(Methods.update, { sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: PROPOSAL } });
    const resolveNext = vi.fn(async () => ({ status: 'rejected', appliedHunks: [], rebased: false }));
    await mw.executeCommand('skiff.resolveProposal', [{ id: PROPOSAL.id, accept: 'none' }], resolveNext);
    expect(api.controller.store.state.sessions[SESSION]!.items.find((i) => i.kind === 'proposal')).toMatchObject({ proposal: { status: 'rejected' } });

    // Presets and other commands pass straight through.
    await mw.executeCommand('skiff.ask', [{ ...args[0], preset: 'explain' }], next);
    await mw.executeCommand('skiff.resolveProposal', [{ id: 'p', accept: 'all' }], next);
    expect(next).toHaveBeenCalledTimes(2);
    expect(stub.inputBoxes).toHaveLength(2);
  });

  it('answers workspace/configuration for `skiff` with the server keys only', async () => {
    const client = await activate({ 'skiff.model': 'a/b', 'skiff.pythonPath': '/p', 'skiff.bash.allow': ['make'] });
    const next = vi.fn(async () => [{ model: 'a/b', pythonPath: '/p', serverCommand: ['x'] }, { tabSize: 4 }]);
    const result = await client.clientOptions.middleware.workspace.configuration({ items: [{ section: 'skiff' }, { section: 'editor' }] }, undefined, next);
    expect(result).toEqual([{ model: 'a/b', bash: { allow: ['make'] } }, { tabSize: 4 }]);
  });

  it('shows permission requests as a modal with the server options', async () => {
    const client = await activate();
    const handler = client.requestHandlers.get(Methods.requestPermission)!;
    const params = {
      sessionId: 's',
      toolCall: { toolCallId: 'c', title: 'bash: rm -rf build', kind: 'execute', rawInput: { command: 'rm -rf build' } },
      reason: "'rm' is not in the allowlist",
      options: [
        { optionId: 'allow_once', name: 'Allow once', kind: 'allow_once' },
        { optionId: 'allow_always', name: 'Allow always', kind: 'allow_always' },
        { optionId: 'reject', name: 'Reject', kind: 'reject_once' },
      ],
    };
    stub.messageAnswers.push('Allow always');
    expect(await handler(params, undefined as any)).toEqual({ outcome: { outcome: 'selected', optionId: 'allow_always' } });
    const shown = stub.messages.at(-1);
    expect(shown).toMatchObject({ level: 'warning', message: 'Skiff wants to run: rm -rf build', items: ['Allow once', 'Allow always', 'Reject'] });
    expect(shown.options).toMatchObject({ modal: true });
    expect(shown.options.detail).toContain('allowlist');
    stub.messageAnswers.push(undefined);
    expect(await handler(params, undefined as any)).toEqual({ outcome: { outcome: 'cancelled' } });
  });

  it('restarts a crashed server with a notice, and gives up after repeated crashes', async () => {
    const client = await activate();
    const { closed } = client.clientOptions.errorHandler;
    for (let i = 0; i < 4; i++) expect(await closed()).toEqual({ action: 2, handled: true });
    expect(stub.messages.filter((m: any) => m.level === 'warning' && m.message.includes('restarted'))).toHaveLength(4);
    expect(await closed()).toEqual({ action: 1, handled: true });
    const error = stub.messages.at(-1);
    expect(error.level).toBe('error');
    expect(error.items).toContain('Restart');
    expect(api.controller.store.state.server).toBe('stopped');
    expect(stub.statusItems[0].text).toContain('stopped');
    expect(stub.statusItems[0].command).toBe(ext.Commands.restartServer);
    // The language client restarting brings the controller back.
    client.setState(2);
    expect(api.controller.store.state.server).toBe('running');
  });

  it('restarts on command with a fresh client and current settings', async () => {
    const first = await activate();
    stub.config['skiff.serverCommand'] = ['/opt/skiff', 'serve', '--tcp', 'x'];
    await stub.commands.get(ext.Commands.restartServer)();
    expect(first.stopped).toBe(true);
    expect(hoisted.clients).toHaveLength(2);
    expect(hoisted.clients[1].serverOptions).toMatchObject({ command: '/opt/skiff', args: ['serve', '--tcp', 'x'] });
  });

  it('pushes live settings and switches the model without a restart', async () => {
    const client = await activate();
    stub.config['skiff.model'] = 'test/other';
    stub.fireConfigChange('skiff.model');
    await flush();
    expect(client.requests(Methods.setModel)[0]!.params).toEqual({ model: 'test/other' });
    expect(client.notifications.at(-1)).toEqual({ method: 'workspace/didChangeConfiguration', params: { settings: { skiff: { model: 'test/other' } } } });
    stub.fireConfigChange('skiff.pythonPath');
    expect(stub.messages.at(-1).message).toContain('restart the server');
  });
});

describe('chat view', () => {
  it('serves a CSP-locked page and answers the webview', async () => {
    const client = await activate();
    const { view, posted, send } = fakeView();
    stub.webviewProviders.get(ext.CHAT_VIEW_ID).resolveWebviewView(view);
    const html: string = view.webview.html;
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('style-src https://csp.example');
    const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(html)![1];
    expect(html).toContain(`<script nonce="${nonce}" src="https://webview.example/ext/out/webview.js"></script>`);
    expect(html).toContain('href="https://webview.example/ext/media/chat.css"');
    expect((view.webview.options as any).enableScripts).toBe(true);

    send({ type: 'ready' });
    await flush();
    expect(posted[0]).toMatchObject({ type: 'snapshot' });
    expect(posted.some((m) => m.type === 'models')).toBe(true);

    const uri = setEditor([0, 0, 2, 0]);
    client.on(Methods.chat, async () => {
      for (const p of TURN) client.notify(Methods.update, p);
      return { sessionId: SESSION, stopReason: 'end_turn' };
    });
    send({ type: 'send', text: 'add a docstring', sessionId: null });
    await flush();
    const chat = client.requests(Methods.chat)[0]!;
    expect(chat.params).toEqual({
      prompt: 'add a docstring',
      context: {
        uri: uri.toString(),
        range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } },
        diagnostics: [{ range: { start: { line: 1, character: 4 }, end: { line: 1, character: 9 } }, severity: 1, source: 'pyright', message: '"total" is not defined' }],
      },
    });
    expect(posted.filter((m) => m.type === 'update')).toHaveLength(TURN.length);
    expect(posted.some((m) => m.type === 'turnEnded')).toBe(true);
    expect(api.controller.store.state.sessions[SESSION]!.items[0]).toMatchObject({ kind: 'user', context: 'stats.py:1-2' });

    // The chip can be cleared: the next prompt carries no context.
    send({ type: 'clearContext' });
    send({ type: 'send', text: 'more', sessionId: SESSION });
    await flush();
    expect(client.requests(Methods.chat)[1]!.params).toEqual({ prompt: 'more', sessionId: SESSION });
  });

  it('"Ask agent" sends the selection with an instruction from an input box', async () => {
    const client = await activate();
    setEditor([1, 0, 1, 0]);
    client.on(Methods.chat, async () => ({ sessionId: 'x1', stopReason: 'end_turn' }));
    stub.inputBoxAnswers.push('  rename total to acc ');
    await stub.commands.get(ext.Commands.askAgent)();
    expect(stub.inputBoxes[0].title).toBe('Ask Skiff about stats.py:2');
    const params = client.requests(Methods.chat)[0]!.params as any;
    expect(params.prompt).toBe('rename total to acc');
    // An empty selection sends the cursor's whole line.
    expect(params.context.range).toEqual({ start: { line: 1, character: 0 }, end: { line: 1, character: 19 } });
    expect(params.context.diagnostics).toHaveLength(1);

    stub.activeTextEditor = undefined;
    await stub.commands.get(ext.Commands.askAgent)();
    expect(stub.messages.at(-1).message).toContain('open a file');
  });

  it('stops the active turn from the command palette', async () => {
    const client = await activate();
    let cancelled = false;
    client.on(Methods.chat, (_p: unknown, token: any) => new Promise((_r, reject) => token.onCancellationRequested(() => { cancelled = true; reject({ code: -32800, message: 'cancelled' }); })));
    const turn = api.controller.send('long', null, null);
    await flush();
    await stub.commands.get(ext.Commands.stop)();
    expect((await turn).outcome).toBe('cancelled');
    expect(cancelled).toBe(true);
  });
});

describe('proposal review', () => {
  const full = {
    ...PROPOSAL,
    files: [{ ...PROPOSAL.files[0]!, baseText: 'def mean(xs):\n    total = sum(xs)\n    return total / len(xs)\n', newText: 'def mean(xs):\n    """Return the arithmetic mean of xs."""\n    total = sum(xs, 0.0)\n    return total / len(xs)\n' }],
  };

  it('opens a diff of read-only virtual documents with per-hunk CodeLens and resolves when decided', async () => {
    const client = await activate({ 'skiff.autoOpenProposals': true });
    client.on(Methods.proposal, () => full);
    client.on(Methods.resolveProposal, () => ({ status: 'applied', appliedHunks: ['h1'], rebased: false }));
    client.on(Methods.undoProposal, () => ({ status: 'undone' }));
    client.notify(Methods.update, { sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: PROPOSAL } });
    await flush();
    const diff = stub.executed.find((e: any) => e.command === 'vscode.diff');
    expect(diff).toBeTruthy();
    const [left, right, title] = diff.args;
    expect(left.toString()).toBe('skiff-proposal:/stats.py?id=a1b2c3d4e5f6&file=0&side=base');
    expect(right.toString()).toBe('skiff-proposal:/stats.py?id=a1b2c3d4e5f6&file=0&side=new');
    expect(title).toBe('stats.py (Skiff: proposed)');

    const content = stub.contentProviders.get('skiff-proposal');
    expect(await content.provideTextDocumentContent(left)).toBe(full.files[0]!.baseText);
    expect(await content.provideTextDocumentContent(right)).toBe(full.files[0]!.newText);

    const lensProvider = stub.codeLensProviders[0].provider;
    const doc = (vscode as any).makeDocument(right, full.files[0]!.newText);
    let lenses = lensProvider.provideCodeLenses(doc);
    expect(lenses.map((l: any) => l.command.title)).toEqual([
      '$(check-all) Accept all',
      '$(close-all) Reject all',
      '0/1 hunks decided',
      '$(check) Accept hunk',
      '$(close) Reject',
    ]);
    expect(lenses[3].range.start.line).toBe(1);
    expect(lenses[3].command.arguments).toEqual([PROPOSAL.id, 'h1', 'accept']);
    expect(lensProvider.provideCodeLenses((vscode as any).makeDocument(left, ''))).toEqual([]);

    stub.tabGroups = [{ tabs: [{ input: new vscode.TabInputTextDiff(left, right) }] }];
    stub.messageAnswers.push('Undo');
    await stub.commands.get(ext.Commands.decideHunk)(...lenses[3].command.arguments);
    expect(client.requests(Methods.resolveProposal)[0]!.params).toEqual({ id: PROPOSAL.id, accept: 'all' });
    expect(stub.closedTabs).toHaveLength(1);
    const info = stub.messages.find((m: any) => m.message.startsWith('Skiff: applied'));
    expect(info.message).toBe('Skiff: applied 1 of 1 hunk.');
    await flush();
    expect(client.requests(Methods.undoProposal)[0]!.params).toEqual({ id: PROPOSAL.id });
    expect(api.controller.store.state.sessions[SESSION]!.items.find((i) => i.kind === 'proposal')).toMatchObject({ proposal: { status: 'undone' } });

    lenses = lensProvider.provideCodeLenses(doc);
    expect(lenses[0].command.title).toBe('Proposal undone');
  });

  it('shows failed checks in the diff title, a warning, the CodeLens, the hunk picker and the applied message', async () => {
    const client = await activate({ 'skiff.autoOpenProposals': true, 'diffEditor.codeLens': true });
    const checked = { ...full, verification: VERIFICATION_FAILED };
    client.on(Methods.proposal, () => checked);
    client.on(Methods.resolveProposal, () => ({ status: 'applied', appliedHunks: ['h1'], rebased: false }));
    client.notify(Methods.update, { sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: { ...PROPOSAL, verification: VERIFICATION_FAILED } } });
    await flush();
    const diff = stub.executed.find((e: any) => e.command === 'vscode.diff');
    expect(diff.args[2]).toBe('stats.py (Skiff: proposed · ⚠ 1 of 4 tests failed)');
    const warned = stub.messages.filter((m: any) => m.message.includes('checks on this proposal'));
    expect(warned).toEqual([{ level: 'warning', message: 'Skiff: checks on this proposal: ⚠ 1 of 4 tests failed. Review it before accepting.', options: undefined, items: [] }]);
    // Opening it again does not warn again.
    await stub.commands.get(ext.Commands.reviewProposal)(PROPOSAL.id);
    expect(stub.messages.filter((m: any) => m.message.includes('checks on this proposal'))).toHaveLength(1);

    const right = diff.args[1];
    const lenses = stub.codeLensProviders[0].provider.provideCodeLenses((vscode as any).makeDocument(right, full.files[0]!.newText));
    expect(lenses.slice(0, 4).map((l: any) => [l.command.title, l.command.command])).toEqual([
      ['$(check-all) Accept all', ext.Commands.acceptProposal],
      ['$(close-all) Reject all', ext.Commands.rejectProposal],
      ['0/1 hunks decided', ''],
      ['⚠ 1 of 4 tests failed', ''],
    ]);

    stub.quickPickAnswers.push((items: any[]) => items);
    await stub.commands.get(ext.Commands.pickHunks)(PROPOSAL.id);
    expect(stub.quickPicks.at(-1)!.options.title).toBe('Skiff: hunks to apply (unchecked ones are dropped) · ⚠ 1 of 4 tests failed');
    expect(client.requests(Methods.resolveProposal)[0]!.params).toEqual({ id: PROPOSAL.id, accept: 'all' });
    expect(stub.messages.at(-1)).toMatchObject({ level: 'warning', message: 'Skiff: applied 1 of 1 hunk. Checks: ⚠ 1 of 4 tests failed.', items: ['Undo'] });
  });

  it('shows passing checks without a warning, and no checks when the proposal has none', async () => {
    const client = await activate({ 'diffEditor.codeLens': true });
    let proposal: any = { ...full, verification: VERIFICATION_OK };
    client.on(Methods.proposal, () => proposal);
    client.on(Methods.resolveProposal, () => ({ status: 'applied', appliedHunks: ['h1'], rebased: false }));
    await stub.commands.get(ext.Commands.reviewProposal)(PROPOSAL.id);
    expect(stub.executed.filter((e: any) => e.command === 'vscode.diff').at(-1)!.args[2]).toBe('stats.py (Skiff: proposed · ✓ syntax ok · 4 tests passed)');
    expect(stub.messages.filter((m: any) => m.level === 'warning')).toEqual([]);
    const right = vscode.Uri.parse('skiff-proposal:/stats.py?id=a1b2c3d4e5f6&file=0&side=new');
    const titles = () =>
      stub.codeLensProviders[0].provider.provideCodeLenses((vscode as any).makeDocument(right, full.files[0]!.newText)).map((l: any) => l.command.title);
    expect(titles()).toContain('✓ syntax ok · 4 tests passed');
    await stub.commands.get(ext.Commands.acceptProposal)(PROPOSAL.id);
    expect(stub.messages.at(-1)).toMatchObject({ level: 'info', message: 'Skiff: applied 1 of 1 hunk. Checks: ✓ syntax ok · 4 tests passed.' });

    proposal = full;
    await stub.commands.get(ext.Commands.reviewProposal)(PROPOSAL.id);
    expect(stub.executed.filter((e: any) => e.command === 'vscode.diff').at(-1)!.args[2]).toBe('stats.py (Skiff: proposed)');
    expect(titles().some((t: string) => t.includes('✓') || t.includes('⚠'))).toBe(false);
  });

  it('offers to turn on CodeLens in diff editors once', async () => {
    const client = await activate();
    client.on(Methods.proposal, () => full);
    stub.messageAnswers.push('Turn on');
    await stub.commands.get(ext.Commands.reviewProposal)(PROPOSAL.id);
    await flush();
    const offers = stub.messages.filter((m: any) => m.message.includes('CodeLens in diff editors'));
    expect(offers).toHaveLength(1);
    expect(stub.configUpdates).toEqual([{ key: 'diffEditor.codeLens', value: true, target: vscode.ConfigurationTarget.Global }]);
    stub.config['diffEditor.codeLens'] = false;
    await stub.commands.get(ext.Commands.reviewProposal)(PROPOSAL.id);
    await flush();
    expect(stub.messages.filter((m: any) => m.message.includes('CodeLens in diff editors'))).toHaveLength(1);
  });

  it('accepts the hunk under the cursor from the diff title bar', async () => {
    const client = await activate({ 'diffEditor.codeLens': true });
    client.on(Methods.proposal, () => full);
    client.on(Methods.resolveProposal, () => ({ status: 'applied', appliedHunks: ['h1'], rebased: false }));
    const right = vscode.Uri.parse('skiff-proposal:/stats.py?id=a1b2c3d4e5f6&file=0&side=new');
    stub.activeTextEditor = { document: (vscode as any).makeDocument(right, full.files[0]!.newText), selection: new vscode.Selection(new vscode.Position(2, 3), new vscode.Position(2, 3)) };
    await stub.commands.get(ext.Commands.acceptHunk)();
    expect(client.requests(Methods.resolveProposal)[0]!.params).toEqual({ id: PROPOSAL.id, accept: 'all' });
    stub.activeTextEditor = undefined;
    await stub.commands.get(ext.Commands.rejectHunk)();
    expect(stub.messages.at(-1).message).toContain('open a proposal diff');
  });

  it('applies only the hunks checked in the hunk picker', async () => {
    const client = await activate({ 'diffEditor.codeLens': true });
    const two = {
      ...full,
      files: [{ ...full.files[0]!, hunks: [...full.files[0]!.hunks, { id: 'h2', range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, oldText: '', newText: '# end\n' }] }],
    };
    client.on(Methods.proposal, () => two);
    client.on(Methods.resolveProposal, (p: any) => ({ status: 'partially_applied', appliedHunks: p.accept, rebased: false }));
    stub.quickPickAnswers.push((items: any[]) => items.filter((i) => i.hunkId === 'h2'));
    await stub.commands.get(ext.Commands.pickHunks)(PROPOSAL.id);
    const pick = stub.quickPicks.at(-1);
    expect(pick.options.canPickMany).toBe(true);
    expect(pick.items.map((i: any) => [i.label, i.description, i.picked])).toEqual([
      ['stats.py:2', '+2 −1', true],
      ['stats.py:5', '+1 −0', true],
    ]);
    expect(client.requests(Methods.resolveProposal)[0]!.params).toEqual({ id: PROPOSAL.id, accept: ['h2'] });
    expect(stub.messages.at(-1).message).toBe('Skiff: applied 1 of 2 hunks.');
  });

  it('rejects all from the editor title (URI argument) and from the chat button', async () => {
    const client = await activate();
    client.on(Methods.proposal, () => full);
    client.on(Methods.resolveProposal, (p: any) => ({ status: p.accept === 'none' ? 'rejected' : 'applied', appliedHunks: [], rebased: false }));
    client.notify(Methods.update, { sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: PROPOSAL } });
    const right = vscode.Uri.parse('skiff-proposal:/stats.py?id=a1b2c3d4e5f6&file=0&side=new');
    await stub.commands.get(ext.Commands.rejectProposal)(right);
    expect(client.requests(Methods.resolveProposal).at(-1)!.params).toEqual({ id: PROPOSAL.id, accept: 'none' });

    const { view, send } = fakeView();
    stub.webviewProviders.get(ext.CHAT_VIEW_ID).resolveWebviewView(view);
    send({ type: 'resolveProposal', id: 'other', accept: 'all' });
    await flush();
    expect(client.requests(Methods.resolveProposal).at(-1)!.params).toEqual({ id: 'other', accept: 'all' });
  });

  it('keeps a proposal pending when the editor refuses the edit', async () => {
    const client = await activate();
    client.on(Methods.proposal, () => full);
    client.on(Methods.resolveProposal, () => ({ status: 'pending', appliedHunks: [], rebased: false, message: 'the editor did not apply the edit: stale' }));
    await stub.commands.get(ext.Commands.reviewProposal)(PROPOSAL.id);
    await stub.commands.get(ext.Commands.decideHunk)(PROPOSAL.id, 'h1', 'reject');
    expect(client.requests(Methods.resolveProposal)[0]!.params).toEqual({ id: PROPOSAL.id, accept: 'none' });
    expect(stub.messages.at(-1)).toMatchObject({ level: 'error', message: 'Skiff: the editor did not apply the edit: stale' });
  });
});

describe('deactivation', () => {
  it('stops the language client', async () => {
    const client = await activate();
    await ext.deactivate();
    expect(client.stopped).toBe(true);
  });
});
