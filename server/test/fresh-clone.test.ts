import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { START_MS } from '../../test-support/budgets.ts';

/**
 * The README's first command, `npm install && npm start`, in a fresh clone, on the Node that
 * runs this suite: the install prints no EBADENGINE warning and the product serves /healthz.
 * .ci/run runs the suite on every Node version `engines` lists, so each is checked. A clone
 * holds what is committed (HEAD), not the working tree.
 */
const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hg-clone-'));
// `npm install` from the registry's cache, a web build and a start: no promise is guarded here
// (start.test.ts guards the start's); the limit only catches a hang on a loaded machine.
const INSTALL_MS = 240_000;
const TEST_MS = INSTALL_MS + 120_000 + START_MS;

/** What a newcomer's shell has: none of this run's npm, database or test settings. */
function newcomerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(npm_|INIT_CWD$|HG_|TEST_|DATABASE_URL$|REDIS_URL$|PORT$|VITEST)/i.test(k)) env[k] = v;
  // The Node under test first on PATH, for npm's scripts (`node --import tsx …`) too.
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  return { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
}

/** npm, run by this Node (npm's own CLI script is where `npm test` was started from). */
function npm(args: string[], opts: { detached?: boolean } = {}): ChildProcess {
  const cli = process.env.npm_execpath?.replace(/npx-cli\.js$/, 'npm-cli.js');
  const [cmd, argv] = cli?.endsWith('.js') ? [process.execPath, [cli, ...args]] : ['npm', args];
  return spawn(cmd, argv, {
    cwd: dir,
    env: newcomerEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
}

function collect(child: ChildProcess): () => string {
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return () => out;
}

function finished(child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`exited ${code}:\n${output()}`)),
    );
  });
}

let started: ChildProcess | undefined;

afterAll(() => {
  // `npm start` runs its scripts as children: its process group goes together.
  if (started?.pid !== undefined && started.exitCode === null)
    process.kill(-started.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe(`a fresh clone on Node ${process.versions.node}`, () => {
  it(
    '`npm install` prints no EBADENGINE warning; `npm start` serves /healthz and prints demo links',
    async () => {
      const clone = spawn('git', ['clone', '--quiet', '--no-hardlinks', root, dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await finished(clone, collect(clone));

      const install = npm(['install', '--no-audit', '--no-fund']);
      const installed = collect(install);
      await finished(install, installed);
      expect(installed()).not.toMatch(/EBADENGINE|Unsupported engine/);

      started = npm(['start'], { detached: true });
      const out = collect(started);
      const exited = finished(started, out).then(() => {
        throw new Error(`npm start exited:\n${out()}`);
      });
      const url = await Promise.race([
        exited,
        new Promise<string>((resolve) => {
          const seen = () => {
            const m = out().match(/Hourglass is running at (http:\/\/localhost:\d+)/);
            if (m && /video\s+client: \S+/.test(out())) resolve(m[1]!);
          };
          started!.stdout!.on('data', seen);
          started!.stderr!.on('data', seen);
        }),
      ]);
      const health = await fetch(`${url}/healthz`);
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
      const ready = await fetch(`${url}/readyz`);
      expect(await ready.json()).toMatchObject({ database: 'pglite' });
      const stopped = new Promise((resolve) => started!.on('exit', resolve));
      process.kill(-started.pid!, 'SIGTERM');
      await stopped;
    },
    TEST_MS,
  );
});
