import { errorText } from '../format.ts';
import { useState, type FormEvent } from 'react';
import { asParticipant } from '../api.ts';
import { Files } from './Files.tsx';
import { PrivateNotes, SessionSummary } from './Notes.tsx';

const reasons: Record<string, string> = {
  completed: 'The session is complete.',
  ended_by_client: 'The client ended the session.',
  ended_by_expert: 'The expert ended the session.',
  ended_by_admin: 'An operator ended the session.',
  time_up: 'The time is up.',
  insufficient_funds: 'The balance ran out.',
  participant_lost: 'A participant did not come back in time.',
};

/** Where both sides land when the session ends: the client is asked for a rating (F2); the expert writes the summary both read (F3); each keeps private notes. */
export function Summary(p: {
  token: string;
  sessionId: string;
  you: 'client' | 'expert';
  reason: string | null;
  counterpart: string;
}) {
  return (
    <div className="card" data-testid="summary">
      <h2>Session ended</h2>
      <p data-testid="end-reason" data-reason={p.reason ?? ''}>
        {p.reason ? (reasons[p.reason] ?? p.reason) : ''}
      </p>
      <p className="muted">with {p.counterpart}</p>
      {p.you === 'client' && (
        <RateDialog token={p.token} sessionId={p.sessionId} counterpart={p.counterpart} />
      )}
      <SessionSummary token={p.token} sessionId={p.sessionId} you={p.you} />
      <Files token={p.token} sessionId={p.sessionId} />
      <PrivateNotes token={p.token} sessionId={p.sessionId} />
    </div>
  );
}

function RateDialog({
  token,
  sessionId,
  counterpart,
}: {
  token: string;
  sessionId: string;
  counterpart: string;
}) {
  const [stars, setStars] = useState(0);
  const [text, setText] = useState('');
  const [state, setState] = useState<'asking' | 'saving' | 'saved'>('asking');
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setState('saving');
    try {
      await asParticipant(token).call('rateSession', {
        params: { id: sessionId },
        body: { stars, text },
      });
      setState('saved');
    } catch (err) {
      if ((err as { code?: string }).code === 'already_rated') return setState('saved');
      setError(errorText(err));
      setState('asking');
    }
  }

  if (state === 'saved')
    return (
      <p className="ok" data-testid="rating-saved">
        Thank you — your rating is saved.
      </p>
    );
  return (
    <form
      className="rating"
      role="dialog"
      aria-label="Rate the session"
      data-testid="rating-dialog"
      onSubmit={(e) => void submit(e)}
    >
      <h3>How was your session with {counterpart}?</h3>
      <div className="stars" role="radiogroup" aria-label="Stars">
        {[1, 2, 3, 4, 5].map((n) => (
          <button
            key={n}
            type="button"
            role="radio"
            aria-checked={stars === n}
            aria-label={`${n} star${n > 1 ? 's' : ''}`}
            data-testid={`star-${n}`}
            className={n <= stars ? 'star on' : 'star'}
            onClick={() => setStars(n)}
          >
            ★
          </button>
        ))}
      </div>
      <textarea
        data-testid="rating-text"
        maxLength={2000}
        placeholder="A few words (optional)"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <button
        type="submit"
        data-testid="rating-submit"
        disabled={stars === 0 || state === 'saving'}
      >
        Send rating
      </button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}
