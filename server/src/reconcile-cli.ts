import { join } from 'node:path';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { connectPglite, connectPostgres } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { databaseClock } from './platform/clock.ts';
import { randomIds } from './platform/ids.ts';
import { RECONCILE_DAYS, reconcile } from './payments/reconcile.ts';

/**
 * `npm run payments:reconcile [-- --days=N]`: applies the payment provider's events of the last
 * N days (default 3) that the webhook inbox does not have. Safe to run at any time, on any node,
 * as often as wanted. On the embedded database, stop the server first (one process at a time).
 */
async function main() {
  let config;
  try {
    // eslint-disable-next-line no-restricted-properties -- a command's one read of the environment
    config = loadConfig({ ...process.env, ROLES: 'api', DEMO_SEED: 'false' });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const daysArg = process.argv.find((a) => a.startsWith('--days='));
  const days = daysArg ? Number(daysArg.slice('--days='.length)) : RECONCILE_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > 30) {
    console.error('--days must be a whole number from 1 to 30');
    process.exit(1);
  }
  const database = config.DATABASE_URL
    ? connectPostgres(config.DATABASE_URL, 2, (err) => console.error(err.message))
    : await connectPglite(join(config.DATA_DIR, 'pglite'));
  try {
    await migrate(database.db);
    const { app, deps } = await buildApp({
      config,
      database,
      clock: databaseClock,
      ids: randomIds,
    });
    const result = await reconcile(deps, days);
    console.log(
      `reconciled ${config.PAYMENT_PROVIDER}: ${result.seen} events of the last ${days} days, ${result.applied} applied now`,
    );
    await app.close();
  } finally {
    await database.close();
  }
}

await main();
