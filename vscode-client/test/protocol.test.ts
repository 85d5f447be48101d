/**
 * Protocol test: spawns the real Python server (`python -m skiff.server`) with a scripted model and
 * drives it through vscode-jsonrpc using the extension's own modules (SkiffApi, ChatController, the
 * chat reducer, the proposal model). The test plays the editor: it answers workspace/applyEdit,
 * applies the edits to its in-memory document and reports them with didChange.
 *
 * Python: $SKIFF_PYTHON, else the repository's .venv, else `python` / `python3` on PATH.
 * Set SKIFF_SKIP_PROTOCOL=1 to skip explicitly (e.g. a machine without the server's dependencies).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessageConnection, StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { ChatController, type EditorContext } from '../src/chatController';
import type { ChatAction, ChatItem } from '../src/chatState';
import { initializationOptions, serverConfiguration } from '../src/config';
import { applyHunks, placeHunks } from '../src/proposals';
import { ErrorCodes, Methods, ServerCommands, type UpdateParams } from '../src/protocol';
import { type CancellationTokenLike, type RpcConnection, SkiffApi, isRpcError } from '../src/skiffApi';

const ROOT = path.resolve(__dirname, '..');
const REPO = path.resolve(ROOT, '..');
const OUT = path.join(ROOT, 'test-output');

function findPython(): string {
  const candidates = [process.env.SKIFF_PYTHON, path.join(REPO, '.venv', 'bin', 'python'), 'python', 'python3'].filter(
    (c): c is string => Boolean(c),
  );
  for (const c of candidates) {
    if (c.includes(path.sep) && !fs.existsSync(c)) continue;
    const probe = spawnSync(c, ['-c', 'import skiff.server'], { encoding: 'utf8', cwd: os.tmpdir() });
    if (probe.status === 0) return c;
  }
  throw new Error(
    `no Python with the skiff package found (tried ${candidates.join(', ')}); set SKIFF_PYTHON or SKIFF_SKIP_PROTOCOL=1`,
  );
}

const BASE = 'def mean(xs):\n    total = sum(xs)\n    return total / len(xs)\n';
const LONG = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(60);

const REPLIES = [
  // Turn 1: streamed text + an edit → a proposal (accepted, then undone).
  {
    text: "I'll add a docstring.",
    tool_calls: [
      { name: 'edit', arguments: { path: 'stats.py', old_string: '    total = sum(xs)\n', new_string: '    """Return the mean of xs."""\n    total = sum(xs)\n' } },
    ],
  },
  'Added a **docstring** to `mean()`.',
  // Turn 2: another edit (rejected).
  {
    text: 'Guarding against empty lists.',
    tool_calls: [{ name: 'edit', arguments: { path: 'stats.py', old_string: 'total / len(xs)', new_string: 'total / max(len(xs), 1)' } }],
  },
  'Done.',
  // Turn 3: a slow reply that gets cancelled.
  LONG,
  // Turn 4: the same session still works after the cancellation.
  'Still here.',
];

interface Doc {
  uri: string;
  version: number;
  text: string;
}

function offsetAt(text: string, pos: { line: number; character: number }): number {
  const lines = text.split('\n');
  let off = 0;
  for (let i = 0; i < pos.line; i++) off += (lines[i] ?? '').length + 1;
  return Math.min(off + pos.character, text.length);
}

function applyTextEdits(text: string, edits: { range: any; newText: string }[]): string {
  const sorted = edits.slice().sort((a, b) => offsetAt(text, b.range.start) - offsetAt(text, a.range.start));
  for (const e of sorted) text = text.slice(0, offsetAt(text, e.range.start)) + e.newText + text.slice(offsetAt(text, e.range.end));
  return text;
}

const skip = process.env.SKIFF_SKIP_PROTOCOL === '1';

describe.skipIf(skip)('protocol against the real Python server', () => {
  let proc: ChildProcess;
  let conn: MessageConnection;
  let api: SkiffApi;
  let controller: ChatController;
  let workspace: string;
  let doc: Doc;
  let initResult: any;
  let stderr = '';
  const updates: UpdateParams[] = [];
  /** Every action the controller reduced: replayed into the webview by webview.test.ts. */
  const actions: ChatAction[] = [];
  const applyEdits: any[] = [];
  const shown: { type: number; message: string }[] = [];
  const hostErrors: string[] = [];
  let sessionId = '';

  beforeAll(async () => {
    const python = findPython();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-vscode-'));
    fs.writeFileSync(path.join(workspace, 'stats.py'), BASE);
    const modelsFile = path.join(workspace, 'models.json');
    // `editFormat: 'tools'`: this test streams tool calls, and the shipped default profile would take
    // the one-call edit path instead.
    fs.writeFileSync(
      modelsFile,
      JSON.stringify({
        default: 'test/scripted',
        providers: { test: { api: 'scripted', models: [{ id: 'scripted', replies: REPLIES, delay: 0.02, profile: { editFormat: 'tools' } }] } },
      }),
    );
    proc = spawn(python, ['-m', 'skiff.server'], {
      cwd: workspace,
      env: { ...process.env, SKIFF_MODELS_FILE: modelsFile, PYTHONUNBUFFERED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    proc.stderr!.on('data', (d) => (stderr += d.toString()));
    conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    conn.onRequest('workspace/applyEdit', (params: any) => {
      applyEdits.push(params);
      for (const change of params.edit.documentChanges ?? []) {
        if (change.textDocument?.uri === doc.uri) {
          doc.text = applyTextEdits(doc.text, change.edits);
          doc.version += 1;
          void conn.sendNotification('textDocument/didChange', {
            textDocument: { uri: doc.uri, version: doc.version },
            contentChanges: [{ text: doc.text }],
          });
        }
      }
      return { applied: true };
    });
    conn.onRequest('workspace/configuration', (params: any) => params.items.map((i: any) => (i.section === 'skiff' ? serverConfiguration({}) : null)));
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('window/showMessageRequest', () => null);
    conn.onNotification('window/showMessage', (p: any) => void shown.push(p));
    conn.onNotification('window/logMessage', () => undefined);
    conn.onNotification('$/progress', () => undefined);
    conn.listen();

    const uri = pathToFileURL(workspace).toString();
    initResult = await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uri,
      workspaceFolders: [{ uri, name: 'ws' }],
      capabilities: {
        workspace: {
          applyEdit: true,
          configuration: true,
          workspaceEdit: { documentChanges: true, resourceOperations: ['create', 'rename', 'delete'], changeAnnotationSupport: { groupsOnLabel: true } },
        },
        window: { workDoneProgress: true, showMessage: {} },
        textDocument: { codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'refactor', 'refactor.rewrite', 'source'] } } } },
        general: { positionEncodings: ['utf-16'] },
      },
      initializationOptions: initializationOptions({}),
    });
    await conn.sendNotification('initialized', {});
    doc = { uri: pathToFileURL(path.join(workspace, 'stats.py')).toString(), version: 1, text: BASE };
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: doc.uri, languageId: 'python', version: 1, text: BASE } });

    // vscode-jsonrpc keeps one handler per method: tap skiff/update on its way to the controller.
    const tapped: RpcConnection = {
      sendRequest: <R>(method: string, params: unknown, token?: CancellationTokenLike) =>
        (token ? conn.sendRequest<R>(method, params, token) : conn.sendRequest<R>(method, params)) as Promise<R>,
      onNotification: (method, handler) =>
        conn.onNotification(method, (params: any) => {
          if (method === Methods.update) updates.push(params);
          handler(params);
        }),
      onRequest: (method, handler) => conn.onRequest(method, handler as any),
    };
    api = new SkiffApi(tapped);
    controller = new ChatController({ post: () => undefined, showError: (m) => hostErrors.push(m) });
    controller.store.subscribe((action) => actions.push(action));
    controller.attach(api);
  });

  afterAll(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, 'recorded-updates.json'), `${JSON.stringify(updates, null, 2)}\n`);
    fs.writeFileSync(path.join(OUT, 'recorded-actions.json'), `${JSON.stringify(actions, null, 1)}\n`);
    fs.writeFileSync(path.join(OUT, 'server-stderr.log'), stderr);
    try {
      await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
      await conn.sendNotification('exit');
    } catch {
      // already gone
    }
    conn?.dispose();
    await new Promise<void>((resolve) => {
      if (!proc || proc.exitCode !== null) return resolve();
      const t = setTimeout(() => {
        proc.kill('SIGKILL');
        resolve();
      }, 3000);
      proc.on('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  const context = (): EditorContext => ({
    uri: doc.uri,
    range: { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } },
    label: 'stats.py:1-3',
  });

  it('initializes and advertises the skiff commands', () => {
    const commands: string[] = initResult?.capabilities?.executeCommandProvider?.commands ?? [];
    for (const c of Object.values(ServerCommands)) expect(commands).toContain(c);
    expect(initResult.capabilities.codeActionProvider).toBeTruthy();
  });

  it('streams a turn into the chat state and ends with a pending proposal', async () => {
    const end = await controller.send('add a docstring to mean()', null, context());
    expect(end.outcome, String(end.error ? JSON.stringify(end.error) : '')).toBe('done');
    sessionId = end.sessionId!;
    expect(sessionId).toBeTruthy();
    expect(end.result?.stopReason).toBe('end_turn');
    expect(end.result?.proposalIds).toHaveLength(1);

    const kinds = updates.filter((u) => u.sessionId === sessionId).map((u) => u.update.sessionUpdate);
    // Ordering promised by the protocol: tool_call before its update, proposal and usage last.
    expect(kinds.indexOf('tool_call')).toBeGreaterThan(-1);
    expect(kinds.indexOf('tool_call_update')).toBeGreaterThan(kinds.indexOf('tool_call'));
    expect(kinds.lastIndexOf('agent_message_chunk')).toBeGreaterThan(kinds.indexOf('tool_call_update'));
    expect(kinds).toContain('proposal');
    expect(kinds).toContain('usage');

    const state = controller.store.state;
    expect(state.activeId).toBe(sessionId);
    const session = state.sessions[sessionId]!;
    expect(session.busy).toBe(false);
    const items = session.items;
    expect(items[0]).toMatchObject({ kind: 'user', text: 'add a docstring to mean()', context: 'stats.py:1-3' });
    const texts = items.filter((i): i is Extract<ChatItem, { kind: 'assistant' }> => i.kind === 'assistant').map((i) => i.text);
    expect(texts.join('\n')).toContain("I'll add a docstring.");
    expect(texts.join('\n')).toContain('Added a **docstring** to `mean()`.');
    const tool = items.find((i) => i.kind === 'tool') as Extract<ChatItem, { kind: 'tool' }>;
    expect(tool.status).toBe('completed');
    const proposalItem = items.find((i) => i.kind === 'proposal') as Extract<ChatItem, { kind: 'proposal' }>;
    expect(proposalItem.proposal.id).toBe(end.result!.proposalIds![0]);
    expect(proposalItem.proposal.status).toBe('pending');
    expect(proposalItem.proposal.files[0]!.path).toBe('stats.py');
    expect(proposalItem.proposal.files[0]!.diff).toContain('+    """Return the mean of xs."""');
    expect(session.usage?.promptTokens).toBeGreaterThan(0);
    expect(hostErrors).toEqual([]);
  });

  it('gives the full proposal with texts the review model can place hunks in', async () => {
    const id = end1ProposalId();
    const full = await api.proposal(id);
    const file = full.files[0]!;
    expect(file.baseText).toBe(BASE);
    expect(file.newText).toContain('"""Return the mean of xs."""');
    expect(applyHunks(file.baseText, file.hunks)).toBe(file.newText);
    const placed = placeHunks(file);
    expect(placed).toHaveLength(file.hunks.length);
    expect(file.newText.split('\n')[placed[0]!.newStartLine]).toContain('Return the mean of xs.');
  });

  it('accepts a proposal: the server sends an annotated, versioned workspace/applyEdit', async () => {
    const id = end1ProposalId();
    const before = applyEdits.length;
    const result = await controller.resolveProposal(id, 'all');
    expect(result).toMatchObject({ status: 'applied', rebased: false });
    expect(result!.appliedHunks.length).toBeGreaterThan(0);
    expect(applyEdits.length).toBe(before + 1);
    const edit = applyEdits.at(-1).edit;
    const change = edit.documentChanges[0];
    expect(change.textDocument).toEqual({ uri: doc.uri, version: 1 });
    for (const e of change.edits) {
      expect(e.annotationId).toBeTruthy();
      expect(edit.changeAnnotations[e.annotationId].needsConfirmation).toBe(true);
    }
    expect(doc.text).toBe('def mean(xs):\n    """Return the mean of xs."""\n    total = sum(xs)\n    return total / len(xs)\n');
    const item = controller.store.state.sessions[sessionId]!.items.find((i) => i.kind === 'proposal') as Extract<ChatItem, { kind: 'proposal' }>;
    expect(item.proposal.status).toBe('applied');
  });

  it('undoes an applied proposal', async () => {
    const result = await controller.undoProposal(end1ProposalId());
    expect(result).toEqual({ status: 'undone' });
    expect(doc.text).toBe(BASE);
  });

  it('rejects a proposal without touching the document', async () => {
    const end = await controller.send('guard against empty lists', sessionId, null);
    expect(end.outcome).toBe('done');
    expect(end.sessionId).toBe(sessionId);
    const id = end.result!.proposalIds![0]!;
    const before = applyEdits.length;
    const result = await controller.resolveProposal(id, 'none');
    expect(result).toMatchObject({ status: 'rejected', appliedHunks: [] });
    expect(applyEdits.length).toBe(before);
    expect(doc.text).toBe(BASE);
    const statuses = controller.store.state.sessions[sessionId]!.items.flatMap((i) => (i.kind === 'proposal' ? [i.proposal.status] : []));
    expect(statuses).toEqual(['undone', 'rejected']);
  });

  it('cancels a slow turn with -32800 and keeps the session usable', async () => {
    const seen = updates.length;
    const turn = controller.send('write a long essay', sessionId, null);
    const deadline = Date.now() + 15_000;
    while (!updates.slice(seen).some((u) => u.sessionId === sessionId && u.update.sessionUpdate === 'agent_message_chunk')) {
      if (Date.now() > deadline) throw new Error('no streamed chunk before the deadline');
      await new Promise((r) => setTimeout(r, 20));
    }
    const started = Date.now();
    await controller.cancel(sessionId);
    const end = await turn;
    expect(end.outcome).toBe('cancelled');
    expect(isRpcError(end.error) && end.error.code).toBe(ErrorCodes.RequestCancelled);
    expect(Date.now() - started).toBeLessThan(5000);
    const streamed = updates
      .slice(seen)
      .filter((u) => u.update.sessionUpdate === 'agent_message_chunk')
      .map((u) => (u.update as { content: { text: string } }).content.text)
      .join('');
    expect(streamed.length).toBeLessThan(LONG.length);
    const session = controller.store.state.sessions[sessionId]!;
    expect(session.busy).toBe(false);
    expect(session.items.at(-1)).toMatchObject({ kind: 'notice', text: 'Stopped.' });

    const again = await controller.send('are you still there?', sessionId, null);
    expect(again.outcome).toBe('done');
    const last = controller.store.state.sessions[sessionId]!.items.at(-1);
    expect(last).toMatchObject({ kind: 'assistant', text: 'Still here.' });
  });

  it('lists sessions and history, models and status', async () => {
    const sessions = await api.sessions();
    const entry = sessions.sessions.find((s) => s.sessionId === sessionId);
    expect(entry).toMatchObject({ title: 'add a docstring to mean()', busy: false });
    const history = await api.session(sessionId);
    // The server keeps the expanded prompt (with the selected code) as the user message.
    expect(history.messages[0]!.role).toBe('user');
    expect(history.messages[0]!.content).toBe('add a docstring to mean()');
    expect(history.messages.some((m) => m.role === 'tool')).toBe(true);
    expect(history.proposals?.length).toBe(2);

    const models = await api.models();
    expect(models.current).toBe('test/scripted');
    expect(models.models.map((m) => m.id)).toContain('test/scripted');
    await expect(api.setModel('nope/missing')).rejects.toMatchObject({ code: ErrorCodes.InvalidParams });
    expect(await api.setModel('test/scripted')).toEqual({ model: 'test/scripted' });
    const status = await api.status();
    expect(status).toMatchObject({ model: 'test/scripted', busy: false });

    // The controller's refreshers reduce the same data.
    await controller.refreshSessions();
    await controller.refreshModels();
    expect(controller.store.state.sessions[sessionId]!.title).toBe('add a docstring to mean()');
    expect(controller.store.state.currentModel).toBe('test/scripted');
  });

  it('answers unknown methods and invalid params with JSON-RPC errors and keeps serving', async () => {
    await expect(conn.sendRequest('skiff/noSuchMethod', {})).rejects.toMatchObject({ code: ErrorCodes.MethodNotFound });
    await expect(conn.sendRequest(Methods.proposal, {})).rejects.toMatchObject({ code: ErrorCodes.InvalidParams });
    await expect(conn.sendRequest(Methods.resolveProposal, { id: 'nope', accept: 'all' })).rejects.toHaveProperty('code');
    expect(await api.cancel(sessionId)).toEqual({ cancelled: false });
    expect((await api.status()).model).toBe('test/scripted');
    expect(shown.filter((m) => m.type === 1)).toEqual([]);
  });

  function end1ProposalId(): string {
    const item = controller.store.state.sessions[sessionId]!.items.find((i) => i.kind === 'proposal') as Extract<ChatItem, { kind: 'proposal' }>;
    return item.proposal.id;
  }
});
