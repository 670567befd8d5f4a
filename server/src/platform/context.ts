import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { Database } from '../db/connect.ts';
import type { FileStorage } from '../files/storage.ts';
import type { Fulfilments, PaymentProvider } from '../payments/provider.ts';
import type { HostJwtVerifier } from '../people/host-jwt.ts';
import type { Clock } from './clock.ts';
import type { Faults } from './faults.ts';
import type { Ids } from './ids.ts';
import type { DomainEvents } from './events.ts';
import type { Metrics } from './metrics.ts';

/** What every service needs, injected once at start (tests build their own). */
export interface Deps {
  db: Database;
  dbKind: 'pglite' | 'postgres';
  clock: Clock;
  ids: Ids;
  config: Config;
  log: FastifyBaseLogger;
  metrics: Metrics;
  events: DomainEvents;
  /** Where shared files' bytes live (files/storage.ts). */
  storage: FileStorage;
  /** Points where a test makes this process fail (platform/faults.ts); unarmed in production. */
  faults: Faults;
  /** The payment provider PAYMENT_PROVIDER names (payments/provider.ts). */
  payments: PaymentProvider;
  /** What a paid checkout pays for, by purpose (payments/provider.ts). */
  fulfilments: Fulfilments;
  /** A host platform's JWTs, when HOST_JWT_JWKS_URL is set (people/host-jwt.ts). */
  hostJwt?: HostJwtVerifier;
}

/** Who is calling. Resolved at the edge from one credential; services check the object itself. */
export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      userId: string;
      role: 'client' | 'expert' | 'admin';
      /** The web sign-in this came from; none for a host platform's JWT. */
      authSessionHash?: string;
    }
  | { kind: 'apiKey'; keyId: string }
  | { kind: 'participant'; sessionId: string; userId: string; role: 'client' | 'expert' };

/** An actor as written into the audit trail. */
export interface Actor {
  id: string | null;
  role: 'client' | 'expert' | 'admin' | 'system' | 'api_key';
}

export function actorOf(p: Principal): Actor {
  switch (p.kind) {
    case 'user':
      return { id: p.userId, role: p.role };
    case 'participant':
      return { id: p.userId, role: p.role };
    case 'apiKey':
      return { id: p.keyId, role: 'api_key' };
    case 'anonymous':
      return { id: null, role: 'system' };
  }
}

export const isAdmin = (p: Principal) => p.kind === 'user' && p.role === 'admin';
/** An admin or a host platform's backend: trusted with any object. */
export const isOperator = (p: Principal) => isAdmin(p) || p.kind === 'apiKey';
