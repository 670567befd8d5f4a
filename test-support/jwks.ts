import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type HostAlg = 'RS256' | 'ES256' | 'EdDSA';

export interface HostKey {
  kid: string;
  alg: HostAlg;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function hostKey(alg: HostAlg, kid: string): Promise<HostKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * A host platform's identity provider, as far as Hourglass sees one: its JSON Web Key Set over
 * HTTP (what `jose`'s remote key set fetches), and tokens signed with its keys. Counts fetches;
 * can rotate its keys and stop answering.
 */
export async function startHostIdp(opts: { issuer: string; audience: string }) {
  let keys: HostKey[] = [];
  let fetches = 0;
  let hang = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    if (hang) return; // never answers: the fetch times out
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return {
    url,
    env: {
      HOST_JWT_JWKS_URL: url,
      HOST_JWT_ISSUER: opts.issuer,
      HOST_JWT_AUDIENCE: opts.audience,
    },
    get fetches() {
      return fetches;
    },
    publish(...published: HostKey[]) {
      keys = published;
    },
    hang(on: boolean) {
      hang = on;
    },
    /** A token for `claims` (sub at least), signed by `key`, issued now and good for `ttlS`. */
    sign(
      key: HostKey,
      claims: JWTPayload,
      o: { now: Date; ttlS?: number; alg?: string } = { now: new Date() },
    ) {
      const iat = Math.floor(o.now.getTime() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: o.alg ?? key.alg, kid: key.kid })
        .setIssuer(opts.issuer)
        .setAudience(opts.audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + (o.ttlS ?? 600))
        .sign(key.privateKey);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type HostIdp = Awaited<ReturnType<typeof startHostIdp>>;
