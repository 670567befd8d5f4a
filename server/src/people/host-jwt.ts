import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config.ts';
import { fail } from '../platform/errors.ts';

/** What Hourglass takes from a verified host JWT. */
export interface HostClaims {
  issuer: string;
  subject: string;
  role: 'client' | 'expert';
  name: string;
  email: string | undefined;
  /** When the token stops being accepted (its `exp`), if it says. */
  expiresAt: Date | undefined;
}

/** Verifies a token as of `now` (the database's clock, as every deadline here). */
export type HostJwtVerifier = (token: string, now: Date) => Promise<HostClaims>;

/** A JWT's shape: three base64url parts. Anything else is not a host token (an API key, say). */
export const looksLikeJwt = (s: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(s);

/**
 * The verifier of a host platform's JWTs (HOST_JWT_*), or undefined when none is configured. Keys
 * come from the host's JWKS through jose's remote key set: cached, fetched again for a key id it
 * does not know (after the cooldown), with a timeout. Only the configured asymmetric algorithms
 * are accepted — never `none`, never an HS* that would treat a public key as a shared secret.
 */
export function hostJwtVerifier(config: Config): HostJwtVerifier | undefined {
  const url = config.HOST_JWT_JWKS_URL;
  if (!url) return undefined;
  const keys = createRemoteJWKSet(new URL(url), {
    timeoutDuration: config.HOST_JWT_JWKS_TIMEOUT_MS,
    cooldownDuration: config.HOST_JWT_JWKS_COOLDOWN_MS,
    cacheMaxAge: config.HOST_JWT_JWKS_CACHE_MS,
  });
  const options = {
    issuer: config.HOST_JWT_ISSUER!,
    audience: config.HOST_JWT_AUDIENCE!,
    algorithms: config.HOST_JWT_ALGORITHMS,
    requiredClaims: ['sub'],
  };
  return async (token, now) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { ...options, currentDate: now }));
    } catch (err) {
      // The host's key set out of reach is not the person's fault: try again, not sign in again.
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError))
        return fail('unavailable', 'Your sign-in could not be checked just now. Please try again.');
      if (err instanceof errors.JWTExpired)
        return fail('unauthenticated', 'Your sign-in has expired.');
      return fail('unauthenticated', 'Your sign-in is not valid here.');
    }
    return claimsOf(config, payload);
  };
}

function claimsOf(config: Config, p: JWTPayload): HostClaims {
  const text = (claim: string, max: number) => {
    const v = p[claim];
    return typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : undefined;
  };
  const claimed = p[config.HOST_JWT_ROLE_CLAIM] ?? 'client';
  const role = claimed === 'client' || claimed === 'expert' ? claimed : undefined;
  if (!role) return fail('forbidden', 'Your account on this platform cannot use sessions.');
  const email = text(config.HOST_JWT_EMAIL_CLAIM, 254)?.toLowerCase();
  return {
    issuer: p.iss!,
    subject: p.sub!,
    role,
    name: text(config.HOST_JWT_NAME_CLAIM, 100) ?? p.sub!.slice(0, 100),
    email: email && /^[^\s@]+@[^\s@]+$/.test(email) ? email : undefined,
    expiresAt: typeof p.exp === 'number' ? new Date(p.exp * 1000) : undefined,
  };
}
