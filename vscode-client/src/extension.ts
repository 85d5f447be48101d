/**
 * The VS Code extension's entry point: `activate` creates the parts and wires them to VS Code and to
 * each other; `deactivate` stops the server.
 *
 * The parts: the chat controller (chatController.ts, VS Code-free), the chat webview view
 * (chatView.ts), the language client running the server (serverManager.ts), the proposal diff review
 * (proposalReviewer.ts), the status bar item (statusBar.ts), the context chip (editorContext.ts) and
 * the commands (commandHandlers.ts for those that take more than one call).
 */
import * as vscode from 'vscode';
import { ChatController } from './chatController';
import { ChatViewProvider } from './chatView';
import { askAgent, pickProposal, selectModel } from './commandHandlers';
import { CHAT_VIEW_ID, Commands } from './commands';
import { ContextChip } from './editorContext';
import { ProposalReviewer } from './proposalReviewer';
import { type Decision, PROPOSAL_SCHEME, isUndoable } from './proposals';
import { ServerManager } from './serverManager';
import { readSettings } from './settings';
import { StatusBar } from './statusBar';

export interface SkiffExtensionApi {
  controller: ChatController;
  server: ServerManager;
}

const isPending = (status: string) => status === 'pending';

export function activate(context: vscode.ExtensionContext): SkiffExtensionApi {
  const output = vscode.window.createOutputChannel('Skiff', { log: true });
  const chatView = new ChatViewProvider(context.extensionUri);
  const chip = new ContextChip((label) => controller.dispatch({ type: 'context', label }));
  const controller: ChatController = new ChatController({
    post: (message) => chatView.post(message),
    showError: (message) => void vscode.window.showErrorMessage(message),
    showInfo: (message) => void vscode.window.showInformationMessage(message),
    editorContext: () => chip.forPrompt(),
    openProposal: (id) => reviewer.open(id),
    // Proposal buttons in the chat go through the reviewer so diff editors and lenses follow.
    resolveProposal: (id, accept) => reviewer.resolve(id, accept),
    undoProposal: (id) => reviewer.undo(id),
    onProposal: (proposal) => {
      if (readSettings().autoOpenProposals) void reviewer.open(proposal.id);
    },
  });
  const server = new ServerManager(controller, output, chatView);
  const reviewer = new ProposalReviewer(controller, () => server.api, output, context.globalState);
  const statusBar = new StatusBar(controller);
  chatView.onMessage = (message) => {
    if (message.type === 'clearContext') chip.clear();
    void controller.handleMessage(message);
  };
  /** Review commands: the proposal from the argument, the active diff or a picker. */
  const forProposal = (filter: (status: string) => boolean, run: (id: string) => Promise<void>) => async (arg?: unknown) => {
    const id = await pickProposal(controller, arg, filter);
    if (id) await run(id);
  };

  context.subscriptions.push(
    output,
    statusBar,
    reviewer,
    chip,
    server,
    controller,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chatView, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, reviewer),
    vscode.languages.registerCodeLensProvider({ scheme: PROPOSAL_SCHEME }, reviewer),
    vscode.window.onDidChangeActiveTextEditor(() => chip.schedule()),
    vscode.window.onDidChangeTextEditorSelection(() => chip.schedule()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('skiff')) return;
      statusBar.render();
      server.onSettingsChanged(e);
    }),
    vscode.commands.registerCommand(Commands.askAgent, () => askAgent(controller, chatView)),
    vscode.commands.registerCommand(Commands.openChat, () => chatView.reveal(true)),
    vscode.commands.registerCommand(Commands.newChat, async () => {
      controller.dispatch({ type: 'select', sessionId: null });
      await chatView.reveal(true);
    }),
    vscode.commands.registerCommand(Commands.stop, () => controller.cancel(controller.store.state.activeId)),
    vscode.commands.registerCommand(Commands.selectModel, () => selectModel(controller, server.api)),
    vscode.commands.registerCommand(Commands.restartServer, () => server.restart()),
    vscode.commands.registerCommand(Commands.showOutput, () => output.show(true)),
    vscode.commands.registerCommand(Commands.reviewProposal, forProposal(isPending, (id) => reviewer.open(id))),
    vscode.commands.registerCommand(Commands.acceptProposal, forProposal(isPending, (id) => reviewer.resolve(id, 'all'))),
    vscode.commands.registerCommand(Commands.rejectProposal, forProposal(isPending, (id) => reviewer.resolve(id, 'none'))),
    vscode.commands.registerCommand(Commands.undoProposal, forProposal(isUndoable, (id) => reviewer.undo(id))),
    vscode.commands.registerCommand(Commands.decideHunk, (id: string, hunkId: string, decision?: Decision) => reviewer.decide(id, hunkId, decision)),
    vscode.commands.registerCommand(Commands.acceptHunk, (arg?: unknown) => reviewer.decideAtCursor('accept', arg)),
    vscode.commands.registerCommand(Commands.rejectHunk, (arg?: unknown) => reviewer.decideAtCursor('reject', arg)),
    vscode.commands.registerCommand(Commands.pickHunks, forProposal(isPending, (id) => reviewer.pickHunks(id))),
  );

  serverManager = server;
  void server.start();
  chip.update();
  return { controller, server };
}

let serverManager: ServerManager | null = null;

export async function deactivate(): Promise<void> {
  const server = serverManager;
  serverManager = null;
  await server?.stop();
}
