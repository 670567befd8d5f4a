import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// s3rver ships no types: the few calls made here are typed by hand below.
// @ts-expect-error -- untyped package
import S3rver from 's3rver';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/**
 * A local S3-compatible server (s3rver: the S3 REST API over a folder; it knows one account,
 * S3RVER / S3RVER, and refuses other access keys, but does not check SigV4 signatures), standing in for the object store the way
 * test-support/fake-stripe.ts stands in for Stripe. One bucket, `hourglass`.
 */
export async function startFakeS3() {
  const directory = await mkdtemp(join(tmpdir(), 'hg-s3-'));
  const server = new (S3rver as new (o: object) => S3rverInstance)({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: 'hourglass' }],
    vhostBuckets: false,
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    env: {
      FILE_STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: 'hourglass',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    /** Every object key in the bucket (s3rver keeps one folder per key, its metadata beside it). */
    async keys(): Promise<string[]> {
      const found: string[] = [];
      const walk = async (dir: string, prefix: string) => {
        for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
          if (e.isDirectory()) await walk(join(dir, e.name), `${prefix}${e.name}/`);
          else if (e.name.endsWith('._S3rver_object'))
            found.push(`${prefix}${e.name.replace('._S3rver_object', '')}`);
        }
      };
      await walk(join(directory, 'hourglass'), '');
      return found.sort();
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
