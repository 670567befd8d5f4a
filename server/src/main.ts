import { join } from 'node:path';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { connectPglite, connectPostgres } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { demoBanner, demoLinks, seedDemo } from './demo/seed.ts';
import { acceleratedClock, databaseClock } from './platform/clock.ts';
import { randomIds } from './platform/ids.ts';
import { startSweeper } from './sweeps/sweeper.ts';

/**
 * One process, three roles (`ROLES` / `--roles=`): api (HTTP), realtime (the gateway) and
 * sweeper (due-work loops). All by default; several processes share one PostgreSQL (and Redis).
 */
async function main(): Promise<void> {
  let config;
  try {
    // eslint-disable-next-line no-restricted-properties -- the one place the environment is read
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const database = config.DATABASE_URL
    ? connectPostgres(config.DATABASE_URL, 10, (err) =>
        console.error(`database connection lost: ${err.message}`),
      )
    : await connectPglite(join(config.DATA_DIR, 'pglite'));
  const applied = await migrate(database.db);
  const clock =
    config.CLOCK_SPEEDUP > 1
      ? acceleratedClock(databaseClock, new Date(config.CLOCK_EPOCH!), config.CLOCK_SPEEDUP)
      : databaseClock;
  const { app, deps } = await buildApp({ config, database, clock, ids: randomIds });
  if (config.CLOCK_SPEEDUP > 1)
    app.log.warn(
      { speedup: config.CLOCK_SPEEDUP },
      'CLOCK_SPEEDUP is on: time runs fast (tests and demos only)',
    );
  if (applied.length) app.log.info({ applied }, 'migrations applied');

  const sweeper = config.ROLES.includes('sweeper') ? startSweeper(deps) : undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await sweeper?.stop();
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.PORT, host: config.HOST });
  // With PORT=0 the OS picks the port; links must carry the real one.
  const address = app.server.address();
  if (config.PUBLIC_URL === undefined && address && typeof address === 'object')
    config.publicUrl = `http://localhost:${address.port}`;
  app.log.info(
    { roles: config.ROLES, database: database.kind, url: config.publicUrl },
    'listening',
  );
  if (config.DEMO_SEED) {
    const { seeded } = await seedDemo(deps);
    if (seeded) app.log.info('demo data seeded');
    console.log(demoBanner(config.publicUrl, await demoLinks(deps)));
  }
}

await main();
