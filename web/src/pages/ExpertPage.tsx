import { useState } from 'react';
import type { ResponseOf } from '@hourglass/sdk';
import { api } from '../api.ts';
import { useQuery } from '../useQuery.ts';
import { localZone, money, today, errorText } from '../format.ts';
import { TalkNow } from './TalkNow.tsx';

type Slot = ResponseOf<'availability'>['slots'][number];
type Booking = ResponseOf<'createBooking'>;
const DURATIONS = [15, 30, 45, 60] as const;

/**
 * B2/B3: an expert's page — profile, then open slots by date on the visitor's own clock, for a
 * chosen type and length; a signed-in client books one (paid from the wallet into escrow).
 */
export function ExpertPage({ id }: { id: string }) {
  const [type, setType] = useState<'chat' | 'voice' | 'video'>('chat');
  const [duration, setDuration] = useState<(typeof DURATIONS)[number]>(30);
  const [date, setDate] = useState(today());
  const [chosen, setChosen] = useState<Slot | null>(null);
  const [booked, setBooked] = useState<Booking | null>(null);
  const [bookError, setError] = useState<string | null>(null);

  const profile = useQuery(async () => {
    const e = await api.call('getExpert', { params: { id } });
    const offered = (['chat', 'voice', 'video'] as const).filter((t) => e.rates[t] !== undefined);
    if (offered[0]) setType(offered[0]);
    return e;
  }, [id]);
  const expert = profile.data;
  const open = useQuery(async () => {
    setChosen(null);
    return (
      await api.call('availability', {
        params: { id },
        query: { date, days: 7, tz: localZone(), duration, type },
      })
    ).slots;
  }, [id, date, duration, type]);
  // The slots of the question asked now: while the next answer loads, none.
  const slots = open.loading ? null : (open.data ?? null);
  const error = bookError ?? profile.error ?? open.error;

  async function book(slot: Slot) {
    setError(null);
    try {
      setBooked(
        await api.call('createBooking', {
          body: {
            expertId: id,
            type,
            startsAt: slot.startsAt,
            durationMinutes: duration,
            slotId: slot.slotId,
            payWith: 'wallet',
          },
        }),
      );
    } catch (err) {
      const code = (err as { code?: string }).code;
      setError(
        code === 'unauthenticated'
          ? 'Sign in as a client to book.'
          : code === 'insufficient_funds'
            ? 'Your wallet does not cover this session: top it up first.'
            : errorText(err),
      );
    }
  }

  if (!expert) return error ? <p className="error">{error}</p> : <p className="muted">Loading…</p>;
  const byDay = new Map<string, Slot[]>();
  for (const s of slots ?? []) {
    const day = new Date(s.startsAt).toLocaleDateString(undefined, {
      weekday: 'short',
      month: 'short',
      day: 'numeric',
    });
    byDay.set(day, [...(byDay.get(day) ?? []), s]);
  }
  return (
    <section data-testid="expert-page">
      <div className="card">
        <h2 data-testid="expert-name">{expert.name}</h2>
        <p className="bio" data-testid="expert-bio">
          {expert.bio}
        </p>
        <p className="muted">
          {Object.entries(expert.rates)
            .map(([t, r]) => `${t} ${money(r)}/min`)
            .join(' · ')}
        </p>
      </div>
      {expert.presence === 'online' && <TalkNow expert={expert} />}
      {booked ? (
        <div className="card" data-testid="booked">
          <h3>Booked</h3>
          <p>
            {new Date(booked.session.scheduledAt!).toLocaleString()} · {booked.session.type} ·{' '}
            {booked.session.durationMinutes} min · {money(booked.session.price ?? 0)}
          </p>
          <p>
            <a href={new URL(booked.link.url).pathname} data-testid="booked-link">
              Your link to the session
            </a>{' '}
            — it opens a few minutes before the start.
          </p>
        </div>
      ) : (
        <>
          <div className="row filters">
            <label>
              Type{' '}
              <select
                data-testid="type"
                value={type}
                onChange={(e) => setType(e.target.value as typeof type)}
              >
                {(['chat', 'voice', 'video'] as const)
                  .filter((t) => expert.rates[t] !== undefined)
                  .map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
              </select>
            </label>
            <label>
              Length{' '}
              <select
                data-testid="duration"
                value={duration}
                onChange={(e) => setDuration(Number(e.target.value) as typeof duration)}
              >
                {DURATIONS.filter(
                  (d) => expert.flatPrices[String(d) as `${typeof d}`] !== undefined,
                ).map((d) => (
                  <option key={d} value={d}>
                    {d} min · {money(expert.flatPrices[String(d) as `${typeof d}`]!)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              From{' '}
              <input
                type="date"
                data-testid="date"
                value={date}
                onChange={(e) => e.target.value && setDate(e.target.value)}
              />
            </label>
          </div>
          {slots === null ? (
            <p className="muted">Loading times…</p>
          ) : slots.length === 0 ? (
            <p className="muted" data-testid="no-slots">
              No open times in these 7 days.
            </p>
          ) : (
            [...byDay].map(([day, list]) => (
              <div key={day} className="day">
                <h4>{day}</h4>
                <div className="row">
                  {list.map((s) => (
                    <button
                      key={s.startsAt + (s.slotId ?? '')}
                      className={chosen === s ? '' : 'secondary'}
                      data-testid="slot"
                      onClick={() => setChosen(s)}
                    >
                      {s.localStart}
                    </button>
                  ))}
                </div>
              </div>
            ))
          )}
          {chosen && (
            <div className="card confirm" data-testid="confirm">
              <p>
                {new Date(chosen.startsAt).toLocaleString()} · {type} · {duration} min ·{' '}
                <strong>{money(chosen.price)}</strong>
              </p>
              <button data-testid="book" onClick={() => void book(chosen)}>
                Book and pay from wallet
              </button>
            </div>
          )}
        </>
      )}
      {error && (
        <p className="error" data-testid="book-error">
          {error}
        </p>
      )}
    </section>
  );
}
