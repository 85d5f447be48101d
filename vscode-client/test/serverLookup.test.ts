import { describe, expect, it } from 'vitest';
import type { SkiffSettings } from '../src/config';
import { type LookupEnv, candidatePlaces, findServer, installCommand } from '../src/serverLookup';

const HOME = '/home/me';
const WS = '/work/demo';
const PY_EXT = '/opt/py311/bin/python';

/** Every place the lookup can find Skiff, best first, as the file that makes that place win. */
const PLACES: [string, { command: string; args: string[]; source: string }][] = [
  [`${WS}/.venv/bin/skiff`, { command: `${WS}/.venv/bin/skiff`, args: ['serve'], source: 'workspace venv' }],
  [`${WS}/venv/bin/skiff`, { command: `${WS}/venv/bin/skiff`, args: ['serve'], source: 'workspace venv' }],
  ['/opt/py311/bin/skiff', { command: '/opt/py311/bin/skiff', args: ['serve'], source: 'python extension' }],
  [`${HOME}/.local/bin/skiff`, { command: `${HOME}/.local/bin/skiff`, args: ['serve'], source: '~/.local/bin' }],
  [`${HOME}/pipx-bin/skiff`, { command: `${HOME}/pipx-bin/skiff`, args: ['serve'], source: 'pipx' }],
  [`${HOME}/.local/share/pipx/venvs/skiff-ls/bin/skiff`, { command: `${HOME}/.local/share/pipx/venvs/skiff-ls/bin/skiff`, args: ['serve'], source: 'pipx' }],
  ['/usr/bin/skiff', { command: '/usr/bin/skiff', args: ['serve'], source: 'PATH' }],
];

function machine(files: string[], overrides: Partial<LookupEnv> = {}): LookupEnv & { probed: string[] } {
  const probed: string[] = [];
  return {
    platform: 'linux',
    home: HOME,
    env: { PATH: '/usr/local/bin:/usr/bin', PIPX_BIN_DIR: `${HOME}/pipx-bin` },
    workspaceFolder: WS,
    trusted: true,
    isExecutable: async (file) => {
      probed.push(file);
      return files.includes(file);
    },
    pythonExtensionInterpreter: async () => PY_EXT,
    hasSkiffModule: async () => false,
    probed,
    ...overrides,
  };
}

describe('findServer', () => {
  it('takes each place only when every better place lacks Skiff', async () => {
    for (let i = 0; i < PLACES.length; i++) {
      const files = PLACES.slice(i).map(([file]) => file); // this place and every worse one
      const found = await findServer({}, machine(files));
      expect(found, `with ${files[0]}`).toMatchObject(PLACES[i]![1]);
    }
    expect(await findServer({}, machine([]))).toBeNull();
  });

  it('prefers the settings over every place, keeping the models file', async () => {
    const everywhere = PLACES.map(([file]) => file);
    const settings: SkiffSettings = { pythonPath: '/custom/python', modelsFile: '~/m.json' };
    expect(await findServer(settings, machine(everywhere))).toEqual({
      command: '/custom/python',
      args: ['-m', 'skiff.server'],
      env: { SKIFF_MODELS_FILE: `${HOME}/m.json` },
      source: 'setting',
    });
    const command = await findServer({ serverCommand: ['/opt/skiff/bin/skiff', 'serve', '--model', 'x/y'] }, machine(everywhere));
    expect(command).toMatchObject({ command: '/opt/skiff/bin/skiff', args: ['serve', '--model', 'x/y'], source: 'setting' });
    // The default command is not a choice: the lookup runs.
    expect(await findServer({ serverCommand: ['skiff', 'serve'] }, machine(everywhere))).toMatchObject({ source: 'workspace venv' });
  });

  it('runs `python -m skiff.server` when the Python extension interpreter has the module but no script', async () => {
    const env = machine([`${HOME}/.local/bin/skiff`], { hasSkiffModule: async (python) => python === PY_EXT });
    expect(await findServer({}, env)).toMatchObject({ command: PY_EXT, args: ['-m', 'skiff.server'], source: 'python extension' });
  });

  it('never runs the virtualenv of an untrusted workspace', async () => {
    const env = machine([`${WS}/.venv/bin/skiff`, '/usr/bin/skiff'], { trusted: false });
    expect(await findServer({}, env)).toMatchObject({ command: '/usr/bin/skiff', source: 'PATH' });
    expect(env.probed.some((f) => f.startsWith(WS))).toBe(false);
    expect(candidatePlaces(env).some((f) => f.startsWith(WS))).toBe(false);
  });

  it('looks in Scripts\\skiff.exe on Windows', async () => {
    const env = machine(['C:\\w\\.venv\\Scripts\\skiff.exe'], { platform: 'win32', workspaceFolder: 'C:\\w', home: 'C:\\Users\\me', env: { Path: 'C:\\bin' } });
    expect(await findServer({}, env)).toMatchObject({ command: 'C:\\w\\.venv\\Scripts\\skiff.exe', source: 'workspace venv' });
  });
});

describe('installCommand', () => {
  it('installs with pip into the chosen interpreter, or with pipx', () => {
    expect(installCommand('/usr/bin/python3', 'linux')).toBe("/usr/bin/python3 -m pip install 'skiff-ls[embedded]'");
    expect(installCommand('/my envs/py/bin/python', 'linux')).toBe("\"/my envs/py/bin/python\" -m pip install 'skiff-ls[embedded]'");
    expect(installCommand(null, 'linux')).toBe("pipx install 'skiff-ls[embedded]'");
    expect(installCommand('C:\\Program Files\\Python\\python.exe', 'win32')).toBe('& "C:\\Program Files\\Python\\python.exe" -m pip install "skiff-ls[embedded]"');
  });
});
