import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { ParticipantRole } from './sessions.ts';

/**
 * D9: a file shared in a session. Uploads and downloads are raw bytes, not JSON, so they are not
 * in the endpoint table: `POST /api/sessions/{id}/files?name=…` (the body is the file) and
 * `GET /api/files/{fileId}?user&expires&sig` (a signed link) — docs/PROTOCOL.md "Files".
 */
export const SessionFile = z.object({
  id: Id,
  sessionId: Id,
  name: z.string(),
  mime: z.string().describe('Decided by the file’s first bytes, not by what the uploader said'),
  size: z.number().int().positive(),
  uploadedBy: ParticipantRole,
  createdAt: Timestamp,
});
export type SessionFile = z.infer<typeof SessionFile>;

/** A file name as shown and as offered on download: no paths, no control characters. */
export const FileName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine(
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    (n) => !/[\u0000-\u001f\u007f/\\]/.test(n) && n !== '.' && n !== '..',
    'no slashes, backslashes or control characters',
  );
export const UploadQuery = z.strictObject({ name: FileName });
export const FileList = z.object({ items: z.array(SessionFile) });
export const FileParams = z.strictObject({ id: Id, fileId: Id });
export const FileLink = z.object({
  url: z
    .string()
    .describe(
      'Fetch with no credential: the link is one; it names this file and the user it was made for',
    ),
  expiresAt: Timestamp,
});
export const DownloadQuery = z.strictObject({
  user: Id,
  expires: z.coerce.number().int().positive(),
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

/** What may be shared, recognised by the file's first bytes (magic numbers). */
export const allowedFileTypes = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'audio/mpeg',
  'audio/mp4',
  'video/mp4',
  'text/plain',
] as const;
