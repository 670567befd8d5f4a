import { useEffect, useState } from 'react';
import { UserChannel, type Expert, type ResponseOf } from '@hourglass/sdk';
import { api, csrfToken } from '../api.ts';
import { money, until, errorText } from '../format.ts';
import { go } from '../nav.ts';
import { offsetFrom, useTick } from '../tick.ts';

type Asked = ResponseOf<'requestSession'>;
const refusal: Record<string, string> = {
  unauthenticated: 'Sign in as a client to ask for a session.',
  insufficient_funds: 'Your wallet does not cover the first minutes: top it up first.',
  expert_unavailable: 'The expert is not available right now.',
};

/**
 * C2 for the client: ask an online expert for a session now, at their per-minute rate. The
 * answer comes over the user channel (opened before asking, so it cannot be missed); accepted,
 * the client goes straight into the room with the link the request returned.
 */
export function TalkNow({ expert }: { expert: Expert }) {
  const offered = (['chat', 'voice', 'video'] as const).filter(
    (t) => expert.rates[t] !== undefined,
  );
  const [type, setType] = useState(offered[0] ?? 'chat');
  const [asked, setAsked] = useState<(Asked & { offset: number }) | null>(null);
  const [channel, setChannel] = useState<UserChannel | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  useTick(asked ? 500 : 60_000);

  useEffect(() => () => channel?.close(), [channel]);

  async function ask() {
    setMessage(null);
    const token = csrfToken();
    if (!token) return setMessage(refusal.unauthenticated!);
    const ch = new UserChannel({ baseUrl: location.origin, csrfToken: token });
    setChannel(ch);
    const open = await new Promise<boolean>((resolve) => {
      ch.on('connected', (up) => up && resolve(true));
      ch.on('failed', () => resolve(false));
    });
    if (!open) return setMessage(refusal.unauthenticated!);
    // Answers are kept from the start: one could arrive before the request's own response.
    const early = new Map<string, string>();
    let mine: string | null = null;
    let settle = (_state: string) => {};
    ch.on('answered', (a) =>
      mine === null ? early.set(a.sessionId, a.state) : a.sessionId === mine && settle(a.state),
    );
    try {
      const r = await api.call('requestSession', { body: { expertId: expert.id, type } });
      setAsked({ ...r, offset: offsetFrom(r.session.serverNow) });
      settle = (state) => {
        if (state === 'accepted') return go(null, new URL(r.link.url).pathname);
        setAsked(null);
        setMessage(
          state === 'declined'
            ? `${expert.name} cannot take it now.`
            : `${expert.name} did not answer in time.`,
        );
      };
      mine = r.session.id;
      const answered = early.get(mine);
      if (answered) settle(answered);
    } catch (err) {
      ch.close();
      setMessage(refusal[(err as { code?: string }).code ?? ''] ?? errorText(err));
    }
  }

  if (asked) {
    const left = Date.parse(asked.expiresAt) - (Date.now() + asked.offset);
    return (
      <div className="card" data-testid="talk-waiting">
        <p>
          Waiting for <span className="name">{expert.name}</span> to answer…{' '}
          <span className="countdown">{until(left)}</span>
        </p>
      </div>
    );
  }
  return (
    <div className="card row talk-now" data-testid="talk-now">
      <strong>Online now.</strong>
      <select
        aria-label="Type"
        value={type}
        onChange={(e) => setType(e.target.value as typeof type)}
      >
        {offered.map((t) => (
          <option key={t} value={t}>
            {t} · {money(expert.rates[t]!)}/min
          </option>
        ))}
      </select>
      <button data-testid="talk-now-ask" onClick={() => void ask()}>
        Talk now
      </button>
      {message && (
        <p className="error" data-testid="talk-message">
          {message}
        </p>
      )}
    </div>
  );
}
