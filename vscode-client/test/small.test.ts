import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OPTIONS,
  askNeedsPrompt,
  askWithPrompt,
  contextLabel,
  diagnosticsInRange,
  permissionPrompt,
  permissionResult,
  sessionIdOf,
} from '../src/commands';
import { RestartPolicy, initializationOptions, resolveServerLaunch, serverConfiguration, splitCommandLine } from '../src/config';
import type { RequestPermissionParams } from '../src/protocol';
import { contextFill, footerView, formatCount, formatRate, shortModel, statusBarView } from '../src/status';

describe('server launch', () => {
  it('defaults to `skiff serve`', () => {
    expect(resolveServerLaunch({})).toEqual({ command: 'skiff', args: ['serve'], env: {} });
    expect(resolveServerLaunch({ serverCommand: [] })).toMatchObject({ command: 'skiff', args: ['serve'] });
  });

  it('runs `<python> -m skiff.server` when a Python interpreter is set', () => {
    expect(resolveServerLaunch({ pythonPath: ' /venv/bin/python ', serverCommand: ['ignored'] })).toEqual({
      command: '/venv/bin/python',
      args: ['-m', 'skiff.server'],
      env: {},
    });
  });

  it('takes a custom command as an array or a string and expands variables', () => {
    expect(resolveServerLaunch({ serverCommand: ['${workspaceFolder}/.venv/bin/skiff', 'serve', '--model', 'x/y'] }, { workspaceFolder: '/w' })).toMatchObject({
      command: '/w/.venv/bin/skiff',
      args: ['serve', '--model', 'x/y'],
    });
    expect(resolveServerLaunch({ serverCommand: '~/bin/skiff serve' }, { home: '/home/me' })).toMatchObject({ command: '/home/me/bin/skiff', args: ['serve'] });
    expect(splitCommandLine(`a "b c" 'd e' f`)).toEqual(['a', 'b c', 'd e', 'f']);
    expect(resolveServerLaunch({ modelsFile: '${workspaceFolder}/models.json' }, { workspaceFolder: '/w' }).env).toEqual({ SKIFF_MODELS_FILE: '/w/models.json' });
  });

  it('builds initializationOptions with skiffUi and leaves client-only settings out of the server config', () => {
    const settings = { model: 'ollama/qwen', bashMode: 'manual' as const, bashAllow: ['npm test'], bashTimeout: 30, proposalsMode: 'review' as const, pythonPath: '/p', serverCommand: ['x'] };
    expect(initializationOptions(settings)).toEqual({
      model: 'ollama/qwen',
      proposals: { mode: 'review' },
      bash: { mode: 'manual', allow: ['npm test'], timeout: 30 },
      skiffUi: true,
    });
    expect(serverConfiguration({ model: '  ', actions: [] })).toEqual({});
    expect(initializationOptions({})).toEqual({ skiffUi: true });
  });
});

describe('restart policy', () => {
  it('restarts up to N crashes within the window, then gives up until reset', () => {
    const p = new RestartPolicy(2, 1000);
    expect(p.onCrash(0)).toBe(true);
    expect(p.onCrash(100)).toBe(true);
    expect(p.onCrash(200)).toBe(false);
    expect(p.recentCrashes).toBe(3);
    expect(p.onCrash(5000)).toBe(true);
    p.reset();
    expect(p.recentCrashes).toBe(0);
  });
});

