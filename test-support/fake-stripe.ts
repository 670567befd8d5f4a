import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A local stand-in for Stripe's API on loopback: the only external network the tests fake.
 * It speaks the wire format the official SDK uses (form-encoded bodies, `Idempotency-Key`,
 * JSON answers, list pagination) for the calls Hourglass makes — Checkout Sessions, refunds,
 * the event list — and plays Stripe's part in a payment: `complete()` marks a checkout paid,
 * records the event and (unless told not to) delivers it to the webhook, signed as Stripe signs.
 */
export interface FakeStripe {
  url: string;
  checkouts: Map<string, FakeCheckout>;
  refunds: FakeRefund[];
  events: Stripe.Event[];
  /** Every POST's idempotency key, in arrival order (retries included). */
  keys: string[];
  /** The next `n` requests are carried out, and then their connection is cut before the answer. */
  dropResponses(n: number): void;
  /** Refunds are refused (a card that cannot take them) while this is on. */
  refuseRefunds(on: boolean): void;
  complete(
    checkoutId: string,
    o?: { deliver?: boolean },
  ): Promise<{ event: Stripe.Event; payload: string; status: number | null }>;
  deliver(payload: string): Promise<number>;
  close(): Promise<void>;
}

export interface FakeCheckout {
  id: string;
  amount_total: number;
  currency: string;
  metadata: Record<string, string>;
  payment_status: 'unpaid' | 'paid';
  payment_intent: string | null;
  expires_at: number | null;
  url: string;
}

export interface FakeRefund {
  id: string;
  payment_intent: string;
  amount: number;
  idempotencyKey: string;
}

/** `a[b][0][c]=v` → { a: { b: { 0: { c: 'v' } } } }: Stripe's form encoding, read back. */
function parseForm(body: string): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.replace(/\]/g, '').split('[');
    let at = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) at[part] = value;
      else at = at[part] ??= {};
    });
  }
  return out;
}

