import { useState } from 'react';
import type { SessionRoom } from '@hourglass/sdk';
import { asParticipant } from '../api.ts';
import { money, errorText } from '../format.ts';

/**
 * E6, the client's side: more minutes at the expert's rate, from the wallet at once, or by card
 * on the provider's page in a new tab (the room stays open; the deadline moves when paid).
 * Both screens learn the new deadline from the room's `session:extended`.
 */
export function Extend({ room, token }: { room: SessionRoom; token: string }) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [checkout, setCheckout] = useState<string | null>(null);
  // The lengths this server offers (EXTENSION_MINUTES), as the room's state says.
  const lengths = room.state?.extensionMinutes ?? [];

  async function buy(minutes: number, payWith: 'wallet' | 'checkout') {
    setBusy(true);
    setNote(null);
    try {
      const r = await asParticipant(token).call('extendSession', {
        params: { id: room.state!.sessionId },
        body: { minutes, payWith },
        idempotencyKey: globalThis.crypto.randomUUID(),
      });
      if (r.checkoutUrl) {
        setCheckout(r.checkoutUrl);
        setNote(`Pay ${money(r.extension.amount)} to add ${minutes} minutes.`);
      } else setNote(`${minutes} minutes added (${money(r.extension.amount)}).`);
    } catch (err) {
      const code = (err as { code?: string }).code;
      setNote(
        code === 'insufficient_funds'
          ? 'Your wallet does not cover it — pay by card instead.'
          : errorText(err),
      );
      if (code === 'insufficient_funds') setCheckout('');
    } finally {
      setBusy(false);
    }
  }

  if (lengths.length === 0) return null;
  return (
    <div className="extend" data-testid="extend">
      <span className="muted">More time:</span>
      {lengths.map((m) => (
        <button
          key={m}
          className="secondary"
          disabled={busy}
          data-testid={`extend-${m}`}
          onClick={() => void buy(m, 'wallet')}
        >
          +{m} min
        </button>
      ))}
      {checkout === '' &&
        lengths.map((m) => (
          <button
            key={`card-${m}`}
            className="secondary"
            disabled={busy}
            data-testid={`extend-card-${m}`}
            onClick={() => void buy(m, 'checkout')}
          >
            +{m} min by card
          </button>
        ))}
      {checkout && (
        <a href={checkout} target="_blank" rel="noopener noreferrer" data-testid="checkout-link">
          Complete the payment
        </a>
      )}
      {note && (
        <span className="muted" data-testid="extend-note">
          {note}
        </span>
      )}
    </div>
  );
}
