/** Settings → server command line, initializationOptions and the `skiff` configuration section (pure). */
import type { BashOptions, InitializationOptions, UserAction } from './protocol';

export interface SkiffSettings {
  serverCommand?: string[] | string;
  pythonPath?: string;
  model?: string;
  proposalsMode?: 'auto' | 'review' | 'direct';
  bashMode?: BashOptions['mode'];
  bashAllow?: string[];
  bashTimeout?: number;
  actions?: UserAction[];
  modelsFile?: string;
}

export const DEFAULT_SERVER_COMMAND = ['skiff', 'serve'];

export interface ServerLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Splits a command string on whitespace, honouring simple single and double quotes. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

function expand(value: string, vars: { workspaceFolder?: string; home?: string }): string {
  let v = value;
  if (vars.workspaceFolder !== undefined) v = v.split('${workspaceFolder}').join(vars.workspaceFolder);
  if (vars.home && (v === '~' || v.startsWith('~/'))) v = vars.home + v.slice(1);
  return v;
}

/**
 * The server's command line: `<pythonPath> -m skiff.server` when `skiff.pythonPath` is set, else
 * `skiff.serverCommand` (default `skiff serve`).
 */
export function resolveServerLaunch(
  settings: SkiffSettings,
  vars: { workspaceFolder?: string; home?: string } = {},
): ServerLaunch {
  const env: Record<string, string> = {};
  if (settings.modelsFile && settings.modelsFile.trim()) env.SKIFF_MODELS_FILE = expand(settings.modelsFile.trim(), vars);
  const python = settings.pythonPath?.trim();
  if (python) return { command: expand(python, vars), args: ['-m', 'skiff.server'], env };
  let parts: string[];
  if (typeof settings.serverCommand === 'string') parts = splitCommandLine(settings.serverCommand);
  else if (Array.isArray(settings.serverCommand)) parts = settings.serverCommand.filter((p) => typeof p === 'string');
  else parts = [];
  if (parts.length === 0 || !parts[0]) parts = DEFAULT_SERVER_COMMAND;
  const [command, ...args] = parts.map((p) => expand(p, vars));
  return { command: command!, args, env };
}

/** The `skiff` configuration object the server validates (client-only settings left out). */
export function serverConfiguration(settings: SkiffSettings): Omit<InitializationOptions, 'skiffUi'> {
  const cfg: Omit<InitializationOptions, 'skiffUi'> = {};
  if (settings.model && settings.model.trim()) cfg.model = settings.model.trim();
  if (settings.proposalsMode) cfg.proposals = { mode: settings.proposalsMode };
  const bash: BashOptions = {};
  if (settings.bashMode) bash.mode = settings.bashMode;
  if (settings.bashAllow && settings.bashAllow.length) bash.allow = settings.bashAllow.slice();
  if (typeof settings.bashTimeout === 'number' && settings.bashTimeout > 0) bash.timeout = settings.bashTimeout;
  if (Object.keys(bash).length) cfg.bash = bash;
  if (settings.actions && settings.actions.length) cfg.actions = settings.actions.slice();
  return cfg;
}

export function initializationOptions(settings: SkiffSettings): InitializationOptions {
  return { ...serverConfiguration(settings), skiffUi: true };
}

/** Which setting changes need a server restart (the rest are sent live). */
export const RESTART_SETTINGS = ['skiff.serverCommand', 'skiff.pythonPath', 'skiff.modelsFile'];

/**
 * Crash-restart policy: restart after a crash unless the server crashed `maxRestarts` times within
 * `windowMs` (then give up and let the user restart by command).
 */
export class RestartPolicy {
  private crashes: number[] = [];
  constructor(
    private readonly maxRestarts = 4,
    private readonly windowMs = 3 * 60 * 1000,
  ) {}

  /** Records a crash at `now`; returns true if the server should be restarted. */
  onCrash(now: number): boolean {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length <= this.maxRestarts;
  }

  reset(): void {
    this.crashes = [];
  }

  get recentCrashes(): number {
    return this.crashes.length;
  }
}
