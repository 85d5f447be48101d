/**
 * The VS Code extension: the only module that imports `vscode`.
 *
 * It wires the pure modules (protocol client, chat controller and reducer, proposal review model,
 * webview renderer, status formatting) to VS Code: the language client that runs `skiff serve`, the
 * chat webview view, the proposal diff review with per-hunk CodeLens, the permission prompt, the
 * status bar item and the commands.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  CloseAction,
  type CloseHandlerResult,
  ErrorAction,
  type ErrorHandlerResult,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { ChatController, type EditorContext, describeError } from './chatController';
import { findProposal, isBusy } from './chatState';
import {
  askNeedsPrompt,
  askWithPrompt,
  contextLabel,
  permissionPrompt,
  permissionResult,
  sessionIdOf,
} from './commands';
import {
  RESTART_SETTINGS,
  RestartPolicy,
  type SkiffSettings,
  initializationOptions,
  serverConfiguration,
} from './config';
import type { FoundServer } from './serverLookup';
import { locateServer, offerInstall } from './serverSetup';

/** How the server is found and installed (tests replace these with a fake file system). */
export const serverHooks = { locate: locateServer, offerInstall };
import {
  type Decision,
  PROPOSAL_SCHEME,
  ProposalReview,
  checksView,
  describeHunk,
  diffTitle,
  hunkAtLine,
  hunksConsistent,
  isUndoable,
  parseProposalQuery,
  placeHunks,
  proposalUri,
} from './proposals';
import type { Diagnostic, FullProposal, ResolveAccept } from './protocol';
import { ServerCommands } from './protocol';
import { SkiffApi } from './skiffApi';
import { shortModel, statusBarView } from './status';
import { chatHtml, makeNonce } from './webview/html';
import { type FromWebview, type ToWebview, isFromWebview } from './webview/messages';

export const CHAT_VIEW_ID = 'skiff.chat';

export const Commands = {
  askAgent: 'skiff.askAgent',
  openChat: 'skiff.openChat',
  newChat: 'skiff.newChat',
  stop: 'skiff.stop',
  selectModel: 'skiff.selectModel',
  restartServer: 'skiff.restartServer',
  showOutput: 'skiff.showOutput',
  reviewProposal: 'skiff.review.open',
  acceptProposal: 'skiff.review.acceptAll',
  rejectProposal: 'skiff.review.rejectAll',
  undoProposal: 'skiff.review.undo',
  decideHunk: 'skiff.review.decideHunk',
  acceptHunk: 'skiff.review.acceptHunk',
  rejectHunk: 'skiff.review.rejectHunk',
  pickHunks: 'skiff.review.pickHunks',
} as const;

function readSettings(): SkiffSettings & { autoOpenProposals: boolean; sendEditorContext: boolean } {
  const c = vscode.workspace.getConfiguration('skiff');
  return {
    serverCommand: c.get<string[] | string>('serverCommand'),
    pythonPath: c.get<string>('pythonPath'),
    model: c.get<string>('model'),
    modelsFile: c.get<string>('modelsFile'),
    proposalsMode: c.get<SkiffSettings['proposalsMode']>('proposals.mode'),
    bashMode: c.get<SkiffSettings['bashMode']>('bash.mode'),
    bashAllow: c.get<string[]>('bash.allow'),
    bashTimeout: c.get<number>('bash.timeout'),
    actions: c.get<SkiffSettings['actions']>('actions'),
    autoOpenProposals: c.get<boolean>('autoOpenProposals', true),
    sendEditorContext: c.get<boolean>('sendEditorContext', true),
  };
}

function toLspDiagnostic(d: vscode.Diagnostic): Diagnostic {
  const out: Diagnostic = {
    range: {
      start: { line: d.range.start.line, character: d.range.start.character },
      end: { line: d.range.end.line, character: d.range.end.character },
    },
    severity: d.severity + 1,
    message: d.message,
  };
  if (d.source) out.source = d.source;
  const code = typeof d.code === 'object' && d.code !== null ? d.code.value : d.code;
  if (code !== undefined) out.code = code;
  return out;
}

