/**
 * Proposal review in the diff editor through the activated extension: virtual documents, CodeLens,
 * title-bar hunk commands, the hunk picker, checks, resolve and undo.
 */
import { describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { ChatController } from '../src/chatController';
import { CHAT_VIEW_ID, Commands } from '../src/commands';
import { ProposalReviewer } from '../src/proposalReviewer';
import { Methods } from '../src/protocol';
import { activate, api, useExtensionHarness } from './extensionHarness';
import { fakeView, flush, stub } from './vscodeFixtures';
import { PROPOSAL, SESSION, VERIFICATION_FAILED, VERIFICATION_OK } from './fixtures/turn';

vi.mock('vscode-languageclient/node', () => import('./fakeLanguageClient'));

useExtensionHarness();

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
    await stub.commands.get(Commands.decideHunk)(...lenses[3].command.arguments);
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
    await stub.commands.get(Commands.reviewProposal)(PROPOSAL.id);
    expect(stub.messages.filter((m: any) => m.message.includes('checks on this proposal'))).toHaveLength(1);

    const right = diff.args[1];
    const lenses = stub.codeLensProviders[0].provider.provideCodeLenses((vscode as any).makeDocument(right, full.files[0]!.newText));
    expect(lenses.slice(0, 4).map((l: any) => [l.command.title, l.command.command])).toEqual([
      ['$(check-all) Accept all', Commands.acceptProposal],
      ['$(close-all) Reject all', Commands.rejectProposal],
      ['0/1 hunks decided', ''],
      ['⚠ 1 of 4 tests failed', ''],
    ]);

    stub.quickPickAnswers.push((items: any[]) => items);
    await stub.commands.get(Commands.pickHunks)(PROPOSAL.id);
    expect(stub.quickPicks.at(-1)!.options.title).toBe('Skiff: hunks to apply (unchecked ones are dropped) · ⚠ 1 of 4 tests failed');
    expect(client.requests(Methods.resolveProposal)[0]!.params).toEqual({ id: PROPOSAL.id, accept: 'all' });
    expect(stub.messages.at(-1)).toMatchObject({ level: 'warning', message: 'Skiff: applied 1 of 1 hunk. Checks: ⚠ 1 of 4 tests failed.', items: ['Undo'] });
  });

  it('shows passing checks without a warning, and no checks when the proposal has none', async () => {
    const client = await activate({ 'diffEditor.codeLens': true });
    let proposal: any = { ...full, verification: VERIFICATION_OK };
    client.on(Methods.proposal, () => proposal);
    client.on(Methods.resolveProposal, () => ({ status: 'applied', appliedHunks: ['h1'], rebased: false }));
    await stub.commands.get(Commands.reviewProposal)(PROPOSAL.id);
    expect(stub.executed.filter((e: any) => e.command === 'vscode.diff').at(-1)!.args[2]).toBe('stats.py (Skiff: proposed · ✓ syntax ok · 4 tests passed)');
    expect(stub.messages.filter((m: any) => m.level === 'warning')).toEqual([]);
    const right = vscode.Uri.parse('skiff-proposal:/stats.py?id=a1b2c3d4e5f6&file=0&side=new');
    const titles = () =>
      stub.codeLensProviders[0].provider.provideCodeLenses((vscode as any).makeDocument(right, full.files[0]!.newText)).map((l: any) => l.command.title);
    expect(titles()).toContain('✓ syntax ok · 4 tests passed');
    await stub.commands.get(Commands.acceptProposal)(PROPOSAL.id);
    expect(stub.messages.at(-1)).toMatchObject({ level: 'info', message: 'Skiff: applied 1 of 1 hunk. Checks: ✓ syntax ok · 4 tests passed.' });

    proposal = full;
    await stub.commands.get(Commands.reviewProposal)(PROPOSAL.id);
    expect(stub.executed.filter((e: any) => e.command === 'vscode.diff').at(-1)!.args[2]).toBe('stats.py (Skiff: proposed)');
    expect(titles().some((t: string) => t.includes('✓') || t.includes('⚠'))).toBe(false);
  });

  it('offers to turn on CodeLens in diff editors once', async () => {
    const client = await activate();
    client.on(Methods.proposal, () => full);
    stub.messageAnswers.push('Turn on');
    await stub.commands.get(Commands.reviewProposal)(PROPOSAL.id);
    await flush();
    const offers = stub.messages.filter((m: any) => m.message.includes('CodeLens in diff editors'));
    expect(offers).toHaveLength(1);
    expect(stub.configUpdates).toEqual([{ key: 'diffEditor.codeLens', value: true, target: vscode.ConfigurationTarget.Global }]);
    stub.config['diffEditor.codeLens'] = false;
    await stub.commands.get(Commands.reviewProposal)(PROPOSAL.id);
    await flush();
    expect(stub.messages.filter((m: any) => m.message.includes('CodeLens in diff editors'))).toHaveLength(1);
  });

  it('accepts the hunk under the cursor from the diff title bar', async () => {
    const client = await activate({ 'diffEditor.codeLens': true });
    client.on(Methods.proposal, () => full);
    client.on(Methods.resolveProposal, () => ({ status: 'applied', appliedHunks: ['h1'], rebased: false }));
    const right = vscode.Uri.parse('skiff-proposal:/stats.py?id=a1b2c3d4e5f6&file=0&side=new');
    stub.activeTextEditor = { document: (vscode as any).makeDocument(right, full.files[0]!.newText), selection: new vscode.Selection(new vscode.Position(2, 3), new vscode.Position(2, 3)) };
    await stub.commands.get(Commands.acceptHunk)();
    expect(client.requests(Methods.resolveProposal)[0]!.params).toEqual({ id: PROPOSAL.id, accept: 'all' });
    stub.activeTextEditor = undefined;
    await stub.commands.get(Commands.rejectHunk)();
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
    await stub.commands.get(Commands.pickHunks)(PROPOSAL.id);
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
    await stub.commands.get(Commands.rejectProposal)(right);
    expect(client.requests(Methods.resolveProposal).at(-1)!.params).toEqual({ id: PROPOSAL.id, accept: 'none' });

    const { view, send } = fakeView();
    stub.webviewProviders.get(CHAT_VIEW_ID).resolveWebviewView(view);
    send({ type: 'resolveProposal', id: 'other', accept: 'all' });
    await flush();
    expect(client.requests(Methods.resolveProposal).at(-1)!.params).toEqual({ id: 'other', accept: 'all' });
  });

  it('keeps a proposal pending when the editor refuses the edit', async () => {
    const client = await activate();
    client.on(Methods.proposal, () => full);
    client.on(Methods.resolveProposal, () => ({ status: 'pending', appliedHunks: [], rebased: false, message: 'the editor did not apply the edit: stale' }));
    await stub.commands.get(Commands.reviewProposal)(PROPOSAL.id);
    await stub.commands.get(Commands.decideHunk)(PROPOSAL.id, 'h1', 'reject');
    expect(client.requests(Methods.resolveProposal)[0]!.params).toEqual({ id: PROPOSAL.id, accept: 'none' });
    expect(stub.messages.at(-1)).toMatchObject({ level: 'error', message: 'Skiff: the editor did not apply the edit: stale' });
  });
});

