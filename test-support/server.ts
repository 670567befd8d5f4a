import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorBody } from '@hourglass/protocol';
import { buildApp } from '../server/src/app.ts';
import { loadConfig, type ConfigEnv } from '../server/src/config.ts';
import type { DatabaseHandle } from '../server/src/db/connect.ts';
import { ManualClock } from '../server/src/platform/clock.ts';
import type { Deps } from '../server/src/platform/context.ts';
import type { Io } from '../server/src/realtime/io.ts';
import { randomIds } from '../server/src/platform/ids.ts';
import type { DatabaseTarget } from './databases.ts';

export interface TestServer {
  url: string;
  deps: Deps;
  /** The realtime gateway (the realtime role is on unless ROLES says otherwise). */
  io?: Io;
  clock: ManualClock;
  database: DatabaseHandle;
  close(): Promise<void>;
}

/** The real server, in-process, on port 0, over a fresh database, with a clock the test moves. */
export async function startServer(
  target: DatabaseTarget,
  env: ConfigEnv = {},
): Promise<TestServer> {
  const database = await target.open();
  const clock = new ManualClock(new Date('2026-03-02T12:00:00Z'));
  // Shared files go to a folder of this server's own, removed with it.
  const dataDir = env.DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'hg-data-')));
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DEMO_SEED: 'false',
    PORT: '0',
    HOST: '127.0.0.1',
    ...env,
    DATA_DIR: dataDir,
  });
  const { app, deps, io } = await buildApp({ config, database, clock, ids: randomIds });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  deps.config.publicUrl = url;
  return {
    url,
    deps,
    ...(io && { io }),
    clock,
    database,
    close: async () => {
      await app.close();
      await database.close();
      if (!env.DATA_DIR) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CallResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/** A thin fetch wrapper for tests that need to see the wire (status, headers, raw bodies). */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<CallResult> {
  const hasBody = opts.raw !== undefined || opts.body !== undefined;
  const res = await fetch(base + path, {
    method,
    headers: { ...(hasBody && { 'content-type': 'application/json' }), ...opts.headers },
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body, headers: res.headers };
}

export const errorCode = (r: CallResult) => (r.body as ErrorBody | null)?.error?.code;
