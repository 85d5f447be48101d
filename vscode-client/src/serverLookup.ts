/**
 * Finding the Skiff server the way Python tools' extensions find their tool (pure: the file system, the
 * Python extension and process probes are injected, so the order is tested without VS Code).
 *
 * Order: the `skiff.pythonPath` / `skiff.serverCommand` settings → the workspace's `.venv` / `venv`
 * (trusted workspaces only: it is code from the workspace) → the Python extension's selected interpreter
 * → `~/.local/bin` → pipx (`$PIPX_BIN_DIR`, its `skiff-ls` venv) → PATH.
 */
import * as path from 'node:path';
import { DEFAULT_SERVER_COMMAND, type ServerLaunch, type SkiffSettings, resolveServerLaunch } from './config';

export type LookupSource = 'setting' | 'workspace venv' | 'python extension' | '~/.local/bin' | 'pipx' | 'PATH';

export interface FoundServer extends ServerLaunch {
  source: LookupSource;
}

export interface LookupEnv {
  platform: NodeJS.Platform;
  home: string;
  env: Record<string, string | undefined>;
  workspaceFolder?: string;
  /** Workspace trust: an untrusted workspace's own virtualenv is never run. */
  trusted: boolean;
  /** Whether an executable file exists at this path. */
  isExecutable(file: string): Promise<boolean>;
  /** The interpreter the Python extension has selected for the workspace, if it is installed. */
  pythonExtensionInterpreter(): Promise<string | undefined>;
  /** Whether `python -c "import skiff.server"` succeeds. */
  hasSkiffModule(python: string): Promise<boolean>;
}

/** A non-default server command or a python path set by the user. */
export function configuredLaunch(settings: SkiffSettings, vars: { workspaceFolder?: string; home?: string }): ServerLaunch | null {
  if (settings.pythonPath?.trim()) return resolveServerLaunch(settings, vars);
  const cmd = settings.serverCommand;
  const parts = typeof cmd === 'string' ? cmd.trim().split(/\s+/) : Array.isArray(cmd) ? cmd : [];
  const isDefault = parts.length === 0 || parts.join(' ') === DEFAULT_SERVER_COMMAND.join(' ');
  return isDefault ? null : resolveServerLaunch(settings, vars);
}

function binDir(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'Scripts' : 'bin';
}

function exe(name: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? `${name}.exe` : name;
}

/** Where each step looks for the `skiff` script (for messages: "looked in …"). */
export function candidatePlaces(env: Pick<LookupEnv, 'platform' | 'home' | 'env' | 'workspaceFolder' | 'trusted'>): string[] {
  const p = env.platform === 'win32' ? path.win32 : path.posix;
  const out: string[] = [];
  if (env.workspaceFolder && env.trusted) {
    for (const venv of ['.venv', 'venv']) out.push(p.join(env.workspaceFolder, venv, binDir(env.platform), exe('skiff', env.platform)));
  }
  out.push('python extension');
  out.push(p.join(env.home, '.local', 'bin', exe('skiff', env.platform)));
  out.push(...pipxPlaces(env));
  out.push('PATH');
  return out;
}

/** pipx's bin folder when moved by PIPX_BIN_DIR, and the `skiff-ls` venv pipx made (new and old homes). */
function pipxPlaces(env: Pick<LookupEnv, 'platform' | 'home' | 'env'>): string[] {
  const p = env.platform === 'win32' ? path.win32 : path.posix;
  const skiff = exe('skiff', env.platform);
  const out: string[] = [];
  if (env.env.PIPX_BIN_DIR) out.push(p.join(env.env.PIPX_BIN_DIR, skiff));
  const homes = env.env.PIPX_HOME ? [env.env.PIPX_HOME] : [p.join(env.home, '.local', 'share', 'pipx'), p.join(env.home, '.local', 'pipx')];
  for (const home of homes) out.push(p.join(home, 'venvs', 'skiff-ls', binDir(env.platform), skiff));
  return out;
}

/** The server to start, or null when none is installed anywhere Skiff looks. */
export async function findServer(settings: SkiffSettings, env: LookupEnv): Promise<FoundServer | null> {
  const vars = { workspaceFolder: env.workspaceFolder, home: env.home };
  const modelsEnv = resolveServerLaunch({ modelsFile: settings.modelsFile }, vars).env;
  const launch = (command: string, args: string[], source: LookupSource): FoundServer => ({ command, args, env: modelsEnv, source });
  const configured = configuredLaunch(settings, vars);
  if (configured) return { ...configured, source: 'setting' };

  const p = env.platform === 'win32' ? path.win32 : path.posix;
  const skiff = exe('skiff', env.platform);
  if (env.workspaceFolder && env.trusted) {
    for (const venv of ['.venv', 'venv']) {
      const file = p.join(env.workspaceFolder, venv, binDir(env.platform), skiff);
      if (await env.isExecutable(file)) return launch(file, ['serve'], 'workspace venv');
    }
  }
  const python = await env.pythonExtensionInterpreter();
  if (python) {
    const beside = p.join(p.dirname(python), skiff);
    if (await env.isExecutable(beside)) return launch(beside, ['serve'], 'python extension');
    if (await env.hasSkiffModule(python)) return launch(python, ['-m', 'skiff.server'], 'python extension');
  }
  const local = p.join(env.home, '.local', 'bin', skiff);
  if (await env.isExecutable(local)) return launch(local, ['serve'], '~/.local/bin');
  for (const file of pipxPlaces(env)) if (await env.isExecutable(file)) return launch(file, ['serve'], 'pipx');
  const dirs = (env.env.PATH ?? env.env.Path ?? '').split(env.platform === 'win32' ? ';' : ':').filter(Boolean);
  for (const dir of dirs) {
    const file = p.join(dir, skiff);
    if (await env.isExecutable(file)) return launch(file, ['serve'], 'PATH');
  }
  return null;
}

/** The terminal command that installs Skiff into an interpreter (or with pipx when `python` is null). */
export function installCommand(python: string | null, platform: NodeJS.Platform): string {
  const spec = "'skiff-ls[embedded]'";
  if (python === null) return `pipx install ${platform === 'win32' ? '"skiff-ls[embedded]"' : spec}`;
  const quoted = /[\s"']/.test(python) ? (platform === 'win32' ? `& "${python}"` : `"${python}"`) : python;
  return `${quoted} -m pip install ${platform === 'win32' ? '"skiff-ls[embedded]"' : spec}`;
}
