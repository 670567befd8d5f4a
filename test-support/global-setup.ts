import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import type { TestProject } from 'vitest/node';
import { chromiumPath } from './chromium-path.ts';
import { connectPglite } from '../server/src/db/connect.ts';
import { migrate } from '../server/src/db/migrate.ts';

/**
 * Decides which real services the suite runs against and says so loudly. With
 * HG_REQUIRE_ALL=1 (set by .ci/run) a missing service fails the run instead of skipping.
 */
export default async function setup(project: TestProject) {
  const required = process.env.HG_REQUIRE_ALL === '1';
  const url = process.env.TEST_DATABASE_URL;
  const skipped: string[] = [];
  const runId = `hg_${randomBytes(4).toString('hex')}`;
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect().catch((err: Error) => {
      throw new Error(`TEST_DATABASE_URL is set but PostgreSQL is not reachable: ${err.message}`);
    });
    const { rows } = await client.query<{ v: string }>(
      "select current_setting('server_version') as v",
    );
    await client.end();
    console.log(
      `[hourglass] database suites: PGlite and PostgreSQL ${rows[0]?.v} (${new URL(url).host}), run ${runId}`,
    );
  } else {
    skipped.push('PostgreSQL-server variant of every database suite (set TEST_DATABASE_URL)');
  }
  const redisUrl = process.env.TEST_REDIS_URL;
  if (redisUrl && url) {
    const redis = createClient({ url: redisUrl });
    await redis.connect().catch((err: Error) => {
      throw new Error(`TEST_REDIS_URL is set but Redis is not reachable: ${err.message}`);
    });
    const info = await redis.info('server');
    await redis.quit();
    console.log(
      `[hourglass] multi-node suites: Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} (${new URL(redisUrl).host})`,
    );
  } else {
    skipped.push(
      'multi-node suites (set TEST_REDIS_URL, with TEST_DATABASE_URL: several nodes share one PostgreSQL server)',
    );
  }
  const browser = chromiumPath();
  if (browser) console.log(`[hourglass] browser suites: ${browser}`);
  else
    skipped.push('browser suites (no Chromium: apt-get install -y chromium, or set HG_CHROMIUM)');
  for (const s of skipped) console.warn(`\n[hourglass] ***** SKIPPED: ${s} *****\n`);
  if (required && skipped.length)
    throw new Error(`HG_REQUIRE_ALL=1 but these would be skipped:\n- ${skipped.join('\n- ')}`);
  project.provide('hgRunId', runId);
  // One migrated embedded database for the whole run: each test file starts from a copy of it
  // (≈ 1 s) instead of creating and migrating its own (≈ 4.5 s).
  const templateDir = await mkdtemp(join(tmpdir(), 'hg-pglite-'));
  const template = join(templateDir, 'migrated.tar');
  const lite = await connectPglite();
  await migrate(lite.db);
  await writeFile(template, Buffer.from(await (await lite.dump()).arrayBuffer()));
  await lite.close();
  project.provide('hgPgliteTemplate', template);

  return async () => {
    await rm(templateDir, { recursive: true, force: true });
    if (!url) return;
    // Test files drop their own databases; this sweeps up after any that crashed.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`${runId}_%`],
    );
    for (const r of rows) await client.query(`drop database if exists "${r.datname}" with (force)`);
    await client.end();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    hgRunId: string;
    /** A migrated PGlite data folder, dumped (test-support/databases.ts starts each PGlite from it). */
    hgPgliteTemplate: string;
  }
}
