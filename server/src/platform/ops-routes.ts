import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import fastifyStatic from '@fastify/static';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Deps } from './context.ts';
import { AppError } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';

const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

// The docs page: Swagger UI from the installed package (no CDN), themed to G6.
const docsPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hourglass API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<style>body{margin:0;background:#FFFFFF;color:#111827}.swagger-ui .topbar{display:none}
.swagger-ui .btn.execute,.swagger-ui .btn.authorize{background:#FF6B35;border-color:#FF6B35;color:#fff}
.swagger-ui .btn.execute:hover{background:#EA580C}
.swagger-ui .opblock.opblock-get,.swagger-ui .opblock.opblock-patch{background:#FFF7ED;border-color:#FF6B35}
.swagger-ui .opblock.opblock-get .opblock-summary-method,.swagger-ui .opblock.opblock-patch .opblock-summary-method{background:#FF6B35}
.swagger-ui .opblock.opblock-post{background:#ECFDF5;border-color:#10B981}.swagger-ui .opblock.opblock-post .opblock-summary-method{background:#10B981}
.swagger-ui .opblock.opblock-delete{border-color:#EF4444}.swagger-ui .opblock.opblock-delete .opblock-summary-method{background:#EF4444}
.swagger-ui, .swagger-ui .info .title, .swagger-ui .opblock-tag{color:#111827}.swagger-ui a{color:#EA580C}</style></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;
const docsInit = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`;

/** Health, readiness, metrics and the API's own description (G4). */
export async function opsRoutes(app: FastifyInstance, deps: Deps, metrics: Metrics): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      const { rows } = await sql<{
        n: number;
      }>`select count(*)::int as n from schema_migrations`.execute(deps.db);
      return { status: 'ready', database: deps.dbKind, migrations: rows[0]?.n ?? 0 };
    } catch (err) {
      deps.log.warn({ err }, 'not ready');
      const e = new AppError('unavailable', 'The database is not reachable.');
      return reply.status(e.status).send(e.toBody());
    }
  });
  app.get('/metrics', async (_req, reply) => {
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  const doc = openApiDocument(deps.config.publicUrl);
  app.get('/openapi.json', async () => doc);
  app.get('/docs', async (_req, reply) => reply.type('text/html').send(docsPage));
  app.get('/docs/init.js', async (_req, reply) => reply.type('text/javascript').send(docsInit));
  await app.register(fastifyStatic, {
    root: swaggerDir,
    prefix: '/docs/assets/',
    decorateReply: false,
    index: false,
  });
}
