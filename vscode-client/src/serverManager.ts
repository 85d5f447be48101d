/**
 * Runs the Skiff server through the language client: finds it, starts, stops and restarts it (after a
 * crash too), intercepts `skiff.*` commands from code actions, answers permission requests and keeps
 * the server's settings in step with VS Code's.
 */
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
import { type ChatController, describeError } from './chatController';
import type { ChatViewProvider } from './chatView';
import { askNeedsPrompt, askWithPrompt, permissionPrompt, permissionResult, sessionIdOf } from './commands';
import { RESTART_SETTINGS, RestartPolicy, initializationOptions, serverConfiguration } from './config';
import { ServerCommands } from './protocol';
import type { FoundServer } from './serverLookup';
import { locateServer, offerInstall } from './serverSetup';
import { readSettings } from './settings';
import { SkiffApi } from './skiffApi';

/** How the server is found and installed (tests replace these with a fake file system). */
export const serverHooks = { locate: locateServer, offerInstall };

export class ServerManager implements vscode.Disposable {
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

  /** A `skiff.*` setting changed: offer a restart for the server settings, push the live ones, switch the model. */
  onSettingsChanged(e: vscode.ConfigurationChangeEvent): void {
    if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) {
      void vscode.window.showInformationMessage('Skiff: restart the server to use the new server settings.', 'Restart').then((pick) => {
        if (pick) void this.restart();
      });
      return;
    }
    this.pushConfiguration();
    const model = readSettings().model?.trim();
    if (e.affectsConfiguration('skiff.model') && model) void this.controller.setModel(model);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