describe('status formatting', () => {
  it('formats counts, rates and fill', () => {
    expect(formatCount(812)).toBe('812');
    expect(formatCount(4096)).toBe('4.1k');
    expect(formatCount(32768)).toBe('33k');
    expect(formatCount(2_500_000)).toBe('2.5M');
    expect(formatCount(undefined)).toBe('–');
    expect(formatRate(14.23)).toBe('14.2 tok/s');
    expect(formatRate(120.4)).toBe('120 tok/s');
    expect(formatRate(0)).toBeNull();
    expect(contextFill(812, 4096)).toBeCloseTo(0.198, 3);
    expect(contextFill(9000, 4096)).toBe(1);
    expect(contextFill(0, 4096)).toBe(0);
    expect(contextFill(10, 0)).toBeNull();
    expect(shortModel('embedded/smollm2-135m')).toBe('smollm2-135m');
    expect(shortModel(null)).toBe('no model');
  });

  it('renders the status bar for each server state', () => {
    const usage = { tokensPerSecond: 14.2, contextUsed: 812, contextLimit: 4096 };
    const idle = statusBarView({ model: 'embedded/smollm2-135m', busy: false, server: 'running', usage });
    expect(idle.text).toBe('$(hubot) smollm2-135m · 14.2 tok/s');
    expect(idle.tooltip).toContain('Context: 812 / 4.1k tokens (20%)');
    expect(statusBarView({ model: 'a/b', busy: true, server: 'running', usage: null }).text).toBe('$(loading~spin) b');
    expect(statusBarView({ model: 'a/b', busy: false, server: 'stopped', usage: null })).toMatchObject({ severity: 'error', text: '$(error) Skiff: stopped' });
    expect(statusBarView({ model: null, busy: false, server: 'starting', usage: null }).text).toContain('Skiff');
  });

  it('renders the chat footer', () => {
    expect(footerView({ promptTokens: 812, completionTokens: 64, tokensPerSecond: 14.2, contextUsed: 876, contextLimit: 4096 })).toEqual({
      tokens: '812 in · 64 out · 14.2 tok/s',
      context: 'context 876 / 4.1k (21%)',
      fill: 876 / 4096,
    });
    expect(footerView(null, { contextUsed: 100, contextLimit: 1000, tokensPerSecond: 3 })).toMatchObject({ tokens: '3.0 tok/s', fill: 0.1 });
    expect(footerView(null)).toEqual({ tokens: '', context: '', fill: null });
  });
});

describe('command helpers', () => {
  const range = { start: { line: 1, character: 0 }, end: { line: 3, character: 0 } };
  it('detects skiff.ask calls that need an instruction', () => {
    expect(askNeedsPrompt([{ uri: 'file:///a', range }])).toBe(true);
    expect(askNeedsPrompt([{ uri: 'file:///a', range, prompt: '  ' }])).toBe(true);
    expect(askNeedsPrompt([{ uri: 'file:///a', range, prompt: 'do it' }])).toBe(false);
    expect(askNeedsPrompt([{ uri: 'file:///a', range, preset: 'explain' }])).toBe(false);
    expect(askNeedsPrompt([])).toBe(false);
    expect(askWithPrompt([{ uri: 'u', range }], 'x')).toEqual([{ uri: 'u', range, prompt: 'x' }]);
    expect(sessionIdOf({ sessionId: 'abc' })).toBe('abc');
    expect(sessionIdOf(null)).toBeNull();
  });

  it('labels editor context with 1-based lines', () => {
    expect(contextLabel('src/stats.py', range)).toBe('stats.py:2-3');
    expect(contextLabel('stats.py', { start: { line: 4, character: 2 }, end: { line: 4, character: 9 } })).toBe('stats.py:5');
    expect(contextLabel('a\\b\\c.ts', null)).toBe('c.ts');
  });

  it('picks the diagnostics touching a range', () => {
    const d = (line: number) => ({ range: { start: { line, character: 0 }, end: { line, character: 5 } }, message: `l${line}` });
    expect(diagnosticsInRange([d(0), d(1), d(3), d(4)], range).map((x) => x.message)).toEqual(['l1', 'l3']);
  });

  it('maps the permission prompt to ACP-style answers', () => {
    const params: RequestPermissionParams = {
      sessionId: 's',
      toolCall: { toolCallId: 'c', title: 'bash: rm -rf build', kind: 'execute', rawInput: { command: 'rm -rf build' } },
      reason: "'rm' is not in the allowlist",
      options: DEFAULT_OPTIONS,
    };
    const prompt = permissionPrompt(params);
    expect(prompt.message).toBe('Skiff wants to run: rm -rf build');
    expect(prompt.detail).toContain("'rm' is not in the allowlist");
    expect(prompt.buttons).toEqual(['Allow once', 'Allow always', 'Reject']);
    expect(permissionResult(params, 'Allow always')).toEqual({ outcome: { outcome: 'selected', optionId: 'allow_always' } });
    expect(permissionResult(params, 'Reject')).toEqual({ outcome: { outcome: 'selected', optionId: 'reject' } });
    expect(permissionResult(params, undefined)).toEqual({ outcome: { outcome: 'cancelled' } });
    expect(permissionResult({ ...params, options: [] }, 'Allow once')).toEqual({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
  });
});
