/** Text for the status bar item and the chat footer (pure). */
import type { StatusResult } from './protocol';
import type { UsageView } from './chatState';

export function shortModel(model: string | null | undefined): string {
  if (!model) return 'no model';
  const slash = model.indexOf('/');
  return slash >= 0 ? model.slice(slash + 1) : model;
}

export function formatCount(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '–';
  if (Math.abs(n) < 1000) return String(Math.round(n));
  if (Math.abs(n) < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (Math.abs(n) < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function formatRate(tps: number | undefined | null): string | null {
  if (tps === undefined || tps === null || !Number.isFinite(tps) || tps <= 0) return null;
  return `${tps >= 100 ? Math.round(tps) : tps.toFixed(1)} tok/s`;
}

export function contextFill(used: number | undefined | null, limit: number | undefined | null): number | null {
  if (typeof used !== 'number' || typeof limit !== 'number' || !(limit > 0) || !Number.isFinite(used)) return null;
  return Math.max(0, Math.min(1, used / limit));
}

export interface StatusBarInput {
  model: string | null;
  busy: boolean;
  server: 'starting' | 'running' | 'stopped';
  usage: UsageView | null;
  status?: StatusResult | null;
}

export interface StatusBarView {
  text: string;
  tooltip: string;
  /** 'error' when the server is stopped (the item gets an error background). */
  severity: 'normal' | 'error';
}

export function statusBarView(input: StatusBarInput): StatusBarView {
  const model = shortModel(input.model);
  if (input.server === 'stopped') {
    return {
      text: '$(error) Skiff: stopped',
      tooltip: 'The Skiff server is not running. Click to restart it.',
      severity: 'error',
    };
  }
  if (input.server === 'starting') {
    return { text: '$(loading~spin) Skiff', tooltip: 'Starting the Skiff server…', severity: 'normal' };
  }
  const icon = input.busy ? '$(loading~spin)' : '$(hubot)';
  const rate = formatRate(input.usage?.tokensPerSecond ?? input.status?.tokensPerSecond);
  const text = `${icon} ${model}${rate ? ` · ${rate}` : ''}`;
  const lines = [`Skiff model: ${input.model ?? 'none'}`, input.busy ? 'Working…' : 'Idle'];
  const used = input.usage?.contextUsed ?? input.status?.contextUsed;
  const limit = input.usage?.contextLimit ?? input.status?.contextLimit;
  const fill = contextFill(used, limit);
  if (fill !== null) lines.push(`Context: ${formatCount(used)} / ${formatCount(limit)} tokens (${Math.round(fill * 100)}%)`);
  if (rate) lines.push(`Last turn: ${rate}`);
  lines.push('Click to choose a model.');
  return { text, tooltip: lines.join('\n'), severity: 'normal' };
}

/** The chat footer: "812 in · 64 out · 14.2 tok/s" and the context fill. */
export function footerView(usage: UsageView | null, status?: StatusResult | null): {
  tokens: string;
  context: string;
  fill: number | null;
} {
  const parts: string[] = [];
  if (usage?.promptTokens !== undefined) parts.push(`${formatCount(usage.promptTokens)} in`);
  if (usage?.completionTokens !== undefined) parts.push(`${formatCount(usage.completionTokens)} out`);
  const rate = formatRate(usage?.tokensPerSecond ?? status?.tokensPerSecond);
  if (rate) parts.push(rate);
  const used = usage?.contextUsed ?? status?.contextUsed;
  const limit = usage?.contextLimit ?? status?.contextLimit;
  const fill = contextFill(used, limit) ?? (status?.contextFill ?? null);
  const context =
    fill === null ? '' : `context ${formatCount(used)} / ${formatCount(limit)} (${Math.round(fill * 100)}%)`;
  return { tokens: parts.join(' · '), context, fill };
}
