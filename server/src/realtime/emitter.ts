import type { ServerToClientEvents } from '@hourglass/protocol';
import { Emitter } from '@socket.io/redis-emitter';
import type { FastifyInstance } from 'fastify';
import { createClient } from 'redis';
import type { Deps } from '../platform/context.ts';
import { deliverEvents } from './room.ts';

/**
 * A node without the realtime role (a sweeper, an API node) still makes events the rooms must
 * hear — a deadline's end, a minute charged, a dead node's chat head. With REDIS_URL it sends
 * them through a Redis emitter on the deployment's channels, which the gateways' adapters
 * deliver to their sockets. Without Redis there is one node, and it has the gateway.
 */
export async function attachEmitter(app: FastifyInstance, deps: Deps, url: string): Promise<void> {
  const client = createClient({ url });
  client.on('error', (err: Error) => deps.log.error({ err }, 'redis connection error'));
  await client.connect();
  const emitter = new Emitter<ServerToClientEvents>(client, { key: deps.config.REDIS_PREFIX });
  const unsubscribe = deliverEvents(deps, {
    to: (rooms) => emitter.to(rooms),
    hasLocal: () => null,
  });
  app.addHook('onClose', async () => {
    unsubscribe();
    await client.quit().catch(() => undefined);
  });
}
