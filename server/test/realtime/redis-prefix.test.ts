import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteTarget } from '../../../test-support/databases.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';

const redisUrl = process.env.TEST_REDIS_URL;

/**
 * Two deployments on one Redis (staging and production, say) must not hear each other's
 * fan-out: each subscribes only to channels under its own REDIS_PREFIX. Checked on the Redis
 * server itself (PUBSUB CHANNELS), which is what decides who hears what.
 */
describe.skipIf(!redisUrl)('REDIS_PREFIX keeps deployments on one Redis apart', () => {
  const prefixes = [
    `hg-a-${randomBytes(3).toString('hex')}`,
    `hg-b-${randomBytes(3).toString('hex')}`,
  ];
  const servers: TestServer[] = [];
  const redis = createClient({ url: redisUrl });

  beforeAll(async () => {
    await redis.connect();
    for (const p of prefixes)
      servers.push(await startServer(pgliteTarget, { REDIS_URL: redisUrl!, REDIS_PREFIX: p }));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await redis.quit();
  });

  it("each deployment's channels carry its prefix, and none of the other's", async () => {
    const [a, b] = await Promise.all(prefixes.map((p) => redis.pubSubChannels(`${p}*`)));
    expect(a!.length).toBeGreaterThan(0);
    expect(b!.length).toBeGreaterThan(0);
    // The adapter's request and response channels (its broadcasts go to a pattern under the same prefix).
    expect(a!.every((c) => /^hg-a-[0-9a-f]{6}-(request|response)#\/#/.test(c))).toBe(true);
    expect(b!.every((c) => /^hg-b-[0-9a-f]{6}-(request|response)#\/#/.test(c))).toBe(true);
    // Nothing of either is on the adapter's default channels.
    expect(
      (await redis.pubSubChannels('socket.io#*')).filter((c) =>
        prefixes.some((p) => c.includes(p)),
      ),
    ).toEqual([]);
  });
});
