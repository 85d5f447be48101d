/**
 * A recording stub of the parts of the `vscode` API the extension uses (aliased as `vscode` in
 * vitest.config.ts). Tests drive it through `stub`: queue answers for input boxes and message
 * prompts, inspect registered commands, providers and shown messages.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

type Listener<T> = (e: T) => any;

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...items: { dispose(): any }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (listener: Listener<T>): Disposable => {
    this.listeners.push(listener);
    return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
  };
  fire(e: T): void {
    for (const l of this.listeners.slice()) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
  isBefore(o: Position): boolean {
    return this.line < o.line || (this.line === o.line && this.character < o.character);
  }
  isAfter(o: Position): boolean {
    return o.isBefore(this);
  }
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    if (typeof a === 'number') {
      this.start = new Position(a, b as number);
      this.end = new Position(c ?? 0, d ?? 0);
    } else {
      this.start = a;
      this.end = b as Position;
    }
  }
  get isEmpty(): boolean {
    return this.start.line === this.end.line && this.start.character === this.end.character;
  }
  intersection(o: Range): Range | undefined {
    const start = this.start.isBefore(o.start) ? o.start : this.start;
    const end = this.end.isBefore(o.end) ? this.end : o.end;
    return start.isAfter(end) ? undefined : new Range(start, end);
  }
}

export class Selection extends Range {
  get active(): Position {
    return this.end;
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static parse(value: string): Uri {
    const m = /^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(value);
    if (!m) throw new Error(`bad uri ${value}`);
    return new Uri(m[1]!, m[2] ?? '', decodeURIComponent(m[3] ?? ''), m[4] ?? '', m[5] ?? '');
  }
  static file(path: string): Uri {
    return new Uri('file', '', path, '', '');
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, base.authority, [base.path.replace(/\/$/, ''), ...parts].join('/'), base.query, base.fragment);
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { query?: string; path?: string }): Uri {
    return new Uri(this.scheme, this.authority, change.path ?? this.path, change.query ?? this.query, this.fragment);
  }
  toString(): string {
    const auth = this.scheme === 'file' || this.authority ? `//${this.authority}` : '';
    return `${this.scheme}:${auth}${this.path}${this.query ? `?${this.query}` : ''}`;
  }
}

export class CodeLens {
  constructor(
    readonly range: Range,
    readonly command?: { title: string; command: string; arguments?: any[] },
  ) {}
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export class Diagnostic {
  source?: string;
  code?: string | number | { value: string | number; target: Uri };
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: DiagnosticSeverity = DiagnosticSeverity.Error,
  ) {}
}

export class TabInputTextDiff {
  constructor(
    readonly original: Uri,
    readonly modified: Uri,
  ) {}
}

export interface FakeStatusBarItem {
  text: string;
  tooltip?: string;
  command?: string;
  name?: string;
  backgroundColor?: ThemeColor;
  visible: boolean;
  show(): void;
  hide(): void;
  dispose(): void;
}

export interface FakeTextDocument {
  uri: Uri;
  lineCount: number;
  getText(): string;
  lineAt(line: number): { range: Range; text: string };
}

export function makeDocument(uri: Uri, text: string): FakeTextDocument {
  const lines = text.split('\n');
  return {
    uri,
    lineCount: lines.length,
    getText: () => text,
    lineAt: (line: number) => ({ text: lines[line] ?? '', range: new Range(line, 0, line, (lines[line] ?? '').length) }),
  };
}

/** Everything the stub records; reset between tests with stub.reset(). */
export const stub = {
  commands: new Map<string, (...args: any[]) => any>(),
  executed: [] as { command: string; args: any[] }[],
  messages: [] as { level: 'info' | 'warning' | 'error'; message: string; options?: any; items: string[] }[],
  inputBoxAnswers: [] as (string | undefined)[],
  inputBoxes: [] as any[],
  messageAnswers: [] as (string | undefined)[],
  quickPickAnswers: [] as any[],
  statusItems: [] as FakeStatusBarItem[],
  webviewProviders: new Map<string, any>(),
  contentProviders: new Map<string, any>(),
  codeLensProviders: [] as { selector: any; provider: any }[],
  config: {} as Record<string, any>,
  configUpdates: [] as { key: string; value: unknown; target?: ConfigurationTarget }[],
  quickPicks: [] as { items: any[]; options: any }[],
  configListeners: [] as Listener<{ affectsConfiguration(s: string): boolean }>[],
  diagnostics: new Map<string, Diagnostic[]>(),
  activeTextEditor: undefined as any,
  contexts: new Map<string, any>(),
  closedTabs: [] as any[],
  tabGroups: [] as { tabs: { input: any }[] }[],
  reset(): void {
    this.commands.clear();
    this.executed = [];
    this.messages = [];
    this.inputBoxAnswers = [];
    this.inputBoxes = [];
    this.messageAnswers = [];
    this.quickPickAnswers = [];
    this.statusItems = [];
    this.webviewProviders.clear();
    this.contentProviders.clear();
    this.codeLensProviders = [];
    this.config = {};
    this.configUpdates = [];
    this.quickPicks = [];
    this.configListeners = [];
    this.diagnostics.clear();
    this.activeTextEditor = undefined;
    this.contexts.clear();
    this.closedTabs = [];
    this.tabGroups = [];
  },
  fireConfigChange(...keys: string[]): void {
    const e = { affectsConfiguration: (s: string) => keys.some((k) => k === s || k.startsWith(`${s}.`)) };
    for (const l of this.configListeners) l(e);
  },
};

