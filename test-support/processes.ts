import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { START_MS } from './budgets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface NodeProcess {
  url: string;
  pid: number;
  /** Lines the process logged (pino JSON), for a failing test's message. */
  log: string[];
  /** Resolves once the process has exited (killed by a fault it was armed with, say). */
  exited: Promise<void>;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `npm start`'s entry point (or another `script` that logs a JSON line with `"listening"` and
 * its `url`) as a separate process — a real node of a cluster — on a free port. Stopped by its pid.
 */
export async function startNode(
  env: Record<string, string>,
  name: string,
  script = 'server/src/main.ts',
): Promise<NodeProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      DEMO_SEED: 'false',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave it running: a caller whose start failed has no handle to stop it with.
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${START_MS / 1000} s:\n${log.join('\n')}`));
    }, START_MS);
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        log.push(line);
        if (log.length > 2000) log.shift();
        if (!line.includes('"listening"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    };
    child.stdout!.on('data', onLine);
    child.stderr!.on('data', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${log.join('\n')}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    log,
    exited: exited.then(() => undefined),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid!, signal);
      await exited;
    },
  };
}
