import { useEffect, useState } from 'react';
import { asParticipant } from '../api.ts';
import { when, errorText } from '../format.ts';

/**
 * F3, the expert's side: the summary both will read, written after the session (saved on
 * demand; writing again replaces it). The client's side: the summary, shown once written —
 * asked for again every few seconds while there is none, since the expert writes it now.
 */
export function SessionSummary({
  token,
  sessionId,
  you,
}: {
  token: string;
  sessionId: string;
  you: 'client' | 'expert';
}) {
  const client = asParticipant(token);
  const [text, setText] = useState('');
  const [savedAt, setSavedAt] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      asParticipant(token)
        .call('getSummary', { params: { id: sessionId } })
        .then(
          (n) => {
            if (!live) return;
            setText(n.text);
            setSavedAt(n.updatedAt);
            if (you === 'client' && !n.updatedAt) timer = setTimeout(load, 3000);
          },
          (err: unknown) => live && setError(errorText(err)),
        );
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [token, sessionId, you]);

  async function save() {
    setError(null);
    try {
      const n = await client.call('putSummary', { params: { id: sessionId }, body: { text } });
      setSavedAt(n.updatedAt);
    } catch (err) {
      setError(errorText(err));
    }
  }

  if (you === 'client') {
    return (
      <section className="summary-text" data-testid="session-summary">
        <h3>The expert’s summary</h3>
        {savedAt ? (
          <p className="bio" data-testid="summary-text">
            {text}
          </p>
        ) : (
          <p className="muted">Not written yet.</p>
        )}
        {error && <p className="error">{error}</p>}
      </section>
    );
  }
  return (
    <section className="summary-text" data-testid="session-summary">
      <h3>Your summary for the client</h3>
      <textarea
        data-testid="summary-input"
        maxLength={10_000}
        value={text}
        placeholder="What you covered, what to do next…"
        onChange={(e) => setText(e.target.value)}
      />
      <div className="row">
        <button data-testid="summary-save" onClick={() => void save()}>
          Save summary
        </button>
        {savedAt && (
          <span className="muted" data-testid="summary-saved">
            Saved {when(savedAt)}
          </span>
        )}
      </div>
      {error && <p className="error">{error}</p>}
    </section>
  );
}

/** F3: one's own private notes on the session — in the room and after it; no one else reads them. */
export function PrivateNotes({ token, sessionId }: { token: string; sessionId: string }) {
  const [text, setText] = useState<string | null>(null);
  const [state, setState] = useState<'idle' | 'saved' | string>('idle');
  // Open at first when there are notes already; then as the reader leaves it.
  const [open, setOpen] = useState(false);
  useEffect(() => {
    asParticipant(token)
      .call('getMyNotes', { params: { id: sessionId } })
      .then(
        (n) => {
          setText(n.text);
          setOpen(n.text !== '');
        },
        () => setText(''),
      );
  }, [token, sessionId]);
  if (text === null) return null;
  async function save() {
    try {
      await asParticipant(token).call('putMyNotes', {
        params: { id: sessionId },
        body: { text: text ?? '' },
      });
      setState('saved');
    } catch (err) {
      setState(errorText(err));
    }
  }
  return (
    <details
      className="notes"
      data-testid="private-notes"
      open={open}
      onToggle={(e) => setOpen(e.currentTarget.open)}
    >
      <summary>My private notes</summary>
      <textarea
        data-testid="notes-input"
        maxLength={10_000}
        value={text}
        placeholder="Only you can read these."
        onChange={(e) => {
          setText(e.target.value);
          setState('idle');
        }}
      />
      <div className="row">
        <button className="secondary" data-testid="notes-save" onClick={() => void save()}>
          Save notes
        </button>
        {state === 'saved' ? (
          <span className="ok" data-testid="notes-saved">
            Saved
          </span>
        ) : (
          state !== 'idle' && <span className="error">{state}</span>
        )}
      </div>
    </details>
  );
}
