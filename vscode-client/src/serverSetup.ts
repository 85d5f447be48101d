/**
 * The VS Code side of finding and installing the server: the real file system, the Python extension's
 * API and process probes for serverLookup, and the offer to install Skiff into an interpreter the user
 * picks, in a visible terminal.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SkiffSettings } from './config';
import { type FoundServer, type LookupEnv, candidatePlaces, findServer, installCommand } from './serverLookup';

const PROBE_TIMEOUT_MS = 5000;

interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath?(resource?: vscode.Uri): { path?: string } | undefined };
  settings?: { getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } | undefined };
}

/** The interpreter the Python extension (ms-python.python) selected, when that extension is installed. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const active = api?.environments?.getActiveEnvironmentPath?.(resource)?.path;
    if (active) return active;
    return api?.settings?.getExecutionDetails?.(resource)?.execCommand?.[0];
  } catch {
    return undefined;
  }
}

function isExecutable(file: string): Promise<boolean> {
  return fs.promises.access(file, fs.constants.X_OK).then(
    () => fs.promises.stat(file).then((s) => s.isFile()),
    () => false,
  );
}

function hasSkiffModule(python: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import skiff.server'], { timeout: PROBE_TIMEOUT_MS }, (error) => resolve(!error));
  });
}

export function lookupEnv(): LookupEnv {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return {
    platform: process.platform,
    home: os.homedir(),
    env: process.env,
    workspaceFolder: folder?.uri.fsPath,
    trusted: vscode.workspace.isTrusted,
    isExecutable,
    pythonExtensionInterpreter: () => pythonExtensionInterpreter(folder?.uri),
    hasSkiffModule,
  };
}

export function locateServer(settings: SkiffSettings): Promise<FoundServer | null> {
  return findServer(settings, lookupEnv());
}

/** Interpreters to offer for the install: the Python extension's, the workspace's venvs, python3 on PATH. */
async function interpreterChoices(env: LookupEnv): Promise<vscode.QuickPickItem[]> {
  const items: vscode.QuickPickItem[] = [];
  const seen = new Set<string>();
  const add = (file: string, description: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    items.push({ label: file, description });
  };
  const selected = await env.pythonExtensionInterpreter();
  if (selected) add(selected, 'selected in the Python extension');
  const bin = env.platform === 'win32' ? 'Scripts' : 'bin';
  const python = env.platform === 'win32' ? 'python.exe' : 'python';
  if (env.workspaceFolder && env.trusted) {
    for (const venv of ['.venv', 'venv']) {
      const file = path.join(env.workspaceFolder, venv, bin, python);
      if (await env.isExecutable(file)) add(file, 'workspace virtual environment');
    }
  }
  for (const dir of (env.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, env.platform === 'win32' ? 'python.exe' : 'python3');
    if (await env.isExecutable(file)) {
      add(file, 'on PATH');
      break;
    }
  }
  items.push({ label: 'pipx', description: "its own environment: pipx install 'skiff-ls[embedded]'" });
  items.push({ label: 'Other interpreter…', description: 'browse for a Python executable' });
  return items;
}

/**
 * Says the server is missing and where Skiff looked; offers to install it into an interpreter the user
 * picks (pip, or pipx) in a visible terminal, then to restart the server.
 */
export async function offerInstall(restart: () => Promise<void>): Promise<void> {
  const env = lookupEnv();
  const places = candidatePlaces(env).join(', ');
  const pick = await vscode.window.showErrorMessage(
    `Skiff: the skiff server is not installed where Skiff looks (${places}). Install it, or set skiff.pythonPath.`,
    'Install…',
    'Open settings',
  );
  if (pick === 'Open settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'skiff.pythonPath');
    return;
  }
  if (pick !== 'Install…') return;
  const choice = await vscode.window.showQuickPick(await interpreterChoices(env), {
    title: 'Install Skiff into which Python?',
    placeHolder: 'Skiff runs with this interpreter',
    ignoreFocusOut: true,
  });
  if (!choice) return;
  let python: string | null = choice.label;
  if (choice.label === 'pipx') python = null;
  else if (choice.label === 'Other interpreter…') {
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, title: 'Python interpreter' });
    if (!files?.[0]) return;
    python = files[0].fsPath;
  }
  const terminal = vscode.window.createTerminal({ name: 'Skiff: install' });
  terminal.show();
  terminal.sendText(installCommand(python, env.platform));
  const next = await vscode.window.showInformationMessage(
    'Skiff: installing in the terminal. Start the server when it has finished.',
    'Start server',
  );
  if (next !== 'Start server') return;
  if (python !== null) {
    // Run the server with the interpreter it was installed into (pipx puts `skiff` where lookup finds it).
    await vscode.workspace.getConfiguration('skiff').update('pythonPath', python, vscode.ConfigurationTarget.Global);
  }
  await restart();
}
