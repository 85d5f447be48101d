/**
 * Types and method names of Skiff's custom LSP extension (docs/protocol.md).
 *
 * This module is pure data: no `vscode`, no Node APIs. It is shared by the extension, the webview
 * bundle and the tests.
 */

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Diagnostic {
  range: Range;
  severity?: number;
  code?: number | string;
  source?: string;
  message: string;
}

export const Methods = {
  chat: 'skiff/chat',
  update: 'skiff/update',
  proposal: 'skiff/proposal',
  resolveProposal: 'skiff/resolveProposal',
  undoProposal: 'skiff/undoProposal',
  cancel: 'skiff/cancel',
  sessions: 'skiff/sessions',
  session: 'skiff/session',
  models: 'skiff/models',
  setModel: 'skiff/setModel',
  status: 'skiff/status',
  requestPermission: 'skiff/requestPermission',
} as const;

/** Commands the server advertises through `workspace/executeCommand`. */
export const ServerCommands = {
  ask: 'skiff.ask',
  resolveProposal: 'skiff.resolveProposal',
  undoProposal: 'skiff.undoProposal',
  cancel: 'skiff.cancel',
} as const;

/** JSON-RPC error codes the protocol names. */
export const ErrorCodes = {
  InvalidParams: -32602,
  MethodNotFound: -32601,
  RequestCancelled: -32800,
  RequestFailed: -32803,
  SessionBusy: -32002,
} as const;

export interface ProposalsOptions {
  mode?: 'auto' | 'review' | 'direct';
}

export interface BashOptions {
  mode?: 'auto' | 'accept-all' | 'manual';
  allow?: string[];
  timeout?: number;
}

export interface UserAction {
  title: string;
  prompt: string;
  kind?: string;
}

export interface InitializationOptions {
  model?: string;
  skiffUi?: boolean;
  proposals?: ProposalsOptions;
  bash?: BashOptions;
  actions?: UserAction[];
}

export interface ChatContext {
  uri?: string;
  range?: Range;
  diagnostics?: Diagnostic[];
}

export interface ChatParams {
  prompt: string;
  sessionId?: string;
  context?: ChatContext;
  workDoneToken?: string | number;
}

export interface Usage {
  promptTokens?: number;
  completionTokens?: number;
  tokensPerSecond?: number;
}

export type StopReason = 'end_turn' | 'max_turn_requests' | 'error' | string;

export interface ChatResult {
  sessionId: string;
  stopReason: StopReason;
  proposalIds?: string[];
  usage?: Usage;
  /** With stopReason 'error': what failed and its fix (the same text as the `error` update). */
  error?: string;
}

export interface TextContent {
  type: 'text';
  text: string;
}

export type ToolKind = 'read' | 'edit' | 'search' | 'execute' | 'think' | 'other' | string;
export type ToolStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | string;

export interface ToolCallContent {
  type: 'content' | string;
  content?: TextContent;
}

export interface PlanEntry {
  content: string;
  priority?: 'high' | 'medium' | 'low' | string;
  status: 'pending' | 'in_progress' | 'completed' | string;
}

export type ProposalStatus = 'pending' | 'applied' | 'partially_applied' | 'rejected' | 'undone' | string;

export interface Hunk {
  id: string;
  range: Range;
  oldText: string;
  newText: string;
}

export interface ProposalFile {
  uri: string;
  path: string;
  kind: 'modify' | 'create' | 'delete' | string;
  version?: number | null;
  diff: string;
  hunks: Hunk[];
  /** Only in `skiff/proposal` results. */
  baseText?: string;
  newText?: string;
}

/** One check run on the proposed text (`syntax`, `lint`, `tests`, `intent`). */
export interface VerificationCheck {
  name: 'syntax' | 'lint' | 'tests' | 'intent' | string;
  ok: boolean;
  summary: string;
}

/** The checks that travel with a proposal made by the one-call edit path. */
export interface Verification {
  ok: boolean;
  /** The checks' summaries joined: "syntax ok · 4 tests passed". */
  summary: string;
  checks?: VerificationCheck[];
}

