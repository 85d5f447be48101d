/** The palette commands that take more than one call, through the activated extension. */
import { describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { ChatController } from '../src/chatController';
import { pickProposal, selectModel } from '../src/commandHandlers';
import { Commands } from '../src/commands';
import { Methods } from '../src/protocol';
import { SkiffApi } from '../src/skiffApi';
import { FakeConnection } from './fakeConnection';
import { PROPOSAL, SESSION } from './fixtures/turn';
import { activate, api, useExtensionHarness } from './extensionHarness';
import { flush, setEditor, stub } from './vscodeFixtures';

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

describe('pickProposal', () => {
  const pending = (status: string) => status === 'pending';
  const withProposals = (...proposals: (typeof PROPOSAL)[]) => {
    const controller = new ChatController({ post: () => undefined, showError: () => undefined });
    for (const proposal of proposals) controller.dispatch({ type: 'update', params: { sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal } } as any });
    return controller;
  };

  it('takes an id, a proposal URI or the proposal diff in the active editor without asking', async () => {
    const controller = withProposals();
    expect(await pickProposal(controller, 'p1', pending)).toBe('p1');
    const uri = vscode.Uri.parse('skiff-proposal:/stats.py?id=p2&file=0&side=new');
    expect(await pickProposal(controller, uri, pending)).toBe('p2');
    stub.activeTextEditor = { document: (vscode as any).makeDocument(vscode.Uri.parse('skiff-proposal:/a.py?id=p3&file=0&side=base'), '') };
    expect(await pickProposal(controller, undefined, pending)).toBe('p3');
    expect(stub.quickPicks).toEqual([]);
  });

  it('says when no chat proposal matches, takes the only one, and lists several', async () => {
    expect(await pickProposal(withProposals({ ...PROPOSAL, status: 'applied' }), undefined, pending)).toBeUndefined();
    expect(stub.messages.at(-1)).toMatchObject({ level: 'info', message: 'Skiff: no matching proposal.' });
    expect(await pickProposal(withProposals(PROPOSAL), undefined, pending)).toBe(PROPOSAL.id);
    expect(stub.quickPicks).toEqual([]);

    const other = { ...PROPOSAL, id: 'b2', summary: undefined as unknown as string, files: [{ ...PROPOSAL.files[0]!, path: 'util.py' }] };
    stub.quickPickAnswers.push((items: any[]) => items[1]);
    expect(await pickProposal(withProposals(PROPOSAL, other), undefined, pending)).toBe('b2');
    const pick = stub.quickPicks.at(-1)!;
    expect(pick.options).toEqual({ title: 'Skiff proposals' });
    expect(pick.items.map((i: any) => [i.label, i.description, i.id])).toEqual([
      ['stats.py', PROPOSAL.summary, PROPOSAL.id],
      ['util.py', '', 'b2'],
    ]);
    expect(pick.items[0].detail).toContain('pending');
  });
});

describe('selectModel', () => {
  const models = { current: 'local/a', models: [{ id: 'local/a', provider: 'local', name: 'Model A', contextWindow: 8192 }, { id: 'local/b' }] };

  it('needs a running server and reports a failed listing', async () => {
    const controller = new ChatController({ post: () => undefined, showError: () => undefined });
    await selectModel(controller, null);
    expect(stub.messages.at(-1)).toMatchObject({ level: 'error', message: 'Skiff: the server is not running.' });
    const broken = new SkiffApi(new FakeConnection());
    await selectModel(controller, broken);
    expect(stub.messages.at(-1)!.message).toMatch(/^Skiff: could not list models: /);
    expect(stub.quickPicks).toEqual([]);
  });

  it('lists the models with the current one checked and switches to the picked one', async () => {
    const conn = new FakeConnection().on(Methods.models, () => models).on(Methods.setModel, (p: { model: string }) => ({ model: p.model }));
    conn.on(Methods.status, () => ({ model: 'local/b', busy: false }));
    const api = new SkiffApi(conn);
    const controller = new ChatController({ post: () => undefined, showError: () => undefined });
    controller.attach(api);
    stub.quickPickAnswers.push((items: any[]) => items[1]);
    await selectModel(controller, api);
    const pick = stub.quickPicks.at(-1)!;
    expect(pick.options).toEqual({ title: 'Skiff: select model', placeHolder: 'local/a' });
    expect(pick.items.map((i: any) => [i.label, i.description, i.detail])).toEqual([
      ['$(check) a', 'local', 'Model A — 8192 tokens context'],
      ['b', '', ''],
    ]);
    expect(conn.requests(Methods.setModel)[0]!.params).toEqual({ model: 'local/b' });
    expect(controller.store.state.currentModel).toBe('local/b');
  });
});
