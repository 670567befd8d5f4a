import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const webRoot = fileURLToPath(new URL('../../../web/', import.meta.url));

/**
 * Serves the web app: the built bundle when there is one, else the placeholder in web/public.
 * Client-side routes (`/session/{token}`, …) get index.html.
 */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  const root = existsSync(`${webRoot}dist/index.html`) ? `${webRoot}dist` : `${webRoot}public`;
  await app.register(fastifyStatic, { root, prefix: '/', index: 'index.html', wildcard: false });
  const page = (_req: unknown, reply: { sendFile(f: string): unknown }) => reply.sendFile('index.html');
  app.get('/session/:token', page);
}