function lspRange(r: vscode.Range) {
  return {
    start: { line: r.start.line, character: r.start.character },
    end: { line: r.end.line, character: r.end.character },
  };
}

/** The active editor's file and selection as chat context (null for non-file editors). */
export function editorContextOf(editor: vscode.TextEditor | undefined, wholeLineIfEmpty = false): EditorContext | null {
  if (!editor) return null;
  const doc = editor.document;
  if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled') return null;
  const rel = vscode.workspace.asRelativePath(doc.uri, false);
  let range: vscode.Range | null = editor.selection.isEmpty ? null : new vscode.Range(editor.selection.start, editor.selection.end);
  if (!range && wholeLineIfEmpty) range = doc.lineAt(editor.selection.active.line).range;
  const ctx: EditorContext = { uri: doc.uri.toString(), label: contextLabel(rel, range ? lspRange(range) : null) };
  if (range) {
    ctx.range = lspRange(range);
    const diagnostics = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.range.intersection(range!) !== undefined);
    if (diagnostics.length) ctx.diagnostics = diagnostics.map(toLspDiagnostic);
  }
  return ctx;
}

/** The chat webview view in the side bar. */
class ChatViewProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  onMessage: (message: FromWebview) => void = () => undefined;

  constructor(private readonly extensionUri: vscode.Uri) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const webview = view.webview;
    webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'out'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    webview.html = chatHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(() => randomBytes(1)[0]! / 256),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'out', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chat.css')).toString(),
    });
    webview.onDidReceiveMessage((message: unknown) => {
      if (!isFromWebview(message)) return;
      if (message.type === 'ready') this.ready = true;
      this.onMessage(message);
    });
    view.onDidDispose(() => {
      if (this.view === view) {
        this.view = undefined;
        this.ready = false;
      }
    });
  }

  post(message: ToWebview): void {
    if (this.view && this.ready) void this.view.webview.postMessage(message);
  }

  async reveal(focusInput = false, text?: string): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (focusInput) this.post({ type: 'focusInput', ...(text ? { text } : {}) });
  }
}

/**
 * Proposal review in the diff editor: a read-only `skiff-proposal:` document for each side, CodeLens
 * on the hunks of the proposed side (accept / reject per hunk, or all at once).
 */
class ProposalReviewer implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider {
  private reviews = new Map<string, ProposalReview>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private lastApplied: string | null = null;
  /** Proposals whose failed checks were already announced when their review opened. */
  private readonly warnedChecks = new Set<string>();

  constructor(
    private readonly controller: ChatController,
    private readonly api: () => SkiffApi | null,
    private readonly log: vscode.OutputChannel,
    private readonly memento?: vscode.Memento,
  ) {}

  dispose(): void {
    this.changed.dispose();
    this.lensesChanged.dispose();
  }

  private async load(id: string): Promise<ProposalReview> {
    const existing = this.reviews.get(id);
    if (existing) return existing;
    const api = this.api();
    if (!api) throw new Error('the Skiff server is not running');
    const proposal = await api.proposal(id);
    const review = new ProposalReview(proposal as FullProposal);
    for (const file of review.proposal.files) {
      if (!hunksConsistent(file)) this.log.appendLine(`[review] hunks of ${file.path} do not rebuild newText; CodeLens positions are approximate`);
    }
    this.reviews.set(id, review);
    return review;
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const parts = parseProposalQuery(uri.query, uri.path);
    if (!parts) return '';
    const review = await this.load(parts.id);
    const file = review.proposal.files[parts.file];
    if (!file) return '';
    return (parts.side === 'base' ? file.baseText : file.newText) ?? '';
  }

