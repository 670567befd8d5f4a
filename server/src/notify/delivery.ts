import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Deps } from '../platform/context.ts';
import { inTransaction } from '../platform/transaction.ts';

/**
 * `Hourglass-Signature: t={unix seconds},v1={hex HMAC-SHA256 of "{t}.{body}"}`, as Stripe signs:
 * the timestamp inside the signed text lets a receiver refuse replays of old deliveries.
 * The SDK's `verifyWebhook` checks it.
 */
export function signatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** After the n-th failed attempt: 30 s, 1 min, 2 min … doubling, at most 6 h apart. */
export const retryDelayMs = (attempt: number) =>
  Math.min(30_000 * 2 ** (attempt - 1), 6 * 3_600_000);

interface Claimed {
  id: string;
  event_id: string;
  event_type: string;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: Date;
  url: string;
  secret: string;
}

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/**
 * One pass of the webhook dispatcher. Due deliveries are claimed (SKIP LOCKED, their next
 * attempt pushed past the request's timeout, so no other node takes them meanwhile and a node
 * that dies mid-request leaves them to be retried), POSTed outside any transaction, and the
 * outcome recorded once, compare-and-set on the attempt: 2xx is delivered; anything else is
 * retried with backoff until WEBHOOK_RETRY_HOURS after the event, then failed.
 */
export async function deliverWebhooksTick(
  deps: Deps,
  batch = 20,
): Promise<{ delivered: number; failed: number }> {
  const timeoutMs = deps.config.WEBHOOK_TIMEOUT_MS;
  const { claimed, at } = await inTransaction(deps, async ({ db: trx, now }) => {
    const { rows } = await sql<Claimed>`
      update webhook_deliveries d set attempts = d.attempts + 1, next_attempt_at = ${new Date(now.getTime() + timeoutMs + 30_000)}
      from webhook_subscriptions s
      where s.id = d.subscription_id and d.id in (
        select id from webhook_deliveries where state = 'pending' and next_attempt_at <= ${now}
        order by next_attempt_at limit ${batch} for update skip locked)
      returning d.id, d.event_id, d.event_type, d.payload, d.attempts, d.created_at, s.url, s.secret`.execute(
      trx,
    );
    return { claimed: rows, at: now };
  });
  // Every delivery of the batch is signed with the claim's instant: no clock read of its own.
  const outcomes = await Promise.all(
    claimed.map(async (d) => ({ d, outcome: await post(d, at, timeoutMs) })),
  );
  let delivered = 0;
  for (const { d, outcome } of outcomes) {
    if (outcome.ok) delivered++;
    await record(deps, d, outcome);
  }
  deps.metrics.sweepRows.inc({ sweep: 'webhooks' }, claimed.length);
  return { delivered, failed: claimed.length - delivered };
}

async function post(d: Claimed, at: Date, timeoutMs: number): Promise<Outcome> {
  const body = JSON.stringify(d.payload);
  try {
    const res = await fetch(d.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Hourglass-Webhooks/1',
        'hourglass-event-id': d.event_id,
        'hourglass-event-type': d.event_type,
        'hourglass-signature': signatureHeader(d.secret, body, at),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The answer's body is not read: only the status counts, and a large one must not be buffered.
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300
      ? { ok: true, status: res.status }
      : { ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return {
      ok: false,
      status: null,
      error: (e.name === 'TimeoutError'
        ? `no answer in ${timeoutMs} ms`
        : (e.cause?.code ?? e.message)
      ).slice(0, 500),
    };
  }
}

async function record(deps: Deps, d: Claimed, outcome: Outcome) {
  deps.metrics.webhookAttempts.inc({ outcome: outcome.ok ? 'delivered' : 'failed' });
  await inTransaction(deps, async ({ db: trx, now }) => {
    const next = new Date(now.getTime() + retryDelayMs(d.attempts));
    const giveUpAt = new Date(
      new Date(d.created_at).getTime() + deps.config.WEBHOOK_RETRY_HOURS * 3_600_000,
    );
    const patch = outcome.ok
      ? {
          state: 'delivered' as const,
          delivered_at: now,
          next_attempt_at: null,
          last_status: outcome.status,
          last_error: null,
        }
      : next > giveUpAt
        ? {
            state: 'failed' as const,
            next_attempt_at: null,
            last_status: outcome.status,
            last_error: outcome.error,
          }
        : { next_attempt_at: next, last_status: outcome.status, last_error: outcome.error };
    // Only the attempt that claimed it records it: a late answer after the lease ran out changes nothing.
    await trx
      .updateTable('webhook_deliveries')
      .set(patch)
      .where('id', '=', d.id)
      .where('state', '=', 'pending')
      .where('attempts', '=', d.attempts)
      .execute();
  });
}
