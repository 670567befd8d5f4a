import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  buildClient,
  buildExpert,
  buildLiveSession,
  buildSession,
  operator,
} from '../../../test-support/factories.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { SYSTEM, endLive, loadForUpdate } from '../../src/sessions/lifecycle.ts';
import { cancelSession, endSession } from '../../src/sessions/service.ts';
import { inTransaction } from '../../src/platform/transaction.ts';

/** F2: the client rates the expert once after a completed session; the expert's average. */
describeOnDatabases('ratings', (target) => {
  let server: TestServer;
  const rate = (id: string, joinToken: string, body: unknown) =>
    clientFor(server.url, { joinToken }).call('rateSession', {
      params: { id },
      body: body as never,
    });
  /** The refusal's code for a rating that must not be taken. */
  const refused = async (id: string, joinToken: string, body: unknown) =>
    (await refusal(rate(id, joinToken, body))).code;
  const profile = (id: string) => clientFor(server.url).call('getExpert', { params: { id } });

  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  /** A completed session of `expert` with a new client. */
  async function completed(
    expert: Awaited<ReturnType<typeof buildExpert>>,
    reason: 'completed' | 'participant_lost' = 'completed',
  ) {
    const s = await buildLiveSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: await server.deps.clock.now(server.deps.db),
    });
    // buildSession made its own expert: move the session to this one (one average to look at).
    await server.deps.db
      .updateTable('sessions')
      .set({ expert_id: expert.id })
      .where('id', '=', s.session.id)
      .execute();
    if (reason === 'completed') await endSession(server.deps, operator, s.session.id, undefined);
    else
      await inTransaction(server.deps, async (tx) =>
        endLive(server.deps, tx, await loadForUpdate(tx.db, s.session.id), {
          reason: 'participant_lost',
          endedAt: tx.now,
          actor: SYSTEM,
        }),
      );
    return s;
  }

  it('once per completed session, by its client; the average leaves out technical failures', async () => {
    const expert = await buildExpert(server.deps);
    expect(await profile(expert.id)).toMatchObject({ ratingAvg: null, ratingCount: 0 });
    const a = await completed(expert);
    const r = await rate(a.session.id, a.links.client.token, {
      stars: 5,
      text: '  Clear and kind <b>thanks</b>  ',
    });
    expect(r).toMatchObject({ stars: 5, text: 'Clear and kind <b>thanks</b>' });
    expect(await refused(a.session.id, a.links.client.token, { stars: 1 })).toBe('already_rated');
    const b = await completed(expert);
    expect((await rate(b.session.id, b.links.client.token, { stars: 4 })).stars).toBe(4);
    expect(await profile(expert.id)).toMatchObject({ ratingAvg: 4.5, ratingCount: 2 });
    const lost = await completed(expert, 'participant_lost');
    expect((await rate(lost.session.id, lost.links.client.token, { stars: 1 })).stars).toBe(1);
    expect(await profile(expert.id)).toMatchObject({ ratingAvg: 4.5, ratingCount: 2 });
  });

  it('refuses, changing nothing: the expert, bad stars, a session not over, one that never took place', async () => {
    const expert = await buildExpert(server.deps);
    const done = await completed(expert);
    expect(await refused(done.session.id, done.links.expert.token, { stars: 5 })).toBe('forbidden');
    for (const stars of [0, 6, 4.5, '5'])
      expect(await refused(done.session.id, done.links.client.token, { stars })).toBe(
        'validation_failed',
      );
    expect(
      await refused(done.session.id, done.links.client.token, { stars: 5, text: 'x'.repeat(2001) }),
    ).toBe('validation_failed');
    const live = await buildLiveSession(server.deps);
    expect(await refused(live.session.id, live.links.client.token, { stars: 5 })).toBe(
      'invalid_transition',
    );
    const booked = await buildSession(server.deps, {
      kind: 'scheduled',
      client: await buildClient(server.deps),
    });
    await cancelSession(server.deps, operator, booked.session.id);
    expect(await refused(booked.session.id, booked.links.client.token, { stars: 5 })).toBe(
      'invalid_transition',
    );
    const rows = await server.deps.db
      .selectFrom('session_ratings')
      .select('session_id')
      .where('session_id', 'in', [done.session.id, live.session.id, booked.session.id])
      .execute();
    expect(rows).toEqual([]);
    expect(await profile(expert.id)).toMatchObject({ ratingAvg: null, ratingCount: 0 });
  });
});
