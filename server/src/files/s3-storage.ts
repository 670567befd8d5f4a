import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { AwsClient } from 'aws4fetch';
import type { Config } from '../config.ts';
import { fail } from '../platform/errors.ts';
import type { FileStorage } from './storage.ts';

/**
 * Any S3-compatible store (AWS S3, MinIO, R2, Ceph…), path-style, requests signed with SigV4
 * by aws4fetch. A file is one PUT from the spool with its length known (files are at most
 * FILE_MAX_BYTES, well under S3's 5 GB single-PUT limit) and an unsigned payload, so it streams.
 */
export function s3Storage(config: Config): FileStorage {
  const aws = new AwsClient({
    accessKeyId: config.S3_ACCESS_KEY_ID!,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY!,
    region: config.S3_REGION,
    service: 's3',
  });
  const url = (key: string) =>
    `${config.S3_ENDPOINT!.replace(/\/$/, '')}/${encodeURIComponent(config.S3_BUCKET!)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const refused = async (res: Response, what: string) => {
    const text = await res.text().catch(() => '');
    return new Error(`S3 ${what} answered ${res.status}: ${text.slice(0, 300)}`);
  };
  return {
    kind: 's3',
    async put(key, from, size, mime) {
      const res = await aws.fetch(url(key), {
        method: 'PUT',
        headers: {
          'content-length': String(size),
          'content-type': mime,
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        },
        body: Readable.toWeb(createReadStream(from)) as ReadableStream,
        // Node's fetch streams a request body only half-duplex.
        duplex: 'half',
      } as RequestInit);
      if (!res.ok) throw await refused(res, 'PUT');
      await res.body?.cancel();
    },
    async get(key) {
      const res = await aws.fetch(url(key), { method: 'GET' });
      if (res.status === 404) {
        await res.body?.cancel();
        return fail('not_found', 'The file is gone.');
      }
      if (!res.ok || !res.body) throw await refused(res, 'GET');
      return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
    },
    async delete(key) {
      const res = await aws.fetch(url(key), { method: 'DELETE' });
      await res.body?.cancel();
      // 204 when deleted, and S3 answers 204 for a missing key too; 404 from some compatibles.
      if (!res.ok && res.status !== 404) throw await refused(res, 'DELETE');
    },
  };
}