  async open(id: string): Promise<void> {
    let review: ProposalReview;
    try {
      this.reviews.delete(id); // always show the server's latest
      review = await this.load(id);
    } catch (error) {
      void vscode.window.showErrorMessage(`Skiff: could not load proposal ${id}: ${describeError(error)}`);
      return;
    }
    const files = review.proposal.files;
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!;
      const left = vscode.Uri.parse(proposalUri({ id, file: i, side: 'base', path: file.path || `file${i}` }));
      const right = vscode.Uri.parse(proposalUri({ id, file: i, side: 'new', path: file.path || `file${i}` }));
      this.changed.fire(left);
      this.changed.fire(right);
      await vscode.commands.executeCommand('vscode.diff', left, right, diffTitle(file, review.proposal.verification), {
        preview: files.length === 1,
        preserveFocus: false,
      });
    }
    this.lensesChanged.fire();
    const checks = checksView(review.proposal.verification);
    if (checks && !checks.ok && !this.warnedChecks.has(id)) {
      this.warnedChecks.add(id);
      void vscode.window.showWarningMessage(`Skiff: checks on this proposal: ${checks.label}. Review it before accepting.`);
    }
    void this.offerDiffCodeLens();
  }

  /** VS Code hides CodeLens in diff editors unless `diffEditor.codeLens` is on: offer it once. */
  private async offerDiffCodeLens(): Promise<void> {
    if (vscode.workspace.getConfiguration('diffEditor').get<boolean>('codeLens', false)) return;
    const key = 'skiff.offeredDiffCodeLens';
    if (!this.memento || this.memento.get<boolean>(key)) return;
    await this.memento.update(key, true);
    const pick = await vscode.window.showInformationMessage(
      'Skiff: turn on CodeLens in diff editors to accept or reject single hunks right above them? (The ✓/✗ buttons in the diff title bar work either way.)',
      'Turn on',
      'Not now',
    );
    if (pick === 'Turn on') {
      await vscode.workspace.getConfiguration('diffEditor').update('codeLens', true, vscode.ConfigurationTarget.Global);
    }
  }

  /** Decides the hunk under the cursor of a proposal diff (title-bar buttons). */
  async decideAtCursor(decision: Decision, arg?: unknown): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const uri = arg instanceof vscode.Uri ? arg : editor?.document.uri;
    const parts = uri && uri.scheme === PROPOSAL_SCHEME ? parseProposalQuery(uri.query, uri.path) : null;
    if (!parts) {
      void vscode.window.showInformationMessage('Skiff: open a proposal diff and put the cursor in a hunk.');
      return;
    }
    const review = await this.load(parts.id);
    const file = review.proposal.files[parts.file];
    const onThisSide = editor && editor.document.uri.toString() === uri!.toString();
    const line = onThisSide ? editor.selection.active.line : 0;
    const placements = file ? placeHunks(file) : [];
    // Prefer an undecided hunk when the cursor is not inside one.
    const target = hunkAtLine(placements, line, parts.side);
    const undecided = placements.find((p) => review.decisions[p.hunk.id] === undefined);
    const pick = target && (review.decisions[target.hunk.id] === undefined || !undecided) ? target : undecided;
    if (!pick) return;
    await this.decide(parts.id, pick.hunk.id, decision);
  }

  /** A multi-select list of the proposal's hunks: the picked ones are applied, the rest dropped. */
  async pickHunks(id: string): Promise<void> {
    let review: ProposalReview;
    try {
      review = await this.load(id);
    } catch (error) {
      void vscode.window.showErrorMessage(`Skiff: could not load proposal ${id}: ${describeError(error)}`);
      return;
    }
    const items = review.proposal.files.flatMap((file) =>
      placeHunks(file).map((p) => ({
        label: `${file.path}:${p.newStartLine + 1}`,
        description: `+${p.added} −${p.removed}`,
        detail: describeHunk(p),
        picked: review.decisions[p.hunk.id] !== 'reject',
        hunkId: p.hunk.id,
      })),
    );
    const checks = checksView(review.proposal.verification);
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      title: `Skiff: hunks to apply (unchecked ones are dropped)${checks ? ` · ${checks.label}` : ''}`,
      ignoreFocusOut: true,
    });
    if (!picked) return;
    const chosen = new Set(picked.map((p) => p.hunkId));
    for (const hunkId of review.hunkIds) review.decide(hunkId, chosen.has(hunkId) ? 'accept' : 'reject');
    this.lensesChanged.fire();
    const accept = review.resolution();
    if (accept !== null) await this.resolve(id, accept);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const parts = parseProposalQuery(document.uri.query, document.uri.path);
    if (!parts || parts.side !== 'new') return [];
    const review = this.reviews.get(parts.id);
    const file = review?.proposal.files[parts.file];
    if (!review || !file) return [];
    const status = findProposal(this.controller.store.state, parts.id)?.status ?? review.proposal.status;
    const top = new vscode.Range(0, 0, 0, 0);
    if (status !== 'pending') {
      const lenses = [new vscode.CodeLens(top, { title: `Proposal ${status.replace('_', ' ')}`, command: '' })];
      if (isUndoable(status)) lenses.push(new vscode.CodeLens(top, { title: '$(discard) Undo', command: Commands.undoProposal, arguments: [parts.id] }));
      return lenses;
    }
    const total = review.hunkIds.length;
    const open = review.pending().length;
    const lenses: vscode.CodeLens[] = [
      new vscode.CodeLens(top, { title: '$(check-all) Accept all', command: Commands.acceptProposal, arguments: [parts.id] }),
      new vscode.CodeLens(top, { title: '$(close-all) Reject all', command: Commands.rejectProposal, arguments: [parts.id] }),
      new vscode.CodeLens(top, { title: `${total - open}/${total} hunks decided`, command: '' }),
    ];
    const checks = checksView(review.proposal.verification);
    if (checks) lenses.push(new vscode.CodeLens(top, { title: checks.label, command: '' }));
    const last = Math.max(0, document.lineCount - 1);
    for (const placement of placeHunks(file)) {
      const line = Math.min(placement.newStartLine, last);
      const range = new vscode.Range(line, 0, line, 0);
      const hunkId = placement.hunk.id;
      const decision = review.decisions[hunkId];
      const what = placement.added === 0 ? `deletion of ${placement.removed} line${placement.removed === 1 ? '' : 's'}` : 'hunk';
      if (decision === undefined) {
        lenses.push(
          new vscode.CodeLens(range, { title: `$(check) Accept ${what}`, command: Commands.decideHunk, arguments: [parts.id, hunkId, 'accept'] }),
          new vscode.CodeLens(range, { title: '$(close) Reject', command: Commands.decideHunk, arguments: [parts.id, hunkId, 'reject'] }),
        );
      } else {
        lenses.push(
          new vscode.CodeLens(range, {
            title: decision === 'accept' ? '$(pass-filled) Accepted — change' : '$(circle-slash) Rejected — change',
            command: Commands.decideHunk,
            arguments: [parts.id, hunkId, undefined],
          }),
        );
      }
    }
    return lenses;
  }

  async decide(id: string, hunkId: string, decision: Decision | undefined): Promise<void> {
    const review = await this.load(id);
    review.decide(hunkId, decision);
    this.lensesChanged.fire();
    const accept = review.resolution();
    if (accept !== null) await this.resolve(id, accept);
  }

  async resolve(id: string, accept: ResolveAccept): Promise<void> {
    const result = await this.controller.resolveProposal(id, accept);
    this.lensesChanged.fire();
    if (!result) return;
    const review = this.reviews.get(id);
    if (result.status === 'applied' || result.status === 'partially_applied') {
      this.lastApplied = id;
      await this.closeDiffs(id);
      const total = review?.hunkIds.length;
      const count = result.appliedHunks?.length ?? 0;
      const noun = (total ?? count) === 1 ? 'hunk' : 'hunks';
      const checks = checksView(review?.proposal.verification ?? findProposal(this.controller.store.state, id)?.verification);
      const msg =
        `Skiff: applied ${total ? `${count} of ${total}` : count} ${noun}${result.rebased ? ' (rebased onto your edits)' : ''}.` +
        (checks ? ` Checks: ${checks.label}.` : '');
      const shown = checks && !checks.ok ? vscode.window.showWarningMessage(msg, 'Undo') : vscode.window.showInformationMessage(msg, 'Undo');
      void shown.then((pick) => {
        if (pick === 'Undo') void this.undo(id);
      });
    } else if (result.status === 'rejected') {
      await this.closeDiffs(id);
    } else if ((result.status === 'pending' || result.status === 'conflict') && review) {
      // The editor refused the edit, or a hunk no longer fits where it was reviewed: decide again.
      for (const h of review.hunkIds) review.decide(h, undefined);
      this.lensesChanged.fire();
    }
  }

  async undo(id?: string): Promise<void> {
    const target = id ?? this.lastApplied;
    if (!target) {
      void vscode.window.showInformationMessage('Skiff: no applied proposal to undo.');
      return;
    }
    const result = await this.controller.undoProposal(target);
    if (result) void vscode.window.showInformationMessage(`Skiff: proposal ${target} ${result.status}.`);
    if (result && target === this.lastApplied) this.lastApplied = null;
    this.lensesChanged.fire();
  }

  refresh(): void {
    this.lensesChanged.fire();
  }

  private async closeDiffs(id: string): Promise<void> {
    const tabs: vscode.Tab[] = [];
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        const input = tab.input;
        if (input instanceof vscode.TabInputTextDiff && input.modified.scheme === PROPOSAL_SCHEME) {
          if (parseProposalQuery(input.modified.query)?.id === id) tabs.push(tab);
        }
      }
    }
    if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
  }
}

