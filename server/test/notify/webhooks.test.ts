import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyWebhook, WebhookSignatureError } from '../../../sdk/src/webhooks.ts';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  buildApiKey,
  buildLiveSession,
  buildSignedIn,
  operator,
} from '../../../test-support/factories.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { deliverWebhooksTick, retryDelayMs } from '../../src/notify/delivery.ts';
import { endSession } from '../../src/sessions/service.ts';

/** A webhook receiver on loopback that answers each request with the next scripted status ('hang': no answer). */
async function receiver() {
  const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
  const script: (number | 'hang')[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      const next = script.shift() ?? 200;
      if (next !== 'hang') res.writeHead(next).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    seen,
    script,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describeOnDatabases('outbound webhooks', (target) => {
  let server: TestServer;
  let key: string;
  let hook: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    server = await startServer(target, { WEBHOOK_TIMEOUT_MS: '300' });
    key = await buildApiKey(server.deps);
    hook = await receiver();
  });
  afterAll(async () => {
    await hook?.close();
    await server?.close();
  });

  const operatorApi = () => clientFor(server.url, { apiKey: key });
  const subscribe = (body: unknown, as = operatorApi()) =>
    as.call('createWebhook', { body: body as never });
  const unsubscribe = (id: string) => operatorApi().call('disableWebhook', { params: { id } });
  const deliveries = (subscriptionId: string) =>
    server.deps.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('subscription_id', '=', subscriptionId)
      .orderBy('id')
      .execute();
  const now = () => server.clock.now();

  it('only operators subscribe; a bad URL or event type is refused and nothing is made', async () => {
    const client = await buildSignedIn(server, 'client');
    const body = { url: hook.url, eventTypes: ['session.ended'] };
    expect((await refusal(subscribe(body, client.api))).code).toBe('forbidden');
    expect((await refusal(subscribe(body, clientFor(server.url)))).code).toBe('unauthenticated');
    for (const bad of [
      { ...body, url: 'ftp://127.0.0.1/x' },
      { ...body, url: 'not a url' },
      { ...body, eventTypes: ['session.exploded'] },
      { ...body, eventTypes: [] },
      { ...body, secret: 'mine' },
    ]) {
      expect((await refusal(subscribe(bad))).code).toBe('validation_failed');
    }
    expect((await refusal(client.api.call('listWebhooks', {}))).code).toBe('forbidden');
    expect((await operatorApi().call('listWebhooks', {})).items).toEqual([]);
  });

  it('a subscribed event is delivered signed; the SDK verifies it and refuses a tampered, re-keyed or stale one', async () => {
    const sub = await subscribe({
      url: hook.url,
      eventTypes: ['session.ended', 'booking.created'],
      description: 'host backend',
    });
    expect(sub.secret).toMatch(/^whsec_/);
    // The listing never shows the secret again.
    const listed = (await operatorApi().call('listWebhooks', {})).items;
    expect(listed).toEqual([expect.objectContaining({ id: sub.id, description: 'host backend' })]);
    expect(JSON.stringify(listed)).not.toContain(sub.secret);

    const s = await buildLiveSession(server.deps, { type: 'video' });
    await endSession(server.deps, operator, s.session.id, undefined);
    // session.started was not subscribed to: one delivery, for the end.
    expect((await deliveries(sub.id)).map((d) => d.event_type)).toEqual(['session.ended']);
    hook.seen.length = 0;
    expect(await deliverWebhooksTick(server.deps)).toEqual({ delivered: 1, failed: 0 });
    expect(hook.seen).toHaveLength(1);
    const { headers, body } = hook.seen[0]!;
    const at = await now();
    const event = await verifyWebhook(body, headers['hourglass-signature'] as string, sub.secret, {
      now: at,
    });
    expect(event).toMatchObject({
      type: 'session.ended',
      data: {
        sessionId: s.session.id,
        clientId: s.client.id,
        expertId: s.expert.id,
        sessionType: 'video',
        reason: 'ended_by_admin',
      },
    });
    expect(headers['hourglass-event-id']).toBe(event.id);

    const signature = headers['hourglass-signature'] as string;
    const refused = (p: Promise<unknown>) =>
      expect(p).rejects.toBeInstanceOf(WebhookSignatureError);
    await refused(
      verifyWebhook(body.replace('ended_by_admin', 'time_up'), signature, sub.secret, { now: at }),
    );
    await refused(verifyWebhook(body, signature, 'whsec_someone_else', { now: at }));
    await refused(
      verifyWebhook(body, signature, sub.secret, { now: new Date(at.getTime() + 301_000) }),
    );
    await refused(verifyWebhook(body, undefined, sub.secret, { now: at }));
    await refused(verifyWebhook(body, 't=abc,v1=00', sub.secret, { now: at }));
    await unsubscribe(sub.id);
  });

  it('a receiver that fails 3 times (500, 503, no answer) then succeeds gets the same event again with backoff, marked delivered once', async () => {
    const sub = await subscribe({ url: hook.url, eventTypes: ['session.ended'] });
    const s = await buildLiveSession(server.deps);
    await endSession(server.deps, operator, s.session.id, undefined);
    hook.seen.length = 0;
    hook.script.push(500, 503, 'hang', 200);
    const tick = () => deliverWebhooksTick(server.deps);

    expect(await tick()).toEqual({ delivered: 0, failed: 1 });
    let [d] = await deliveries(sub.id);
    expect(d).toMatchObject({ state: 'pending', attempts: 1, last_status: 500 });
    expect(d!.next_attempt_at!.getTime() - (await now()).getTime()).toBe(retryDelayMs(1));
    // Not due yet: nothing is sent.
    expect(await tick()).toEqual({ delivered: 0, failed: 0 });

    server.clock.advance(retryDelayMs(1));
    expect(await tick()).toEqual({ delivered: 0, failed: 1 });
    server.clock.advance(retryDelayMs(2));
    expect(await tick()).toEqual({ delivered: 0, failed: 1 });
    [d] = await deliveries(sub.id);
    expect(d).toMatchObject({ attempts: 3, last_status: null, last_error: 'no answer in 300 ms' });
    server.clock.advance(retryDelayMs(3));
    expect(await tick()).toEqual({ delivered: 1, failed: 0 });
    [d] = await deliveries(sub.id);
    expect(d).toMatchObject({
      state: 'delivered',
      attempts: 4,
      last_status: 200,
      last_error: null,
      next_attempt_at: null,
    });

    // Four requests, one event: the same id and the same body each time.
    expect(hook.seen).toHaveLength(4);
    expect(new Set(hook.seen.map((r) => r.headers['hourglass-event-id'])).size).toBe(1);
    expect(new Set(hook.seen.map((r) => r.body)).size).toBe(1);
    server.clock.advance(7 * 86_400_000);
    expect(await tick()).toEqual({ delivered: 0, failed: 0 });
    expect(hook.seen).toHaveLength(4);

    const log = await operatorApi().call('webhookDeliveries', { params: { id: sub.id } });
    expect(log.items).toEqual([
      expect.objectContaining({
        eventType: 'session.ended',
        state: 'delivered',
        attempts: 4,
        lastStatus: 200,
        deliveredAt: expect.any(String),
      }),
    ]);
    await unsubscribe(sub.id);
  });

  it('a receiver that never succeeds is retried for WEBHOOK_RETRY_HOURS, then the delivery fails; an operator can send it again', async () => {
    const sub = await subscribe({ url: hook.url, eventTypes: ['session.ended'] });
    const s = await buildLiveSession(server.deps);
    await endSession(server.deps, operator, s.session.id, undefined);
    const createdAt = (await now()).getTime();
    hook.seen.length = 0;
    let [d] = await deliveries(sub.id);
    while (d!.state === 'pending') {
      hook.script.push(500);
      server.clock.set(d!.next_attempt_at!);
      await deliverWebhooksTick(server.deps);
      [d] = await deliveries(sub.id);
    }
    expect(d).toMatchObject({ state: 'failed', last_status: 500 });
    expect(hook.seen).toHaveLength(d!.attempts);
    // Every attempt within 72 h of the event; the next one would have fallen past it.
    const last = (await now()).getTime();
    expect(last - createdAt).toBeLessThanOrEqual(72 * 3_600_000);
    expect(last + retryDelayMs(d!.attempts) - createdAt).toBeGreaterThan(72 * 3_600_000);
    // 30 s doubling to 6 h: ten attempts in the first 8.5 h, then one every 6 h.
    expect(d!.attempts).toBe(21);

    const retried = await operatorApi().call('retryDelivery', { params: { id: d!.id }, body: {} });
    expect(retried).toMatchObject({ state: 'pending', attempts: 21 });
    expect(await deliverWebhooksTick(server.deps)).toEqual({ delivered: 1, failed: 0 });
    expect((await deliveries(sub.id))[0]).toMatchObject({ state: 'delivered', attempts: 22 });
    await unsubscribe(sub.id);
  });

  it('two dispatchers at once send each delivery once; a disabled subscription gets nothing new and gives up what waits', async () => {
    const sub = await subscribe({ url: hook.url, eventTypes: ['session.ended'] });
    for (let i = 0; i < 6; i++) {
      const s = await buildLiveSession(server.deps);
      await endSession(server.deps, operator, s.session.id, undefined);
    }
    hook.seen.length = 0;
    const [a, b] = await Promise.all([
      deliverWebhooksTick(server.deps, 4),
      deliverWebhooksTick(server.deps, 4),
    ]);
    expect(a.delivered + b.delivered).toBe(6);
    expect(new Set(hook.seen.map((r) => r.headers['hourglass-event-id'])).size).toBe(6);
    expect(hook.seen).toHaveLength(6);

    const s = await buildLiveSession(server.deps);
    await endSession(server.deps, operator, s.session.id, undefined);
    expect(await unsubscribe(sub.id)).toBeNull();
    expect(await unsubscribe(sub.id)).toBeNull();
    const waiting = (await deliveries(sub.id)).at(-1)!;
    expect(waiting).toMatchObject({ state: 'failed', last_error: 'subscription disabled' });
    const t = await buildLiveSession(server.deps);
    await endSession(server.deps, operator, t.session.id, undefined);
    expect(await deliveries(sub.id)).toHaveLength(7);
    expect(
      (await refusal(operatorApi().call('retryDelivery', { params: { id: waiting.id }, body: {} })))
        .code,
    ).toBe('invalid_transition');
    expect((await refusal(unsubscribe(server.deps.ids.uuid()))).code).toBe('not_found');
  });
});
