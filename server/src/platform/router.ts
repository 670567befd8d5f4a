import type { Endpoint } from '@hourglass/protocol';
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
  req: FastifyRequest;
  reply: FastifyReply;
}

export type Handler<E extends Endpoint> = (
  input: HandlerInput<E>,
) => Promise<E['response'] extends z.ZodType ? z.input<E['response']> : never>;

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new AppError('validation_failed', `Invalid ${where}`, {
    issues: result.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })),
  });
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
        const params = parse(endpoint.params, req.params, 'params');
        const query = parse(endpoint.query, req.query, 'query');
        // A bodyless POST is treated as `{}`; the schema still decides whether that is enough.
        const body = parse(endpoint.body, req.body ?? {}, 'body');
        const result = await handler({ principal, params, query, body, req, reply } as HandlerInput<E>);
        reply.status(endpoint.status);
        if (endpoint.status === 204) return reply.send();
        return endpoint.response.parse(result);
      },
    });
  };
}
