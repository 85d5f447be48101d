/** The status bar item (model, busy spinner, tokens/s, server state) and the `skiff.busy` context key. */
import * as vscode from 'vscode';
import type { ChatController } from './chatController';
import { isBusy } from './chatState';
import { Commands } from './commands';
import { readSettings } from './settings';
import { statusBarView } from './status';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  private readonly subscription: { dispose(): void };

  constructor(private readonly controller: ChatController) {
    this.item.name = 'Skiff';
    this.render();
    this.item.show();
    this.subscription = controller.store.subscribe(() => this.render());
  }

  /** Shows the chat state; clicking opens the model picker, or restarts a stopped server. */
  render(): void {
    const state = this.controller.store.state;
    const view = statusBarView({
      model: state.currentModel ?? (readSettings().model || null),
      busy: isBusy(state),
      server: state.server,
      usage: state.lastUsage,
      status: state.status,
    });
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = state.server === 'stopped' ? Commands.restartServer : Commands.selectModel;
    this.item.backgroundColor = view.severity === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    void vscode.commands.executeCommand('setContext', 'skiff.busy', isBusy(state));
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
