import { IdempotencyKey, endpoints, errorCodes, type Endpoint } from '@hourglass/protocol';
import { z } from 'zod';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

const security: Record<string, Record<string, string[]>> = {
  cookie: { cookieAuth: [] },
  apiKey: { apiKeyAuth: [] },
  joinToken: { joinToken: [] },
};

/** OpenAPI 3.1, generated from the protocol's zod schemas: the same ones the server validates with. */
export function openApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, ep] of Object.entries(endpoints) as [string, Endpoint][]) {
    const op = {
      operationId: name,
      summary: ep.summary,
      description: `Who may call it: ${ep.who}.`,
      tags: [ep.tag],
      security: ep.credentials.includes('public') ? [] : ep.credentials.map((c) => security[c]),
      parameters: [
        ...parameters(ep.params, 'path'),
        ...parameters(ep.query, 'query'),
        ...(ep.idempotent
          ? [
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                description: 'Repeat a request with the same key and it takes effect once.',
                schema: jsonSchema(IdempotencyKey, 'input'),
              },
            ]
          : []),
      ],
      ...(ep.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(ep.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [ep.status]:
          ep.status === 204
            ? { description: 'No content' }
            : {
                description: 'OK',
                content: { 'application/json': { schema: jsonSchema(ep.response, 'output') } },
              },
        default: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
    (paths[ep.path] ??= {})[ep.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Hourglass API',
      version: '0.1.0',
      description:
        'Paid live 1:1 consultation sessions. Every error is `{"error": {"code", "message", "details"?}}`.',
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: {
        cookieAuth: {
          type: 'apiKey',
          in: 'cookie',
          name: 'hg_session',
          description: 'Web sign-in; writes also need X-CSRF-Token.',
        },
        apiKeyAuth: {
          type: 'http',
          scheme: 'bearer',
          description: "A host platform's API key (hgk_…).",
        },
        joinToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Join-Token',
          description: "A participant's join token (hgj_…).",
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: errorCodes },
                message: { type: 'string' },
                details: {},
              },
            },
          },
        },
      },
    },
  };
}
