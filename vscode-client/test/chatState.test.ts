import { describe, expect, it } from 'vitest';
import { type ChatAction, type ChatItem, type ChatState, ChatStore, activeSession, findProposal, initialState, isBusy, reduce } from '../src/chatState';
import type { UpdateParams } from '../src/protocol';
import { PROPOSAL, SESSION, TURN } from './fixtures/turn';

const run = (actions: ChatAction[], state: ChatState = initialState()) => actions.reduce(reduce, state);
const updates = (params: UpdateParams[]): ChatAction[] => params.map((p) => ({ type: 'update', params: p }));
const kinds = (items: ChatItem[]) => items.map((i) => i.kind);

describe('chat reducer', () => {
  it('reduces a whole recorded turn into a render model', () => {
    const state = run([{ type: 'prompt', sessionId: null, localId: 'local-1', text: 'add a docstring to mean()' }, ...updates(TURN)]);
    expect(Object.keys(state.sessions)).toEqual([SESSION]);
    expect(state.activeId).toBe(SESSION);
    const session = state.sessions[SESSION]!;
    expect(session.title).toBe('add a docstring to mean()');
    expect(kinds(session.items)).toEqual(['user', 'thought', 'tool', 'mechanism', 'tool', 'proposal', 'assistant']);
    const thought = session.items[1] as Extract<ChatItem, { kind: 'thought' }>;
    expect(thought.text).toBe('The user wants a docstring on mean(). I should read stats.py first.');
    const read = session.items[2] as Extract<ChatItem, { kind: 'tool' }>;
    expect(read).toMatchObject({ toolCallId: 'call_1_0', status: 'completed', toolKind: 'read', title: 'read stats.py' });
    expect(read.output).toContain('def mean(xs):');
    const assistant = session.items[6] as Extract<ChatItem, { kind: 'assistant' }>;
    expect(assistant.text.startsWith('I added a **docstring**')).toBe(true);
    expect(assistant.text).toContain('```python');
    expect(session.usage).toMatchObject({ promptTokens: 812, tokensPerSecond: 14.2, contextLimit: 4096 });
    expect(state.lastUsage?.tokensPerSecond).toBe(14.2);
    expect(session.busy).toBe(true);
    expect(isBusy(state)).toBe(true);
    expect(findProposal(state, PROPOSAL.id)?.files[0]?.path).toBe('stats.py');
  });

  it('ends a turn, renaming the local session when the result names it', () => {
    let state = run([{ type: 'prompt', sessionId: null, localId: 'local-7', text: 'hi' }]);
    expect(state.sessions['local-7']?.pendingLocal).toBe(true);
    state = reduce(state, {
      type: 'turnEnded',
      sessionId: 'abc',
      localId: 'local-7',
      outcome: 'done',
      result: { sessionId: 'abc', stopReason: 'end_turn', usage: { tokensPerSecond: 9 } },
    });
    expect(Object.keys(state.sessions)).toEqual(['abc']);
    expect(state.activeId).toBe('abc');
    expect(state.sessions.abc).toMatchObject({ busy: false, pendingLocal: false, localTurn: false });
    expect(state.lastUsage?.tokensPerSecond).toBe(9);
  });

  it('marks a cancelled turn and keeps a never-named session pending for the next prompt', () => {
    let state = run([
      { type: 'prompt', sessionId: null, localId: 'local-1', text: 'long' },
      { type: 'turnEnded', sessionId: null, localId: 'local-1', outcome: 'cancelled' },
    ]);
    const s = state.sessions['local-1']!;
    expect(s.busy).toBe(false);
    expect(s.pendingLocal).toBe(true);
    expect(s.items.at(-1)).toMatchObject({ kind: 'notice', text: 'Stopped.' });
    state = reduce(state, { type: 'prompt', sessionId: null, localId: 'local-1', text: 'again' });
    state = reduce(state, { type: 'update', params: { sessionId: 'srv', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'ok' } } } });
    expect(Object.keys(state.sessions)).toEqual(['srv']);
    expect(kinds(state.sessions.srv!.items)).toEqual(['user', 'notice', 'user', 'assistant']);
  });

  it('reports a failed request as an error item', () => {
    const state = run([
      { type: 'prompt', sessionId: null, localId: 'l', text: 'x' },
      { type: 'turnEnded', sessionId: null, localId: 'l', outcome: 'error', message: 'session busy' },
    ]);
    expect(state.sessions.l!.items.at(-1)).toMatchObject({ kind: 'error', message: 'session busy' });
  });

  it('shows why a turn failed once, from the error update or else from the result', () => {
    const failure = 'cannot reach the model server at http://127.0.0.1:11434/v1/chat/completions Fix: start Ollama';
    const result = { sessionId: 's', stopReason: 'error', error: failure };
    let state = run([
      { type: 'prompt', sessionId: null, localId: 'l', text: 'x' },
      { type: 'update', params: { sessionId: 's', update: { sessionUpdate: 'error', message: failure } } },
      { type: 'turnEnded', sessionId: 's', localId: 'l', outcome: 'done', result },
    ]);
    expect(kinds(state.sessions.s!.items)).toEqual(['user', 'error']);
    expect(state.sessions.s!.items.at(-1)).toMatchObject({ kind: 'error', message: failure });
    state = run([
      { type: 'prompt', sessionId: 's', text: 'again' },
      { type: 'turnEnded', sessionId: 's', outcome: 'done', result },
    ], state);
    expect(kinds(state.sessions.s!.items)).toEqual(['user', 'error', 'user', 'error']);
  });

  it('adds updates of unknown sessions as background sessions without stealing the view', () => {
    let state = run([{ type: 'select', sessionId: null }]);
    state = reduce(state, { type: 'update', params: { sessionId: 'bg', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'x' } } } });
    expect(state.sessions.bg).toMatchObject({ title: 'Background task', busy: true });
    expect(state.activeId).toBeNull();
    state = reduce(state, { type: 'sessions', sessions: [{ sessionId: 'bg', title: 'Fix it', busy: false }] });
    expect(state.sessions.bg).toMatchObject({ title: 'Fix it', busy: false });
    state = reduce(state, { type: 'track', sessionId: 'bg' });
    expect(state.activeId).toBe('bg');
  });

  it('keeps local busy state when a session list arrives mid-turn', () => {
    let state = run([{ type: 'prompt', sessionId: null, localId: 'l', text: 'x' }, ...updates([{ sessionId: 's', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'a' } } }])]);
    state = reduce(state, { type: 'sessions', sessions: [{ sessionId: 's', title: 'x', busy: false }, { sessionId: 'old', title: 'Old one', turns: 3 }] });
    expect(state.sessions.s!.busy).toBe(true);
    expect(state.sessions.old).toMatchObject({ title: 'Old one', turns: 3, items: [] });
    expect(state.order[0]).toBe('s');
  });

  it('merges tool call updates and replaces a re-sent proposal in place', () => {
    let state = run(updates(TURN));
    const count = state.sessions[SESSION]!.items.length;
    state = reduce(state, {
      type: 'update',
      params: { sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: { ...PROPOSAL, status: 'applied' } } },
    });
    expect(state.sessions[SESSION]!.items.length).toBe(count);
    expect(findProposal(state, PROPOSAL.id)?.status).toBe('applied');
    state = reduce(state, { type: 'proposalStatus', id: PROPOSAL.id, status: 'undone' });
    expect(findProposal(state, PROPOSAL.id)?.status).toBe('undone');
    // A tool_call_update for an unknown id still shows up.
    state = reduce(state, { type: 'update', params: { sessionId: SESSION, update: { sessionUpdate: 'tool_call_update', toolCallId: 'zz', status: 'failed' } } });
    expect(state.sessions[SESSION]!.items.at(-1)).toMatchObject({ kind: 'tool', toolCallId: 'zz', status: 'failed' });
  });

  it('handles plans, errors and unknown update kinds', () => {
    let state = run(
      updates([
        { sessionId: 's', update: { sessionUpdate: 'plan', entries: [{ content: 'read', status: 'in_progress' }] } },
        { sessionId: 's', update: { sessionUpdate: 'plan', entries: [{ content: 'read', status: 'completed' }, { content: 'edit', status: 'pending' }] } },
        { sessionId: 's', update: { sessionUpdate: 'error', message: 'model server unreachable' } },
      ]),
    );
    const items = state.sessions.s!.items;
    expect(kinds(items)).toEqual(['plan', 'error']);
    expect((items[0] as Extract<ChatItem, { kind: 'plan' }>).entries).toHaveLength(2);
    const before = state;
    state = reduce(state, { type: 'update', params: { sessionId: 's', update: { sessionUpdate: 'future_kind' } as never } });
    expect(state.sessions.s!.items).toEqual(before.sessions.s!.items);
  });

  it('builds items from skiff/session history only for sessions without live items', () => {
    let state = reduce(initialState(), {
      type: 'history',
      history: {
        sessionId: 'h',
        title: 'add a docstring to mean()',
        model: 'embedded/smollm2-135m',
        messages: [
          { role: 'user', content: 'add a docstring to mean()' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_1_0', name: 'read', arguments: { path: 'stats.py' } }] },
          { role: 'tool', content: '   1| def mean(xs):', toolCallId: 'call_1_0' },
          { role: 'assistant', content: 'Added a docstring.' },
        ],
        proposals: [{ id: 'p1', status: 'pending' }],
      },
    });
    const items = state.sessions.h!.items;
    expect(kinds(items)).toEqual(['user', 'tool', 'assistant', 'proposal']);
    expect(items[1]).toMatchObject({ title: 'read', output: '   1| def mean(xs):', status: 'completed' });
    const again = reduce(state, { type: 'history', history: { sessionId: 'h', messages: [] } });
    expect(again.sessions.h!.items).toBe(items);
    state = reduce(state, { type: 'select', sessionId: 'h' });
    expect(activeSession(state)?.id).toBe('h');
  });

  it('is pure: never mutates the previous state', () => {
    const s0 = run([{ type: 'prompt', sessionId: null, localId: 'l', text: 'x' }]);
    const frozen = JSON.stringify(s0);
    run(updates(TURN), s0);
    expect(JSON.stringify(s0)).toBe(frozen);
  });

  it('gives the same state when the actions are replayed (extension and webview agree)', () => {
    const actions: ChatAction[] = [{ type: 'prompt', sessionId: null, localId: 'l', text: 'x' }, ...updates(TURN), { type: 'turnEnded', sessionId: SESSION, localId: 'l', outcome: 'done' }];
    expect(run(actions)).toEqual(run(actions));
    const state = run(actions);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('store notifies subscribers', () => {
    const store = new ChatStore();
    const seen: string[] = [];
    const sub = store.subscribe((a) => seen.push(a.type));
    store.dispatch({ type: 'server', state: 'running' });
    sub.dispose();
    store.dispatch({ type: 'context', label: 'x' });
    expect(seen).toEqual(['server']);
    expect(store.state.context).toBe('x');
  });
});
