/** Messages between the chat webview and the extension (pure types). */
import type { ChatAction } from '../chatState';

/** Extension → webview: reducer actions, plus a request to focus the prompt box. */
export type ToWebview = ChatAction | { type: 'focusInput'; text?: string };

/** Webview → extension. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'send'; text: string; sessionId: string | null }
  | { type: 'cancel'; sessionId: string | null }
  | { type: 'newChat' }
  | { type: 'selectSession'; sessionId: string }
  | { type: 'refreshSessions' }
  | { type: 'setModel'; model: string }
  | { type: 'openProposal'; id: string }
  | { type: 'resolveProposal'; id: string; accept: 'all' | 'none' }
  | { type: 'undoProposal'; id: string }
  | { type: 'clearContext' };

export function isFromWebview(value: unknown): value is FromWebview {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
