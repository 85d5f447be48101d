/** The palette commands that take more than one call, through the activated extension. */
import { describe, expect, it, vi } from 'vitest';
import { Commands } from '../src/commands';
import { Methods } from '../src/protocol';
import { activate, api, flush, setEditor, stub, useExtensionHarness } from './extensionHarness';

vi.mock('vscode-languageclient/node', () => import('./fakeLanguageClient'));

useExtensionHarness();

describe('commands', () => {
  it('"Ask agent" sends the selection with an instruction from an input box', async () => {
    const client = await activate();
    setEditor([1, 0, 1, 0]);
    client.on(Methods.chat, async () => ({ sessionId: 'x1', stopReason: 'end_turn' }));
    stub.inputBoxAnswers.push('  rename total to acc ');
    await stub.commands.get(Commands.askAgent)();
    expect(stub.inputBoxes[0].title).toBe('Ask Skiff about stats.py:2');
    const params = client.requests(Methods.chat)[0]!.params as any;
    expect(params.prompt).toBe('rename total to acc');
    // An empty selection sends the cursor's whole line.
    expect(params.context.range).toEqual({ start: { line: 1, character: 0 }, end: { line: 1, character: 19 } });
    expect(params.context.diagnostics).toHaveLength(1);

    stub.activeTextEditor = undefined;
    await stub.commands.get(Commands.askAgent)();
    expect(stub.messages.at(-1).message).toContain('open a file');
  });

  it('stops the active turn from the command palette', async () => {
    const client = await activate();
    let cancelled = false;
    client.on(Methods.chat, (_p: unknown, token: any) => new Promise((_r, reject) => token.onCancellationRequested(() => { cancelled = true; reject({ code: -32800, message: 'cancelled' }); })));
    const turn = api.controller.send('long', null, null);
    await flush();
    await stub.commands.get(Commands.stop)();
    expect((await turn).outcome).toBe('cancelled');
    expect(cancelled).toBe(true);
  });
});