describe('ProposalReviewer', () => {
  const make = () => {
    const controller = new ChatController({ post: () => undefined, showError: () => undefined });
    const log = vscode.window.createOutputChannel('test');
    return { controller, reviewer: new ProposalReviewer(controller, () => null, log) };
  };

  it('says so when the server is not there to load a proposal from', async () => {
    const { reviewer } = make();
    await reviewer.open('p9');
    await reviewer.pickHunks('p9');
    expect(stub.messages.map((m: any) => [m.level, m.message])).toEqual([
      ['error', 'Skiff: could not load proposal p9: the Skiff server is not running'],
      ['error', 'Skiff: could not load proposal p9: the Skiff server is not running'],
    ]);
    expect(stub.executed).toEqual([]);
  });

  it('asks for a proposal diff, an applied proposal to undo, and serves nothing for a foreign URI', async () => {
    const { reviewer } = make();
    await reviewer.decideAtCursor('accept');
    expect(stub.messages.at(-1).message).toBe('Skiff: open a proposal diff and put the cursor in a hunk.');
    await reviewer.undo();
    expect(stub.messages.at(-1).message).toBe('Skiff: no applied proposal to undo.');
    expect(await reviewer.provideTextDocumentContent(vscode.Uri.parse('skiff-proposal:/stats.py'))).toBe('');
    expect(reviewer.provideCodeLenses((vscode as any).makeDocument(vscode.Uri.parse('skiff-proposal:/stats.py?id=p&file=0&side=new'), 'x'))).toEqual([]);
  });

  it('refreshes the lenses when a proposal arrives or changes status, until disposed', () => {
    const { controller, reviewer } = make();
    let refreshed = 0;
    reviewer.onDidChangeCodeLenses(() => refreshed++);
    controller.dispatch({ type: 'update', params: { sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: PROPOSAL } } as any });
    controller.dispatch({ type: 'proposalStatus', id: PROPOSAL.id, status: 'rejected' });
    controller.dispatch({ type: 'server', state: 'running' });
    expect(refreshed).toBe(2);
    reviewer.dispose();
    controller.dispatch({ type: 'proposalStatus', id: PROPOSAL.id, status: 'pending' });
    expect(refreshed).toBe(2);
  });
});
