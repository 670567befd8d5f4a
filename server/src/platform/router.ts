import { IdempotencyKey, type Endpoint } from '@hourglass/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError } from './errors.ts';
import type { Principal } from './context.ts';

export type Authenticate = (req: FastifyRequest, endpoint: Endpoint) => Promise<Principal>;

export interface HandlerInput<E extends Endpoint> {
  principal: Principal;
  params: E['params'] extends z.ZodType ? z.output<E['params']> : undefined;
  query: E['query'] extends z.ZodType ? z.output<E['query']> : undefined;
  body: E['body'] extends z.ZodType ? z.output<E['body']> : undefined;
  /** The `Idempotency-Key` header of a money-moving endpoint, validated; undefined if absent. */
  idempotencyKey: string | undefined;
  req: FastifyRequest;
  reply: FastifyReply;
}

export type Handler<E extends Endpoint> = (
  input: HandlerInput<E>,
) => Promise<E['response'] extends z.ZodType ? z.input<E['response']> : never>;

type Issue = { path: string; message: string };

function parsePart(
  schema: z.ZodType | undefined,
  value: unknown,
  where: string,
  issues: Issue[],
): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  issues.push(
    ...result.error.issues.map((i) => ({
      path: [where, ...i.path.map(String)].join('.'),
      message: i.message,
    })),
  );
  return undefined;
}

/** Validates one value outside HTTP (a realtime payload): the same `validation_failed` shape. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: string,
): z.output<S> {
  const issues: Issue[] = [];
  const data = parsePart(schema, value, where, issues);
  if (issues.length) throw new AppError('validation_failed', `Invalid ${where}`, { issues });
  return data as z.output<S>;
}

/** Validates every part of a request and lists every problem at once. */
function parseRequest(endpoint: Endpoint, req: FastifyRequest) {
  const issues: Issue[] = [];
  const params = parsePart(endpoint.params, req.params, 'params', issues);
  const query = parsePart(endpoint.query, req.query, 'query', issues);
  // A bodyless POST is treated as `{}`; the schema still decides whether that is enough.
  const body = parsePart(endpoint.body, req.body ?? {}, 'body', issues);
  const rawKey = req.headers['idempotency-key'];
  const idempotencyKey =
    endpoint.idempotent && rawKey !== undefined
      ? parsePart(IdempotencyKey, rawKey, 'headers.idempotency-key', issues)
      : undefined;
  if (issues.length)
    throw new AppError(
      'validation_failed',
      `Invalid ${[...new Set(issues.map((i) => i.path.split('.')[0]))].join(', ')}`,
      { issues },
    );
  return { params, query, body, idempotencyKey: idempotencyKey as string | undefined };
}

/**
 * Registers one endpoint of the protocol contract. The handler gets an authenticated principal
 * and validated input; what it returns is passed through the response schema, which drops any
 * field the contract does not name (no raw rows reach the wire).
 */
export function makeRouter(app: FastifyInstance, authenticate: Authenticate) {
  return function route<E extends Endpoint>(endpoint: E, handler: Handler<E>): void {
    app.route({
      method: endpoint.method,
      url: endpoint.path.replace(/\{(\w+)\}/g, ':$1'),
      handler: async (req, reply) => {
        const principal = await authenticate(req, endpoint);
        const { params, query, body, idempotencyKey } = parseRequest(endpoint, req);
        const result = await handler({
          principal,
          params,
          query,
          body,
          idempotencyKey,
          req,
          reply,
        } as HandlerInput<E>);
        reply.status(endpoint.status);
        if (endpoint.status === 204) return reply.send();
        return endpoint.response.parse(result);
      },
    });
  };
}
