/**
 * Proposal review in the diff editor: a read-only `skiff-proposal:` document for each side, CodeLens
 * on the hunks of the proposed side (accept / reject per hunk, or all at once), the title-bar hunk
 * commands and the hunk picker; resolving and undoing go through the chat controller.
 */
import * as vscode from 'vscode';
import { type ChatController, describeError } from './chatController';
import { findProposal } from './chatState';
import { Commands } from './commands';
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
import type { FullProposal, ResolveAccept } from './protocol';
import type { SkiffApi } from './skiffApi';

export class ProposalReviewer implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider, vscode.Disposable {
  private reviews = new Map<string, ProposalReview>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private lastApplied: string | null = null;
  /** Proposals whose failed checks were already announced when their review opened. */
  private readonly warnedChecks = new Set<string>();
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly controller: ChatController,
    private readonly api: () => SkiffApi | null,
    private readonly log: vscode.OutputChannel,
    private readonly memento?: vscode.Memento,
  ) {
    // Lenses follow proposal status changes from the chat, the server and code actions.
    this.subscription = controller.store.subscribe((action) => {
      if (action.type === 'proposalStatus' || (action.type === 'update' && action.params.update?.sessionUpdate === 'proposal')) this.refresh();
    });
  }

  dispose(): void {
    this.subscription.dispose();
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
