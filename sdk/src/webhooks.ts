import { WebhookEvent } from '@hourglass/protocol';

export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

export interface VerifyOptions {
  /** Seconds a delivery's timestamp may be away from `now` (default 300): older ones are replays. */
  toleranceS?: number;
  /** The receiver's clock (default: now). */
  now?: Date;
}

const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares in time that does not depend on where the strings differ. */
function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/**
 * Checks an Hourglass webhook delivery and returns its event: `rawBody` exactly as received
 * (not re-serialised JSON), `header` the `Hourglass-Signature` header, `secret` the
 * subscription's `whsec_…`. Throws `WebhookSignatureError` for a bad or missing signature, a
 * timestamp outside the tolerance, or a body that is not an event. Uses Web Crypto, so it runs
 * in Node ≥ 20, Deno, Bun, workers and browsers alike. Deduplicate on the event's `id`: a
 * retried delivery carries the same one.
 */
export async function verifyWebhook(
  rawBody: string,
  header: string | null | undefined,
  secret: string,
  options: VerifyOptions = {},
): Promise<WebhookEvent> {
  if (!header) throw new WebhookSignatureError('No Hourglass-Signature header.');
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => v ?? '');
  if (!Number.isInteger(t) || signatures.length === 0)
    throw new WebhookSignatureError('Malformed Hourglass-Signature header.');
  const now = (options.now ?? new Date()).getTime() / 1000;
  if (Math.abs(now - t) > (options.toleranceS ?? 300))
    throw new WebhookSignatureError(
      'Timestamp outside the tolerance (a replay, or a clock far off).',
    );
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const expected = hex(await crypto.subtle.sign('HMAC', key, encoder.encode(`${t}.${rawBody}`)));
  if (!signatures.some((s) => sameText(s, expected)))
    throw new WebhookSignatureError('Signature does not match (wrong secret, or an altered body).');
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new WebhookSignatureError('The body is not JSON.');
  }
  const event = WebhookEvent.safeParse(parsed);
  if (!event.success) throw new WebhookSignatureError('The body is not an Hourglass event.');
  return event.data;
}
