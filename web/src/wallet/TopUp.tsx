import { useState, type FormEvent } from 'react';
import type { HourglassClient, ResponseOf } from '@hourglass/sdk';
import { money, errorText } from '../format.ts';

export type Wallet = ResponseOf<'wallet'>;
const AMOUNTS = [1000, 2500, 5000];

/**
 * E1: add money through the payment provider. One Idempotency-Key per attempt, kept across a
 * retry of the same amount, so a double click or a network retry credits once. With a card
 * provider the checkout opens in a new tab: the page it is on (the room) stays where it is.
 */
export function TopUp({
  client,
  onDone,
  compact = false,
}: {
  client: HourglassClient;
  onDone: (w: Wallet) => void;
  compact?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [attempt, setAttempt] = useState<{ amount: number; key: string } | null>(null);

  async function pay(amount: number) {
    const key = attempt?.amount === amount ? attempt.key : crypto.randomUUID();
    setAttempt({ amount, key });
    setBusy(true);
    setMessage(null);
    try {
      const t = await client.call('topUp', { body: { amount }, idempotencyKey: key });
      setAttempt(null);
      if (t.status === 'pending' && t.checkoutUrl) {
        window.open(t.checkoutUrl, '_blank', 'noopener');
        setMessage({
          ok: true,
          text: 'Finish the payment in the new tab: the balance updates when it is paid.',
        });
      } else {
        setMessage({ ok: true, text: `Added ${money(amount, t.wallet.currency)}.` });
      }
      onDone(t.wallet);
    } catch (err) {
      setMessage({
        ok: false,
        // Refused here means this person has no wallet (an expert's link, say).
        text:
          (err as { code?: string }).code === 'forbidden'
            ? 'Only clients have a wallet.'
            : errorText(err),
      });
    } finally {
      setBusy(false);
    }
  }

  function custom(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const value = Number(new FormData(e.currentTarget).get('amount'));
    if (!Number.isFinite(value) || value <= 0)
      return setMessage({ ok: false, text: 'Enter an amount.' });
    void pay(Math.round(value * 100));
  }

  return (
    <div className="top-up" data-testid="top-up">
      <div className="row">
        {AMOUNTS.map((a) => (
          <button
            key={a}
            className="secondary"
            disabled={busy}
            data-testid={`top-up-${a}`}
            onClick={() => void pay(a)}
          >
            +{money(a)}
          </button>
        ))}
      </div>
      {!compact && (
        <form className="row custom" onSubmit={custom}>
          <input
            name="amount"
            type="number"
            min="1"
            step="0.01"
            placeholder="Other amount"
            aria-label="Other amount"
            data-testid="top-up-amount"
          />
          <button type="submit" disabled={busy} data-testid="top-up-custom">
            Add
          </button>
        </form>
      )}
      {message && (
        <p className={message.ok ? 'ok' : 'error'} data-testid="top-up-message">
          {message.text}
        </p>
      )}
    </div>
  );
}
