/**
 * The palette commands that take more than one call: *Ask agent*'s input box, the model picker, and
 * the picker of which proposal a review command is about.
 */
import * as vscode from 'vscode';
import { type ChatController, describeError } from './chatController';
import type { ChatViewProvider } from './chatView';
import { editorContextOf } from './editorContext';
import { PROPOSAL_SCHEME, checksView, parseProposalQuery } from './proposals';
import type { SkiffApi } from './skiffApi';
import { shortModel } from './status';

/** *Ask agent*: the selection (or the cursor's line) with an instruction typed in an input box. */
export async function askAgent(controller: ChatController, chatView: ChatViewProvider): Promise<void> {
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
}

/** *Select model*: the server's models in a quick pick; the picked one is switched to. */
export async function selectModel(controller: ChatController, api: SkiffApi | null): Promise<void> {
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
}

/**
 * The proposal a review command is about: its argument (an id or a proposal URI), the proposal diff
 * in the active editor, the only chat proposal whose status passes `filter`, or one picked from a list.
 */
export async function pickProposal(
  controller: ChatController,
  arg: unknown,
  filter: (status: string) => boolean,
): Promise<string | undefined> {
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
}
