import { describe, expect, it, vi } from 'vitest';
import { ChatController, type ChatHost } from '../src/chatController';
import { Methods } from '../src/protocol';
import { SkiffApi, TokenSource } from '../src/skiffApi';
import type { ToWebview } from '../src/webview/messages';
import { FakeConnection, cancelledBy } from './fakeConnection';
import { PROPOSAL, SESSION, TURN } from './fixtures/turn';

function setup(hostExtra: Partial<ChatHost> = {}) {
  const conn = new FakeConnection()
    .on(Methods.sessions, () => ({ sessions: [] }))
    .on(Methods.status, () => ({ model: 'test/scripted', busy: false, tokensPerSecond: 5 }))
    .on(Methods.models, () => ({ current: 'test/scripted', models: [{ id: 'test/scripted' }, { id: 'test/other' }] }));
  const posted: ToWebview[] = [];
  const errors: string[] = [];
  const host: ChatHost = { post: (m) => posted.push(m), showError: (m) => errors.push(m), ...hostExtra };
  const controller = new ChatController(host);
  controller.attach(new SkiffApi(conn));
  return { conn, posted, errors, controller };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('ChatController', () => {
  it('posts a snapshot and refreshes models, sessions and status when the webview is ready', async () => {
    const { conn, posted, controller } = setup();
    await controller.handleMessage({ type: 'ready' });
    expect(posted.find((m) => m.type === 'snapshot')).toBeTruthy();
    expect(conn.sent.map((r) => r.method).sort()).toEqual([Methods.models, Methods.sessions, Methods.status].sort());
    expect(controller.store.state.currentModel).toBe('test/scripted');
    expect(controller.store.state.models).toHaveLength(2);
    expect(controller.store.state.server).toBe('running');
  });

  it('sends a prompt with the editor context, streams updates and ends the turn', async () => {
    const { conn, controller, posted } = setup({
      editorContext: () => ({ uri: 'file:///d/stats.py', range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } }, label: 'stats.py:1-2' }),
    });
    conn.on(Methods.chat, async () => {
      for (const params of TURN) conn.notify(Methods.update, params);
      return { sessionId: SESSION, stopReason: 'end_turn', proposalIds: [PROPOSAL.id], usage: { promptTokens: 812, completionTokens: 64, tokensPerSecond: 14.2 } };
    });
    await controller.handleMessage({ type: 'send', text: 'add a docstring', sessionId: null });
    const chat = conn.requests(Methods.chat)[0]!;
    expect(chat.params).toEqual({ prompt: 'add a docstring', context: { uri: 'file:///d/stats.py', range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } } } });
    const state = controller.store.state;
    expect(state.activeId).toBe(SESSION);
    const s = state.sessions[SESSION]!;
    expect(s.busy).toBe(false);
    expect(s.items[0]).toMatchObject({ kind: 'user', context: 'stats.py:1-2' });
    expect(s.items.map((i) => i.kind)).toContain('proposal');
    expect(posted.filter((m) => m.type === 'update')).toHaveLength(TURN.length);
    // A follow-up prompt goes to the same session.
    await controller.send('thanks', SESSION, null);
    expect(conn.requests(Methods.chat)[1]!.params).toEqual({ prompt: 'thanks', sessionId: SESSION });
  });

  it('stops its own turn with $/cancelRequest (token) and shows it as stopped', async () => {
    const { conn, controller } = setup();
    conn.on(Methods.chat, (_p, token) => {
      conn.notify(Methods.update, { sessionId: 'slow', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'lorem' } } });
      return cancelledBy(token);
    });
    const turn = controller.send('write a lot', null, null);
    await flush();
    expect(controller.store.state.sessions.slow?.busy).toBe(true);
    await controller.handleMessage({ type: 'cancel', sessionId: 'slow' });
    const end = await turn;
    expect(end.outcome).toBe('cancelled');
    expect(conn.requests(Methods.cancel)).toHaveLength(0);
    const s = controller.store.state.sessions.slow!;
    expect(s.busy).toBe(false);
    expect(s.items.at(-1)).toMatchObject({ kind: 'notice', text: 'Stopped.' });
    expect(controller.running).toBe(0);
  });

  it('stops a turn it does not own (a code action) with skiff/cancel', async () => {
    const { conn, controller } = setup();
    conn.on(Methods.cancel, () => ({ cancelled: true }));
    controller.onUpdate({ sessionId: 'bg', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'x' } } });
    await controller.handleMessage({ type: 'cancel', sessionId: 'bg' });
    expect(conn.requests(Methods.cancel)[0]!.params).toEqual({ sessionId: 'bg' });
  });

  it('refreshes the session list after a background turn reports usage', async () => {
    vi.useFakeTimers();
    try {
      const { conn, controller } = setup();
      conn.on(Methods.sessions, () => ({ sessions: [{ sessionId: 'bg', title: 'Fix it', busy: false }] }));
      controller.onUpdate({ sessionId: 'bg', update: { sessionUpdate: 'usage', promptTokens: 1, completionTokens: 1 } });
      expect(controller.store.state.sessions.bg!.busy).toBe(true);
      await vi.advanceTimersByTimeAsync(400);
      expect(controller.store.state.sessions.bg).toMatchObject({ busy: false, title: 'Fix it' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports a busy session and other errors without breaking the session', async () => {
    const { conn, controller, errors } = setup();
    conn.on(Methods.chat, () => Promise.reject({ code: -32002, message: 'session busy' }));
    const end = await controller.send('x', null, null);
    expect(end.outcome).toBe('error');
    const s = Object.values(controller.store.state.sessions)[0]!;
    expect(s.items.at(-1)).toMatchObject({ kind: 'error', message: 'the session is busy' });
    expect(errors).toEqual([]);
    // A second send while busy is refused locally.
    conn.on(Methods.chat, () => new Promise(() => undefined));
    void controller.send('y', s.id, null);
    await controller.send('z', s.id, null);
    expect(errors[0]).toContain('still working');
  });

  it('loads history when a session without items is selected', async () => {
    const { conn, controller } = setup();
    conn.on(Methods.sessions, () => ({ sessions: [{ sessionId: 'old', title: 'Old' }] }));
    conn.on(Methods.session, () => ({ sessionId: 'old', messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'hi!' }] }));
    await controller.handleMessage({ type: 'refreshSessions' });
    await controller.handleMessage({ type: 'selectSession', sessionId: 'old' });
    expect(controller.store.state.activeId).toBe('old');
    expect(controller.store.state.sessions.old!.items.map((i) => i.kind)).toEqual(['user', 'assistant']);
    await controller.handleMessage({ type: 'selectSession', sessionId: 'old' });
    expect(conn.requests(Methods.session)).toHaveLength(1);
    await controller.handleMessage({ type: 'newChat' });
    expect(controller.store.state.activeId).toBeNull();
  });

  it('switches models and reports unknown ones', async () => {
    const chosen: string[] = [];
    const { conn, controller, errors } = setup({ onModelChosen: (m) => chosen.push(m) });
    let current = 'test/scripted';
    conn.on(Methods.status, () => ({ model: current }));
    conn.on(Methods.setModel, (p: { model: string }) => {
      if (p.model === 'nope/x') throw { code: -32602, message: "unknown model 'nope/x'" };
      current = p.model;
      return { model: p.model };
    });
    await controller.handleMessage({ type: 'setModel', model: 'test/other' });
    expect(controller.store.state.currentModel).toBe('test/other');
    expect(chosen).toEqual(['test/other']);
    expect(await controller.setModel('nope/x')).toBe(false);
    expect(errors[0]).toContain("unknown model 'nope/x'");
  });

  it('resolves and undoes proposals, updating their status', async () => {
    const { conn, controller, errors } = setup();
    controller.onUpdate({ sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: PROPOSAL } });
    conn.on(Methods.resolveProposal, () => ({ status: 'applied', appliedHunks: ['h1'], rebased: false }));
    conn.on(Methods.undoProposal, () => ({ status: 'undone' }));
    await controller.handleMessage({ type: 'resolveProposal', id: PROPOSAL.id, accept: 'all' });
    expect(conn.requests(Methods.resolveProposal)[0]!.params).toEqual({ id: PROPOSAL.id, accept: 'all' });
    const proposal = () => controller.store.state.sessions[SESSION]!.items.find((i) => i.kind === 'proposal');
    expect(proposal()).toMatchObject({ proposal: { status: 'applied' } });
    await controller.handleMessage({ type: 'undoProposal', id: PROPOSAL.id });
    expect(proposal()).toMatchObject({ proposal: { status: 'undone' } });
    conn.on(Methods.undoProposal, () => Promise.reject({ code: -32803, message: 'the text was edited since' }));
    expect(await controller.undoProposal(PROPOSAL.id)).toBeNull();
    expect(errors[0]).toContain('the text was edited since');
  });

  it('keeps a proposal pending and shows why when a hunk no longer fits (status conflict)', async () => {
    const { conn, controller, errors } = setup();
    controller.onUpdate({ sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: PROPOSAL } });
    const reason = 'the lines around the insertion or the context you reviewed around them were edited';
    conn.on(Methods.resolveProposal, () => ({
      status: 'conflict',
      appliedHunks: [],
      rebased: false,
      conflicts: [{ path: 'stats.py', hunk: 'h1', reason }],
      message: `nothing was applied: hunk h1 of stats.py: ${reason}`,
    }));
    const result = await controller.resolveProposal(PROPOSAL.id, 'all');
    expect(result?.conflicts?.[0]?.hunk).toBe('h1');
    const proposal = controller.store.state.sessions[SESSION]!.items.find((i) => i.kind === 'proposal');
    expect(proposal).toMatchObject({ proposal: { status: 'pending' } });
    expect(errors[0]).toContain('hunk h1 of stats.py');
  });

  it('lets the host take over proposal buttons and hears about new proposals', async () => {
    const seen: string[] = [];
    const { controller } = setup({
      resolveProposal: async (id, accept) => void seen.push(`resolve ${id} ${accept}`),
      undoProposal: async (id) => void seen.push(`undo ${id}`),
      onProposal: (p) => seen.push(`new ${p.id}`),
    });
    controller.onUpdate({ sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: PROPOSAL } });
    await controller.handleMessage({ type: 'resolveProposal', id: 'p', accept: 'none' });
    await controller.handleMessage({ type: 'undoProposal', id: 'p' });
    expect(seen).toEqual([`new ${PROPOSAL.id}`, 'resolve p none', 'undo p']);
  });

  it('ends running turns when the server goes away and refuses to send while detached', async () => {
    const { conn, controller, errors } = setup();
    conn.on(Methods.chat, (_p, token) => cancelledBy(token));
    const turn = controller.send('x', null, null);
    controller.detach('stopped');
    expect((await turn).outcome).toBe('cancelled');
    expect(controller.store.state.server).toBe('stopped');
    expect(Object.values(controller.store.state.sessions).every((s) => !s.busy)).toBe(true);
    await controller.send('y', null, null);
    expect(errors.at(-1)).toContain('not running');
    expect(conn.notificationHandlers.size).toBe(0);
  });
});

describe('TokenSource', () => {
  it('notifies listeners once, immediately for late subscribers', () => {
    const source = new TokenSource();
    const calls: string[] = [];
    const sub = source.token.onCancellationRequested(() => calls.push('a'));
    source.token.onCancellationRequested(() => calls.push('b'));
    sub.dispose();
    source.cancel();
    source.cancel();
    source.token.onCancellationRequested(() => calls.push('late'));
    expect(calls).toEqual(['b', 'late']);
    expect(source.token.isCancellationRequested).toBe(true);
  });
});
