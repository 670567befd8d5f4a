import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const webRoot = join(import.meta.dirname, '..', '..', '..', 'web', sep);
/** The web app's client-side routes (web/src/App.tsx): each is answered with index.html. */
const pages = [
  '/session/:token',
  '/experts',
  '/experts/:id',
  '/sessions',
  '/wallet',
  '/dashboard',
  '/admin',
];

/**
 * Serves the web app built into web/dist (`npm start` builds it when stale: scripts/build-web.ts).
 * Client-side routes (`/session/{token}`, …) get index.html. Not built: a page that says how.
 */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  if (!existsSync(`${webRoot}dist/index.html`)) {
    const notBuilt =
      '<!doctype html><title>Hourglass</title><p>The web app is not built: run <code>npm run build:web</code>.</p>';
    for (const path of ['/', ...pages])
      app.get(path, async (_req, reply) => reply.type('text/html').send(notBuilt));
    return;
  }
  await app.register(fastifyStatic, {
    root: `${webRoot}dist`,
    prefix: '/',
    index: 'index.html',
    wildcard: false,
  });
  const page = (_req: unknown, reply: { sendFile(f: string): unknown }) =>
    reply.sendFile('index.html');
  for (const path of pages) app.get(path, page);
}