export async function startFakeStripe(o: {
  webhookUrl: () => string;
  webhookSecret: string;
}): Promise<FakeStripe> {
  const signer = new Stripe('sk_test_fake_signer');
  const checkouts = new Map<string, FakeCheckout>();
  const refunds: FakeRefund[] = [];
  const events: Stripe.Event[] = [];
  const keys: string[] = [];
  const answered = new Map<string, { status: number; body: unknown; request: string }>();
  let toDrop = 0;
  let refusing = false;
  let n = 0;
  const next = (prefix: string) => `${prefix}_fake_${++n}`;

  const handle = (
    method: string,
    path: string,
    query: URLSearchParams,
    form: Record<string, any>,
  ): { status: number; body: unknown } => {
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      const line = form.line_items?.['0'];
      const id = next('cs_test');
      const checkout: FakeCheckout = {
        id,
        amount_total: Number(line.price_data.unit_amount) * Number(line.quantity),
        currency: String(line.price_data.currency),
        metadata: form.metadata ?? {},
        payment_status: 'unpaid',
        payment_intent: null,
        expires_at: form.expires_at ? Number(form.expires_at) : null,
        url: `https://checkout.fake/pay/${id}`,
      };
      checkouts.set(id, checkout);
      return {
        status: 200,
        body: { object: 'checkout.session', mode: 'payment', status: 'open', ...checkout },
      };
    }
    if (method === 'POST' && path === '/v1/refunds') {
      if (refusing)
        return {
          status: 400,
          body: {
            error: {
              type: 'invalid_request_error',
              code: 'charge_disputed',
              message: 'This charge cannot be refunded.',
            },
          },
        };
      const paid = [...checkouts.values()].find((c) => c.payment_intent === form.payment_intent);
      if (!paid)
        return {
          status: 404,
          body: {
            error: {
              type: 'invalid_request_error',
              code: 'resource_missing',
              message: `No such payment_intent: ${form.payment_intent}`,
            },
          },
        };
      const refunded = refunds
        .filter((r) => r.payment_intent === paid.payment_intent)
        .reduce((a, r) => a + r.amount, 0);
      const amount = Number(form.amount ?? paid.amount_total - refunded);
      if (refunded + amount > paid.amount_total)
        return {
          status: 400,
          body: {
            error: {
              type: 'invalid_request_error',
              code: 'amount_too_large',
              message: 'Refund exceeds the charge.',
            },
          },
        };
      const refund = {
        id: next('re'),
        payment_intent: paid.payment_intent!,
        amount,
        idempotencyKey: '',
      };
      refunds.push(refund);
      return {
        status: 200,
        body: { object: 'refund', status: 'succeeded', currency: paid.currency, ...refund },
      };
    }
    if (method === 'GET' && path === '/v1/events') {
      const gte = Number(query.get('created[gte]') ?? 0);
      const limit = Number(query.get('limit') ?? 10);
      const after = query.get('starting_after');
      let newestFirst = [...events].reverse().filter((e) => e.created >= gte);
      if (after) newestFirst = newestFirst.slice(newestFirst.findIndex((e) => e.id === after) + 1);
      return {
        status: 200,
        body: {
          object: 'list',
          url: '/v1/events',
          data: newestFirst.slice(0, limit),
          has_more: newestFirst.length > limit,
        },
      };
    }
    return {
      status: 404,
      body: {
        error: {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${method}: ${path})`,
        },
      },
    };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      const key = req.headers['idempotency-key'];
      let result: { status: number; body: unknown };
      if (!String(req.headers.authorization ?? '').startsWith('Bearer sk_')) {
        result = {
          status: 401,
          body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } },
        };
      } else if (method === 'POST' && typeof key === 'string' && answered.has(key)) {
        // Stripe's idempotency: the same key gets the first answer again, and nothing is done
        // twice — with the same parameters; with others, Stripe refuses the request.
        keys.push(key);
        const first = answered.get(key)!;
        const request = `${url.pathname}?${Buffer.concat(chunks).toString()}`;
        result =
          first.request === request
            ? first
            : {
                status: 400,
                body: {
                  error: {
                    type: 'idempotency_error',
                    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
                  },
                },
              };
      } else {
        const body = Buffer.concat(chunks).toString();
        result = handle(method, url.pathname, url.searchParams, parseForm(body));
        if (method === 'POST' && typeof key === 'string') {
          keys.push(key);
          answered.set(key, { ...result, request: `${url.pathname}?${body}` });
          const made = refunds.at(-1);
          if (url.pathname === '/v1/refunds' && made && made.idempotencyKey === '')
            made.idempotencyKey = key;
        }
      }
      if (toDrop > 0) {
        toDrop--;
        req.socket.destroy();
        return;
      }
      res
        .writeHead(result.status, { 'content-type': 'application/json', 'request-id': next('req') })
        .end(JSON.stringify(result.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const deliver = async (payload: string) => {
    const header = signer.webhooks.generateTestHeaderString({ payload, secret: o.webhookSecret });
    const r = await fetch(`${o.webhookUrl()}/api/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
    return r.status;
  };

  return {
    url,
    checkouts,
    refunds,
    events,
    keys,
    dropResponses: (count) => void (toDrop = count),
    refuseRefunds: (on) => void (refusing = on),
    async complete(checkoutId, { deliver: send = true } = {}) {
      const checkout =
        checkouts.get(checkoutId) ??
        (() => {
          throw new Error(`no checkout ${checkoutId}`);
        })();
      checkout.payment_status = 'paid';
      checkout.payment_intent ??= next('pi');
      const event = {
        id: next('evt'),
        object: 'event',
        type: 'checkout.session.completed',
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        api_version: null,
        pending_webhooks: 1,
        request: null,
        data: {
          object: { object: 'checkout.session', mode: 'payment', status: 'complete', ...checkout },
        },
      } as unknown as Stripe.Event;
      events.push(event);
      const payload = JSON.stringify(event);
      return { event, payload, status: send ? await deliver(payload) : null };
    },
    deliver,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