function showMessage(level: 'info' | 'warning' | 'error') {
  return (message: string, ...rest: any[]): Promise<string | undefined> => {
    let options: any;
    if (rest.length && typeof rest[0] === 'object' && rest[0] !== null) options = rest.shift();
    stub.messages.push({ level, message, options, items: rest as string[] });
    return Promise.resolve(stub.messageAnswers.shift());
  };
}

const noopEvent = () => new Disposable();

export const window = {
  get activeTextEditor() {
    return stub.activeTextEditor;
  },
  createOutputChannel: (name: string) => ({
    name,
    lines: [] as string[],
    appendLine(line: string) {
      this.lines.push(line);
    },
    append() {},
    show() {},
    info() {},
    warn() {},
    error() {},
    debug() {},
    trace() {},
    clear() {},
    dispose() {},
  }),
  createStatusBarItem: (): FakeStatusBarItem => {
    const item: FakeStatusBarItem = {
      text: '',
      visible: false,
      show() {
        this.visible = true;
      },
      hide() {
        this.visible = false;
      },
      dispose() {},
    };
    stub.statusItems.push(item);
    return item;
  },
  registerWebviewViewProvider: (id: string, provider: any) => {
    stub.webviewProviders.set(id, provider);
    return new Disposable(() => stub.webviewProviders.delete(id));
  },
  onDidChangeActiveTextEditor: noopEvent,
  onDidChangeTextEditorSelection: noopEvent,
  showInputBox: (options: any) => {
    stub.inputBoxes.push(options);
    return Promise.resolve(stub.inputBoxAnswers.shift());
  },
  showInformationMessage: showMessage('info'),
  showWarningMessage: showMessage('warning'),
  showErrorMessage: showMessage('error'),
  showQuickPick: (items: any[], options?: any) => {
    stub.quickPicks.push({ items, options });
    const answer = stub.quickPickAnswers.shift();
    return Promise.resolve(typeof answer === 'function' ? answer(items) : answer);
  },
  tabGroups: {
    get all() {
      return stub.tabGroups;
    },
    close: (tabs: any[]) => {
      stub.closedTabs.push(...tabs);
      return Promise.resolve(true);
    },
  },
};

export const workspace = {
  workspaceFolders: [{ uri: Uri.file('/work/demo'), name: 'demo', index: 0 }],
  getConfiguration: (section?: string) => ({
    get: <T>(key: string, dflt?: T): T | undefined => {
      const full = section ? `${section}.${key}` : key;
      return full in stub.config ? (stub.config[full] as T) : dflt;
    },
    update: (key: string, value: unknown, target?: ConfigurationTarget) => {
      const full = section ? `${section}.${key}` : key;
      stub.config[full] = value;
      stub.configUpdates.push({ key: full, value, target });
      return Promise.resolve();
    },
  }),
  registerTextDocumentContentProvider: (scheme: string, provider: any) => {
    stub.contentProviders.set(scheme, provider);
    return new Disposable(() => stub.contentProviders.delete(scheme));
  },
  onDidChangeConfiguration: (listener: Listener<{ affectsConfiguration(s: string): boolean }>) => {
    stub.configListeners.push(listener);
    return new Disposable();
  },
  asRelativePath: (uri: Uri | string) => {
    const p = typeof uri === 'string' ? uri : uri.path;
    return p.startsWith('/work/demo/') ? p.slice('/work/demo/'.length) : p;
  },
};

export const languages = {
  registerCodeLensProvider: (selector: any, provider: any) => {
    stub.codeLensProviders.push({ selector, provider });
    return new Disposable();
  },
  getDiagnostics: (uri: Uri) => stub.diagnostics.get(uri.toString()) ?? [],
};

export const commands = {
  registerCommand: (id: string, fn: (...args: any[]) => any) => {
    if (stub.commands.has(id)) throw new Error(`command '${id}' already exists`);
    stub.commands.set(id, fn);
    return new Disposable(() => stub.commands.delete(id));
  },
  executeCommand: async (command: string, ...args: any[]) => {
    stub.executed.push({ command, args });
    if (command === 'setContext') stub.contexts.set(args[0], args[1]);
    const fn = stub.commands.get(command);
    return fn ? fn(...args) : undefined;
  },
};

export const env = { openExternal: () => Promise.resolve(true) };