export interface Proposal {
  id: string;
  sessionId: string;
  status: ProposalStatus;
  summary?: string;
  files: ProposalFile[];
  /** Present when the proposal was checked before it was shown (docs/protocol.md, "Proposal object"). */
  verification?: Verification;
}

export interface FullProposalFile extends ProposalFile {
  baseText: string;
  newText: string;
}

export interface FullProposal extends Proposal {
  files: FullProposalFile[];
}

export type SessionUpdate =
  | { sessionUpdate: 'agent_message_chunk'; content: TextContent }
  | { sessionUpdate: 'agent_thought_chunk'; content: TextContent }
  | {
      sessionUpdate: 'tool_call';
      toolCallId: string;
      title: string;
      kind?: ToolKind;
      status?: ToolStatus;
      rawInput?: unknown;
    }
  | {
      sessionUpdate: 'tool_call_update';
      toolCallId: string;
      status?: ToolStatus;
      title?: string;
      content?: ToolCallContent[];
    }
  | { sessionUpdate: 'plan'; entries: PlanEntry[] }
  | { sessionUpdate: 'proposal'; proposal: Proposal }
  | {
      sessionUpdate: 'usage';
      promptTokens?: number;
      completionTokens?: number;
      tokensPerSecond?: number;
      contextUsed?: number;
      contextLimit?: number;
    }
  | { sessionUpdate: 'mechanism'; mechanism: string; detail?: string }
  | { sessionUpdate: 'error'; message: string };

export type SessionUpdateKind = SessionUpdate['sessionUpdate'];

export interface UpdateParams {
  sessionId: string;
  update: SessionUpdate;
}

export type ResolveAccept = 'all' | 'none' | string[];

export interface ResolveProposalParams {
  id: string;
  accept: ResolveAccept;
}

export interface ResolveProposalResult {
  /** 'conflict': nothing was applied, the proposal stays pending; `conflicts` says which hunk and why. */
  status: ProposalStatus | 'conflict';
  appliedHunks: string[];
  rebased: boolean;
  message?: string;
  conflicts?: { path: string; hunk: string; reason: string }[];
}

export interface UndoProposalResult {
  status: ProposalStatus;
}

export interface CancelResult {
  cancelled: boolean;
}

export interface SessionSummary {
  sessionId: string;
  title: string;
  model?: string;
  turns?: number;
  busy?: boolean;
}

export interface SessionsResult {
  sessions: SessionSummary[];
}

export interface HistoryToolCall {
  id: string;
  name: string;
  arguments?: unknown;
}

export interface HistoryMessage {
  role: 'user' | 'assistant' | 'tool' | 'system' | string;
  content: string;
  toolCalls?: HistoryToolCall[];
  toolCallId?: string;
}

export interface SessionHistory {
  sessionId: string;
  title?: string;
  model?: string;
  messages: HistoryMessage[];
  proposals?: { id: string; status: ProposalStatus }[];
}

export interface ModelInfo {
  id: string;
  name?: string;
  provider?: string;
  api?: string;
  contextWindow?: number;
  source?: string;
}

export interface ModelsResult {
  current: string;
  models: ModelInfo[];
}

export interface SetModelResult {
  model: string;
}

export interface StatusResult {
  version?: string;
  model?: string;
  busy?: boolean;
  contextUsed?: number;
  contextLimit?: number;
  contextFill?: number;
  tokensPerSecond?: number;
}

export interface PermissionOption {
  optionId: string;
  name: string;
  kind: 'allow_once' | 'allow_always' | 'reject_once' | 'reject_always' | string;
}

export interface RequestPermissionParams {
  sessionId: string;
  toolCall: { toolCallId: string; title: string; kind?: ToolKind; rawInput?: unknown };
  reason?: string;
  options: PermissionOption[];
}

export type PermissionOutcome = { outcome: 'selected'; optionId: string } | { outcome: 'cancelled' };

export interface RequestPermissionResult {
  outcome: PermissionOutcome;
}

export interface AskCommandArgs {
  uri: string;
  range: Range;
  prompt?: string;
  preset?: string;
  diagnostics?: Diagnostic[];
}
