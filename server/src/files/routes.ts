import { DownloadQuery, UploadQuery, endpoints, type Endpoint } from '@hourglass/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { makeAuthenticate } from '../people/authenticate.ts';
import type { Deps } from '../platform/context.ts';
import { validate, type makeRouter } from '../platform/router.ts';
import { fileLink, listFiles, openDownload, uploadFile } from './service.ts';

/** The upload as the authenticator sees it: a participant's credentials (it is not in the JSON endpoint table). */
const upload: Endpoint = {
  method: 'POST',
  path: '/api/sessions/{id}/files',
  tag: 'files',
  summary: 'Share a file (the body is its bytes)',
  credentials: ['joinToken', 'cookie'],
  who: 'its two participants',
  response: z.unknown(),
  status: 201,
};
const Params = z.strictObject({ id: z.uuid() });
const FileIdParams = z.strictObject({ fileId: z.uuid() });

/**
 * D9. Listing and links go through the endpoint table; the upload and the download carry raw
 * bytes, so they are routes of their own: the upload's body is left unread by Fastify (an
 * encapsulated catch-all parser) and streamed by the service, never buffered whole.
 */
export async function fileRoutes(
  app: FastifyInstance,
  route: ReturnType<typeof makeRouter>,
  deps: Deps,
): Promise<void> {
  route(endpoints.listFiles, ({ principal, params }) => listFiles(deps, principal, params.id));
  route(endpoints.fileLink, ({ principal, params }) =>
    fileLink(deps, principal, params.id, params.fileId),
  );

  const authenticate = makeAuthenticate(deps);
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    scope.post('/api/sessions/:id/files', async (req, reply) => {
      const principal = await authenticate(req, upload);
      const { id } = validate(Params, req.params, 'params');
      const { name } = validate(UploadQuery, req.query, 'query');
      const length =
        req.headers['content-length'] === undefined
          ? undefined
          : Number(req.headers['content-length']);
      try {
        const file = await uploadFile(deps, principal, id, {
          name,
          declaredLength: length,
          body: req.raw,
        });
        return await reply.status(201).send(file);
      } catch (err) {
        // Refused while the client may still be sending (a 1 GB body): answer now and close,
        // rather than read the rest of it.
        if (!req.raw.readableEnded) reply.header('connection', 'close');
        throw err;
      }
    });
  });

  app.get('/api/files/:fileId', async (req, reply) => {
    const { fileId } = validate(FileIdParams, req.params, 'params');
    const q = validate(DownloadQuery, req.query, 'query');
    const f = await openDownload(deps, fileId, q);
    return (
      reply
        .header('content-type', f.mime === 'text/plain' ? 'text/plain; charset=utf-8' : f.mime)
        .header('content-length', String(f.size))
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(f.name)}`)
        // What a participant uploaded is never run as a page of ours, whatever it holds.
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "sandbox; default-src 'none'")
        .header('cache-control', 'private, max-age=3600')
        .send(f.body)
    );
  });
}
