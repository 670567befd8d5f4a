import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Config } from '../config.ts';
import { AppError } from './errors.ts';
import type { Metrics } from './metrics.ts';

// Secrets may travel in these; never log them.
const SECRET_QUERY = /([?&](?:token|key)=)[^&]*/gi;

/** Fastify's own errors, mapped onto the code table. Anything unknown becomes `internal`. */
export function normaliseError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as Partial<FastifyError> & { type?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid_json');
    // Raised by the router before any handler: an id too long to be one, or a broken %-escape.
    case 'FST_ERR_MAX_PARAM_LENGTH':
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new AppError('validation_failed', 'The URL is not valid.');
  }
  // JSON.parse failures and secure-json-parse's prototype-poisoning refusal arrive as 400s.
  if (
    e.statusCode === 400 &&
    (err instanceof SyntaxError || /prototype|constructor/i.test(e.message ?? ''))
  ) {
    return new AppError(
      'invalid_json',
      err instanceof SyntaxError ? undefined : 'Forbidden key in JSON body.',
    );
  }
  if (e.statusCode === 413) return new AppError('payload_too_large');
  if (e.statusCode === 415) return new AppError('unsupported_media_type');
  // Only Fastify's own refusals of a request are the client's doing. Anything else that carries
  // a status (a library's, a provider's: its message may hold ids and keys) is our failure, and
  // its message is never passed on.
  if (e.statusCode === 400 && e.code?.startsWith('FST_'))
    return new AppError('validation_failed', e.message);
  return new AppError('internal');
}

/** `logStream` lets tests read the logs; by default they go to stdout. */
export function createHttp(
  config: Config,
  metrics: Metrics,
  logStream?: { write(line: string): void },
): FastifyInstance {
  const app = Fastify({
    logger: {
      level: config.LOG_LEVEL,
      ...(logStream && { stream: logStream }),
      redact: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-join-token"]',
        'req.headers["x-csrf-token"]',
      ],
      serializers: {
        req: (req: { method: string; url: string; ip?: string }) => ({
          method: req.method,
          url: req.url.replace(SECRET_QUERY, '$1[redacted]'),
          ip: req.ip,
        }),
      },
    },
    bodyLimit: config.BODY_LIMIT_BYTES,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    trustProxy: config.TRUST_PROXY,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // The router's own refusals would otherwise bypass the error handler and its one body shape.
    frameworkErrors: (err, _req, reply) => {
      const e = normaliseError(err);
      void (reply as FastifyReply).status(e.status).send(e.toBody());
    },
  });

  app.setErrorHandler((err, req, reply) => {
    const appError = normaliseError(err);
    if (appError.code === 'internal') req.log.error({ err }, 'unhandled error');
    else if (appError.cause !== undefined)
      req.log.warn(
        { code: appError.code, cause: appError.cause },
        'refused after a provider error',
      );
    else if (appError.code === 'too_many_attempts')
      req.log.warn({ code: appError.code }, 'throttled');
    void reply.status(appError.status).send(appError.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new AppError('not_found', `No route ${req.method} ${req.url.split('?')[0]}`);
    void reply.status(e.status).send(e.toBody());
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  return app;
}
