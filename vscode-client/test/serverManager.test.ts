/**
 * The server manager through the activated extension (recording `vscode` stub, fake language
 * client): launch, code-action middleware, workspace/configuration, permission prompts, crash
 * restarts, restart and live settings.
 */
import { describe, expect, it, vi } from 'vitest';
import * as ext from '../src/extension';
import { Commands } from '../src/commands';
import { Methods } from '../src/protocol';
import { activate, api, machine, settle, useExtensionHarness } from './extensionHarness';
import { flush, makeContext, stub } from './vscodeFixtures';
import { FakeLanguageClient, clients } from './fakeLanguageClient';
import { PROPOSAL, SESSION } from './fixtures/turn';

vi.mock('vscode-languageclient/node', () => import('./fakeLanguageClient'));

useExtensionHarness();

describe('server launch', () => {
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
    clients.length = 0;
    machine.executables.clear();
    stub.reset();
    ext.activate(makeContext());
    await settle();
    expect(clients).toHaveLength(0);
    expect(machine.installOffers).toBe(1);
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
    expect(stub.statusItems[0].command).toBe(Commands.restartServer);
    // The language client restarting brings the controller back.
    client.setState(2);
    expect(api.controller.store.state.server).toBe('running');
  });

  it('restarts on command with a fresh client and current settings', async () => {
    const first = await activate();
    stub.config['skiff.serverCommand'] = ['/opt/skiff', 'serve', '--tcp', 'x'];
    await stub.commands.get(Commands.restartServer)();
    expect(first.stopped).toBe(true);
    expect(clients).toHaveLength(2);
    expect(clients[1]!.serverOptions).toMatchObject({ command: '/opt/skiff', args: ['serve', '--tcp', 'x'] });
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

describe('ServerManager', () => {
  it('says why the server did not start and offers the settings', async () => {
    FakeLanguageClient.startError = new Error('spawn /usr/bin/skiff ENOENT');
    stub.messageAnswers.push('Open settings');
    await activate();
    expect(stub.messages[0]).toMatchObject({
      level: 'error',
      message:
        'Skiff: could not start the server (/usr/bin/skiff): spawn /usr/bin/skiff ENOENT. Check the skiff.serverCommand or skiff.pythonPath setting.',
      items: ['Open settings', 'Show output'],
    });
    expect(api.controller.store.state.server).toBe('stopped');
    expect(stub.executed).toContainEqual({ command: 'workbench.action.openSettings', args: ['skiff.'] });
  });

  it('pushes a live setting without switching models, and restarts for a server setting when asked', async () => {
    const client = await activate();
    stub.config['skiff.bash.timeout'] = 5;
    stub.fireConfigChange('skiff.bash.timeout');
    await flush();
    expect(client.notifications.at(-1)).toEqual({ method: 'workspace/didChangeConfiguration', params: { settings: { skiff: { bash: { timeout: 5 } } } } });
    expect(client.requests(Methods.setModel)).toEqual([]);

    const pushed = client.notifications.length;
    stub.messageAnswers.push('Restart');
    stub.fireConfigChange('skiff.modelsFile');
    await flush();
    await settle();
    expect(client.notifications).toHaveLength(pushed);
    expect(client.stopped).toBe(true);
    expect(clients).toHaveLength(2);
  });

  it('stops only once, and stopping without a client does nothing', async () => {
    const client = await activate();
    await api.server.stop();
    expect(client.stopped).toBe(true);
    expect(api.server.client).toBeNull();
    expect(api.server.api).toBeNull();
    await api.server.stop();
    expect(api.controller.store.state.server).toBe('stopped');
  });
});