/** Runs `skiff serve` through the language client and restarts it after a crash. */
class ServerManager {
  client: LanguageClient | null = null;
  api: SkiffApi | null = null;
  private readonly policy = new RestartPolicy();
  private stopping = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly controller: ChatController,
    private readonly output: vscode.LogOutputChannel,
    private readonly chat: ChatViewProvider,
  ) {}

  private options(launch: FoundServer): { server: ServerOptions; client: LanguageClientOptions } {
    const settings = readSettings();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    this.output.appendLine(`[skiff] starting ${launch.command} ${launch.args.join(' ')} (found: ${launch.source})`);
    const server: ServerOptions = {
      command: launch.command,
      args: launch.args,
      transport: TransportKind.stdio,
      options: { env: { ...process.env, ...launch.env }, ...(folder ? { cwd: folder } : {}) },
    };
    const client: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      initializationOptions: initializationOptions(settings),
      outputChannel: this.output,
      errorHandler: {
        error: (_error, _message, count): ErrorHandlerResult => ({
          action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
          handled: true,
        }),
        closed: (): CloseHandlerResult => this.onClosed(),
      },
      middleware: {
        executeCommand: async (command, args, next) => {
          if (command === ServerCommands.ask && askNeedsPrompt(args)) {
            const prompt = await vscode.window.showInputBox({
              title: 'Ask Skiff',
              prompt: 'What should the agent do with this code?',
              placeHolder: 'e.g. handle the empty list case',
              ignoreFocusOut: true,
            });
            if (!prompt || !prompt.trim()) return undefined;
            args = askWithPrompt(args, prompt.trim());
          }
          const result = await next(command, args);
          if (command === ServerCommands.resolveProposal || command === ServerCommands.undoProposal) {
            // "Accept/Reject Skiff proposal" code actions: keep the chat's proposal cards in step.
            const id = (args[0] as { id?: unknown } | undefined)?.id;
            const raw = (result as { status?: unknown } | undefined)?.status;
            const status = raw === 'conflict' ? 'pending' : raw; // a conflict applied nothing
            if (typeof id === 'string' && typeof status === 'string') this.controller.dispatch({ type: 'proposalStatus', id, status });
          }
          if (command === ServerCommands.ask) {
            const sessionId = sessionIdOf(result);
            const prompt = (args[0] as { prompt?: string } | undefined)?.prompt;
            if (sessionId) {
              this.controller.track(sessionId, prompt);
              void this.chat.reveal();
            }
          }
          return result;
        },
        workspace: {
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) return result;
            return params.items.map((item, i) =>
              item.section === 'skiff' ? serverConfiguration(readSettings()) : result[i],
            );
          },
        },
      },
    };
    return { server, client };
  }

  private onClosed(): CloseHandlerResult {
    if (this.stopping) return { action: CloseAction.DoNotRestart, handled: true };
    this.controller.detach('starting');
    if (this.policy.onCrash(Date.now())) {
      void vscode.window.showWarningMessage('Skiff: the server stopped unexpectedly and is being restarted.', 'Show output').then((pick) => {
        if (pick) this.output.show(true);
      });
      return { action: CloseAction.Restart, handled: true };
    }
    this.controller.detach('stopped');
    void vscode.window
      .showErrorMessage(
        `Skiff: the server crashed ${this.policy.recentCrashes} times in a few minutes and will not be restarted automatically.`,
        'Restart',
        'Show output',
      )
      .then((pick) => {
        if (pick === 'Restart') void this.restart();
        else if (pick === 'Show output') this.output.show(true);
      });
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  async start(): Promise<void> {
    const launch = await serverHooks.locate(readSettings());
    if (!launch) {
      this.controller.detach('stopped');
      void serverHooks.offerInstall(() => this.restart());
      return;
    }
    const { server, client: clientOptions } = this.options(launch);
    const client = new LanguageClient('skiff', 'Skiff', server, clientOptions);
    this.client = client;
    const api = new SkiffApi(client);
    this.api = api;
    this.disposables.push(
      client.onDidChangeState((e) => {
        if (this.client !== client) return;
        if (e.newState === State.Running) {
          this.controller.attach(api);
          void this.controller.refreshModels();
          void this.controller.refreshSessions();
          void this.controller.refreshStatus();
        } else if (e.newState === State.Stopped) {
          this.controller.detach(this.stopping ? 'stopped' : 'starting');
        } else {
          this.controller.detach('starting');
        }
      }),
    );
    api.onRequestPermission(async (params) => {
      const prompt = permissionPrompt(params);
      const picked = await vscode.window.showWarningMessage(prompt.message, { modal: true, detail: prompt.detail }, ...prompt.buttons);
      return permissionResult(params, picked);
    });
    this.stopping = false;
    try {
      await client.start();
    } catch (error) {
      this.controller.detach('stopped');
      const launch = `${server && 'command' in server ? server.command : 'skiff'}`;
      void vscode.window
        .showErrorMessage(
          `Skiff: could not start the server (${launch}): ${describeError(error)}. Check the skiff.serverCommand or skiff.pythonPath setting.`,
          'Open settings',
          'Show output',
        )
        .then((pick) => {
          if (pick === 'Open settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'skiff.');
          else if (pick === 'Show output') this.output.show(true);
        });
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.stopping = true;
    this.client = null;
    this.api = null;
    this.controller.detach('stopped');
    try {
      if (client.isRunning()) await client.stop(5000);
      await client.dispose();
    } catch (error) {
      this.output.appendLine(`[skiff] stop: ${describeError(error)}`);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    this.policy.reset();
    await this.start();
  }

  /** Sends live-changeable settings to the running server. */
  pushConfiguration(): void {
    void this.client?.sendNotification('workspace/didChangeConfiguration', {
      settings: { skiff: serverConfiguration(readSettings()) },
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export interface SkiffExtensionApi {
  controller: ChatController;
  server: ServerManager;
}

export function activate(context: vscode.ExtensionContext): SkiffExtensionApi {
  const output = vscode.window.createOutputChannel('Skiff', { log: true });
  const chatView = new ChatViewProvider(context.extensionUri);
  const statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  statusItem.name = 'Skiff';
  let contextEnabled = true;
  let reviewer: ProposalReviewer;
  const controller = new ChatController({
    post: (message) => chatView.post(message),
    showError: (message) => void vscode.window.showErrorMessage(message),
    showInfo: (message) => void vscode.window.showInformationMessage(message),
    editorContext: () => (contextEnabled && readSettings().sendEditorContext ? editorContextOf(vscode.window.activeTextEditor) : null),
    openProposal: (id) => reviewer.open(id),
    // Proposal buttons in the chat go through the reviewer so diff editors and lenses follow.
    resolveProposal: (id, accept) => reviewer.resolve(id, accept),
    undoProposal: (id) => reviewer.undo(id),
    onProposal: (proposal) => {
      if (readSettings().autoOpenProposals) void reviewer.open(proposal.id);
    },
  });
  const server = new ServerManager(controller, output, chatView);
  reviewer = new ProposalReviewer(controller, () => server.api, output, context.globalState);
  chatView.onMessage = (message) => {
    if (message.type === 'clearContext') contextEnabled = false;
    void controller.handleMessage(message);
  };

  const renderStatus = () => {
    const state = controller.store.state;
    const view = statusBarView({
      model: state.currentModel ?? (readSettings().model || null),
      busy: isBusy(state),
      server: state.server,
      usage: state.lastUsage,
      status: state.status,
    });
    statusItem.text = view.text;
    statusItem.tooltip = view.tooltip;
    statusItem.command = state.server === 'stopped' ? Commands.restartServer : Commands.selectModel;
    statusItem.backgroundColor = view.severity === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    void vscode.commands.executeCommand('setContext', 'skiff.busy', isBusy(state));
  };
  renderStatus();
  statusItem.show();

  controller.store.subscribe((action) => {
    renderStatus();
    if (action.type === 'proposalStatus' || (action.type === 'update' && action.params.update?.sessionUpdate === 'proposal')) {
      reviewer.refresh();
    }
  });

  const updateContextChip = () => {
    contextEnabled = true;
    const ctx = readSettings().sendEditorContext ? editorContextOf(vscode.window.activeTextEditor) : null;
    controller.dispatch({ type: 'context', label: ctx?.label ?? null });
  };
  let chipTimer: ReturnType<typeof setTimeout> | undefined;
  const scheduleChip = () => {
    if (chipTimer) clearTimeout(chipTimer);
    chipTimer = setTimeout(updateContextChip, 150);
  };

  const pickProposal = async (arg: unknown, filter: (status: string) => boolean): Promise<string | undefined> => {
    if (typeof arg === 'string') return arg;
    if (arg instanceof vscode.Uri && arg.scheme === PROPOSAL_SCHEME) return parseProposalQuery(arg.query)?.id;
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active?.scheme === PROPOSAL_SCHEME) return parseProposalQuery(active.query)?.id;
    const candidates = Object.values(controller.store.state.sessions).flatMap((s) =>
      s.items.flatMap((i) => (i.kind === 'proposal' && filter(i.proposal.status) ? [{ proposal: i.proposal, session: s.title }] : [])),
    );
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage('Skiff: no matching proposal.');
      return undefined;
    }
    if (candidates.length === 1) return candidates[0]!.proposal.id;
    const pick = await vscode.window.showQuickPick(
      candidates.map((c) => ({
        label: c.proposal.files.map((f) => f.path).join(', ') || c.proposal.id,
        description: c.proposal.summary ?? '',
        detail: [c.session, c.proposal.status, checksView(c.proposal.verification)?.label].filter(Boolean).join(' · '),
        id: c.proposal.id,
      })),
      { title: 'Skiff proposals' },
    );
    return pick?.id;
  };

  context.subscriptions.push(
    output,
    statusItem,
    reviewer,
    { dispose: () => server.dispose() },
    { dispose: () => controller.dispose() },
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chatView, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, reviewer),
    vscode.languages.registerCodeLensProvider({ scheme: PROPOSAL_SCHEME }, reviewer),
    vscode.window.onDidChangeActiveTextEditor(scheduleChip),
    vscode.window.onDidChangeTextEditorSelection(scheduleChip),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('skiff')) return;
      renderStatus();
      if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) {
        void vscode.window.showInformationMessage('Skiff: restart the server to use the new server settings.', 'Restart').then((pick) => {
          if (pick) void server.restart();
        });
        return;
      }
      server.pushConfiguration();
      const model = readSettings().model?.trim();
      if (e.affectsConfiguration('skiff.model') && model) void controller.setModel(model);
    }),
    vscode.commands.registerCommand(Commands.askAgent, async () => {
      const editor = vscode.window.activeTextEditor;
      const ctx = editorContextOf(editor, true);
      if (!ctx) {
        void vscode.window.showWarningMessage('Skiff: open a file and select some code first.');
        return;
      }
      const prompt = await vscode.window.showInputBox({
        title: `Ask Skiff about ${ctx.label}`,
        prompt: 'What should the agent do with the selection?',
        placeHolder: 'e.g. add type hints',
        ignoreFocusOut: true,
      });
      if (!prompt || !prompt.trim()) return;
      void chatView.reveal();
      await controller.send(prompt.trim(), null, ctx);
    }),
    vscode.commands.registerCommand(Commands.openChat, () => chatView.reveal(true)),
    vscode.commands.registerCommand(Commands.newChat, async () => {
      controller.dispatch({ type: 'select', sessionId: null });
      await chatView.reveal(true);
    }),
    vscode.commands.registerCommand(Commands.stop, () => controller.cancel(controller.store.state.activeId)),
    vscode.commands.registerCommand(Commands.selectModel, async () => {
      const api = server.api;
      if (!api) {
        void vscode.window.showErrorMessage('Skiff: the server is not running.');
        return;
      }
      let models;
      try {
        models = await api.models();
      } catch (error) {
        void vscode.window.showErrorMessage(`Skiff: could not list models: ${describeError(error)}`);
        return;
      }
      controller.dispatch({ type: 'models', current: models.current, models: models.models });
      const pick = await vscode.window.showQuickPick(
        models.models.map((m) => ({
          label: `${m.id === models.current ? '$(check) ' : ''}${shortModel(m.id)}`,
          description: [m.provider, m.api].filter(Boolean).join(' · '),
          detail: [m.name, m.contextWindow ? `${m.contextWindow} tokens context` : ''].filter(Boolean).join(' — '),
          id: m.id,
        })),
        { title: 'Skiff: select model', placeHolder: models.current },
      );
      if (pick) await controller.setModel(pick.id);
    }),
    vscode.commands.registerCommand(Commands.restartServer, () => server.restart()),
    vscode.commands.registerCommand(Commands.showOutput, () => output.show(true)),
    vscode.commands.registerCommand(Commands.reviewProposal, async (arg?: unknown) => {
      const id = await pickProposal(arg, (s) => s === 'pending');
      if (id) await reviewer.open(id);
    }),
    vscode.commands.registerCommand(Commands.acceptProposal, async (arg?: unknown) => {
      const id = await pickProposal(arg, (s) => s === 'pending');
      if (id) await reviewer.resolve(id, 'all');
    }),
    vscode.commands.registerCommand(Commands.rejectProposal, async (arg?: unknown) => {
      const id = await pickProposal(arg, (s) => s === 'pending');
      if (id) await reviewer.resolve(id, 'none');
    }),
    vscode.commands.registerCommand(Commands.undoProposal, async (arg?: unknown) => {
      const id = typeof arg === 'string' ? arg : await pickProposal(arg, isUndoable);
      if (id) await reviewer.undo(id);
    }),
    vscode.commands.registerCommand(Commands.decideHunk, (id: string, hunkId: string, decision?: Decision) =>
      reviewer.decide(id, hunkId, decision),
    ),
    vscode.commands.registerCommand(Commands.acceptHunk, (arg?: unknown) => reviewer.decideAtCursor('accept', arg)),
    vscode.commands.registerCommand(Commands.rejectHunk, (arg?: unknown) => reviewer.decideAtCursor('reject', arg)),
    vscode.commands.registerCommand(Commands.pickHunks, async (arg?: unknown) => {
      const id = await pickProposal(arg, (s) => s === 'pending');
      if (id) await reviewer.pickHunks(id);
    }),
  );

  serverManager = server;
  void server.start();
  updateContextChip();
  return { controller, server };
}

let serverManager: ServerManager | null = null;

export async function deactivate(): Promise<void> {
  const server = serverManager;
  serverManager = null;
  await server?.stop();
}
