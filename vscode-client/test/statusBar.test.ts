/** The status bar item and the `skiff.busy` context key, through the activated extension. */
import { describe, expect, it, vi } from 'vitest';
import { ChatController } from '../src/chatController';
import { Commands } from '../src/commands';
import { Methods } from '../src/protocol';
import { StatusBar } from '../src/statusBar';
import { activate, useExtensionHarness } from './extensionHarness';
import { stub } from './vscodeFixtures';

vi.mock('vscode-languageclient/node', () => import('./fakeLanguageClient'));

useExtensionHarness();

describe('status bar', () => {
  it('shows model, busy state and tokens/s in the status bar', async () => {
    const client = await activate();
    const item = stub.statusItems[0];
    expect(item.visible).toBe(true);
    expect(item.text).toBe('$(hubot) scripted · 7.5 tok/s');
    expect(item.command).toBe(Commands.selectModel);
    client.notify(Methods.update, { sessionId: 'bg', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'x' } } });
    expect(item.text).toContain('$(loading~spin)');
    expect(stub.contexts.get('skiff.busy')).toBe(true);
    client.notify(Methods.update, { sessionId: 'bg', update: { sessionUpdate: 'usage', tokensPerSecond: 21.04, contextUsed: 100, contextLimit: 1000 } });
    expect(item.text).toContain('21.0 tok/s');
    expect(item.tooltip).toContain('Context: 100 / 1.0k tokens (10%)');
  });
});

describe('StatusBar', () => {
  const newController = () => new ChatController({ post: () => undefined, showError: () => undefined });

  it('follows the server state: starting, running with the configured model, stopped in red', () => {
    stub.config['skiff.model'] = 'local/qwen-7b';
    const controller = newController();
    const bar = new StatusBar(controller);
    const item = stub.statusItems[0];
    expect(item).toMatchObject({ name: 'Skiff', visible: true, text: '$(loading~spin) Skiff', command: Commands.selectModel });
    expect(item.backgroundColor).toBeUndefined();
    controller.dispatch({ type: 'server', state: 'running' });
    expect(item.text).toBe('$(hubot) qwen-7b');
    expect(stub.contexts.get('skiff.busy')).toBe(false);
    controller.detach('stopped');
    expect(item).toMatchObject({ text: '$(error) Skiff: stopped', command: Commands.restartServer });
    expect(item.backgroundColor).toEqual({ id: 'statusBarItem.errorBackground' });
    bar.dispose();
  });

  it('renders a setting change on demand, and stops following the chat once disposed', () => {
    const controller = newController();
    const bar = new StatusBar(controller);
    const item = stub.statusItems[0];
    controller.dispatch({ type: 'server', state: 'running' });
    expect(item.text).toBe('$(hubot) no model');
    stub.config['skiff.model'] = 'a/b';
    bar.render();
    expect(item.text).toBe('$(hubot) b');
    bar.dispose();
    controller.dispatch({ type: 'server', state: 'stopped' });
    expect(item.text).toBe('$(hubot) b');
  });
});
