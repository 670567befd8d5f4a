import type { RoomPresence } from '@hourglass/protocol';
import { sql } from 'kysely';
import type { Database } from '../db/connect.ts';
import type { Deps } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { inTransaction, type Tx } from '../platform/transaction.ts';
import { loadForUpdate, patchSession } from '../sessions/lifecycle.ts';
import { resumeClock } from '../sessions/pause.ts';
import type { SessionRow } from '../sessions/repository.ts';
import type { Participant, Side } from './chat.ts';

/**
 * Presence lives in the database (docs/PROTOCOL.md "Presence"): one row per open socket, tagged
 * with its node, and one row per node with its heartbeat. A participant is present while a
 * socket of theirs sits on a node whose heartbeat is fresh, so any node answers the same, and a
 * node killed without a goodbye stops counting once its heartbeat is REALTIME_NODE_TTL_S old.
 *
 * Liveness is a fact about processes, so heartbeats use the database's own `now()`, not the
 * injected session clock (which tests move by minutes).
 */
const fresh = (ttlS: number) => sql<boolean>`n.seen_at > now() - make_interval(secs => ${ttlS})`;

/** Open sockets of one side of a session on live nodes. */
export async function openConnections(
  db: Database,
  ttlS: number,
  sessionId: string,
  role: 'client' | 'expert',
): Promise<number> {
  const row = await db
    .selectFrom('realtime_connections as c')
    .innerJoin('realtime_nodes as n', 'n.id', 'c.node_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('c.session_id', '=', sessionId)
    .where('c.role', '=', role)
    .where(fresh(ttlS))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One side's presence as the room shows it. */
export async function presenceOf(
  deps: Deps,
  db: Database,
  s: SessionRow,
  role: 'client' | 'expert',
): Promise<RoomPresence> {
  if ((await openConnections(db, deps.config.REALTIME_NODE_TTL_S, s.id, role)) > 0)
    return { role, status: 'present', since: null };
  const away = role === 'client' ? s.client_away_since : s.expert_away_since;
  const joined = role === 'client' ? s.client_joined_at : s.expert_joined_at;
  return { role, status: joined ? 'away' : 'absent', since: away?.toISOString() ?? null };
}

const awayColumn = (role: 'client' | 'expert') =>
  role === 'client' ? 'client_away_since' : 'expert_away_since';

/**
 * A socket has joined the room, inside the handshake's transaction (the session row locked):
 * the participant is present again, and a paused clock may run.
 */
export async function arriveIn(
  deps: Deps,
  tx: Tx,
  locked: SessionRow,
  arrival: { p: Participant; socketId: string; nodeId: string },
) {
  const { db: trx, now, outbox } = tx;
  const { p, socketId, nodeId } = arrival;
  let s = locked;
  const before = await openConnections(trx, deps.config.REALTIME_NODE_TTL_S, s.id, p.role);
  const max = deps.config.REALTIME_MAX_SOCKETS;
  if (before >= max) fail('too_many_connections', undefined, { max });
  await trx
    .insertInto('realtime_connections')
    .values({
      socket_id: socketId,
      node_id: nodeId,
      session_id: s.id,
      role: p.role,
      connected_at: now,
    })
    .execute();
  if (s[awayColumn(p.role)]) s = await patchSession(trx, s, { [awayColumn(p.role)]: null });
  s = await resumeClock(deps, tx, s, { id: p.userId, role: p.role });
  if (before === 0)
    outbox.push({
      type: 'presence.changed',
      sessionId: s.id,
      role: p.role,
      status: 'present',
      since: null,
    });
  return s;
}

/** A socket has left. If it was the participant's last, they are away from now. */
export function depart(deps: Deps, p: Side, socketId: string) {
  return inTransaction(deps, async (tx) => {
    const s = await loadForUpdate(tx.db, p.sessionId);
    const gone = await tx.db
      .deleteFrom('realtime_connections')
      .where('socket_id', '=', socketId)
      .executeTakeFirst();
    if (Number(gone.numDeletedRows) > 0) await markAwayIfGone(deps, tx, s, p.role);
  });
}

async function markAwayIfGone(deps: Deps, tx: Tx, s: SessionRow, role: 'client' | 'expert') {
  if (s.state === 'ended' || s[awayColumn(role)]) return;
  if ((await openConnections(tx.db, deps.config.REALTIME_NODE_TTL_S, s.id, role)) > 0) return;
  await patchSession(tx.db, s, { [awayColumn(role)]: tx.now });
  tx.outbox.push({
    type: 'presence.changed',
    sessionId: s.id,
    role,
    status: 'away',
    since: tx.now.toISOString(),
  });
}

/**
 * Every socket of `nodeId` is gone: the node is closing, or its heartbeat stopped (then the
 * presence sweep calls this). Its participants without a socket elsewhere are away from `at`.
 */
export async function dropNode(deps: Deps, nodeId: string): Promise<number> {
  return inTransaction(deps, async (tx) => {
    const { db: trx, outbox } = tx;
    // Taken first, so two sweepers never drop one node twice (NO KEY: a connection's foreign
    // key share-locks its node, and that must not wait on this).
    const node = await trx
      .selectFrom('realtime_nodes')
      .select('id')
      .where('id', '=', nodeId)
      .forNoKeyUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!node) return 0;
    const gone = await trx
      .deleteFrom('realtime_connections')
      .where('node_id', '=', nodeId)
      .returning(['session_id', 'role'])
      .execute();
    await trx.deleteFrom('realtime_nodes').where('id', '=', nodeId).execute();
    const sides = new Map(gone.map((c) => [`${c.session_id}:${c.role}`, c]));
    // In id order, as every other path takes session locks one at a time, so none waits in a cycle.
    const heads = new Map<string, number>();
    for (const c of [...sides.values()].sort((a, b) => a.session_id.localeCompare(b.session_id))) {
      const s = await loadForUpdate(trx, c.session_id);
      heads.set(s.id, s.chat_seq);
      await markAwayIfGone(deps, tx, s, c.role);
    }
    // What the node stored last it may not have published (killed between commit and publish):
    // each of its sessions is told its latest seq, and a client that holds less asks for the rest.
    for (const [sessionId, seq] of heads)
      if (seq > 0) outbox.push({ type: 'chat.head', sessionId, seq });
    return gone.length;
  });
}

/** Nodes whose heartbeat is older than the TTL. */
export async function deadNodes(deps: Deps): Promise<string[]> {
  const rows = await deps.db
    .selectFrom('realtime_nodes as n')
    .select('n.id')
    .where((eb) => eb.not(fresh(deps.config.REALTIME_NODE_TTL_S)))
    .execute();
  return rows.map((r) => r.id);
}

/**
 * This node's heartbeat. Returns false if the node had been declared dead meanwhile (a long
 * pause, a partition): its connections were dropped, so the caller must close its sockets and
 * let the clients reconnect, which registers them again.
 */
export async function heartbeat(db: Database, nodeId: string): Promise<boolean> {
  const updated = await db
    .updateTable('realtime_nodes')
    .set({ seen_at: sql`now()` })
    .where('id', '=', nodeId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return true;
  await db
    .insertInto('realtime_nodes')
    .values({ id: nodeId, seen_at: sql`now()` })
    .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at: sql`now()` }))
    .execute();
  return false;
}
