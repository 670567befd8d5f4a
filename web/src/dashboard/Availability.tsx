import { errorText } from '../format.ts';
import { useEffect, useState } from 'react';
import type { BodyOf } from '@hourglass/sdk';
import { api } from '../api.ts';
import { localZone } from '../format.ts';

type Draft = BodyOf<'putSchedule'>;
type Hours = Draft['weekly'][number];
type Override = NonNullable<Draft['overrides']>[number];

const weekdays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const zones = (() => {
  try {
    return (
      (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ??
      []
    );
  } catch {
    return [];
  }
})();

/** The form's labels for the fields a refusal can name (a sentence names them, not paths). */
const labels = {
  timeZone: 'Time zone',
  'weekly.weekday': 'Day',
  'weekly.start': 'From',
  'weekly.end': 'To',
  'overrides.date': 'Date',
  'overrides.kind': 'Kind',
  'overrides.start': 'From',
  'overrides.end': 'To',
  bufferMinutes: 'Buffer between sessions',
  minNoticeMinutes: 'Minimum notice',
  startsAt: 'Start',
  durationMinutes: 'Length',
  price: 'Price',
  types: 'Session types',
};
/** The refusal in this form's terms: the one rule across a whole day (no overlaps) by name. */
function explain(err: unknown): string {
  const issues = (err as { details?: { issues?: { path?: string }[] } }).details?.issues ?? [];
  if (issues.some((i) => i.path === 'body.weekly'))
    return 'Two ranges of hours on one day overlap: make each end before the next one starts.';
  return errorText(err, labels);
}

/**
 * B1 for the expert: weekly hours (several ranges a day), date overrides (a day off, or extra
 * hours), the zone they are in, the buffer kept around bookings and the minimum notice. The
 * whole schedule is saved at once (PUT); the server checks it and says what is wrong.
 */
export function Availability({ expertId }: { expertId: string }) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    api.call('getSchedule', { params: { id: expertId } }).then(
      (s) =>
        setDraft({
          timeZone: s.timeZone,
          weekly: s.weekly,
          overrides: s.overrides,
          bufferMinutes: s.bufferMinutes,
          minNoticeMinutes: s.minNoticeMinutes,
        }),
      (err) => setStatus({ ok: false, text: explain(err) }),
    );
  }, [expertId]);

  if (!draft)
    return (
      <div className="card">
        <h3>Availability</h3>
        {status ? <p className="error">{status.text}</p> : <p className="muted">Loading…</p>}
      </div>
    );
  const set = (patch: Partial<Draft>) => {
    setStatus(null);
    setDraft({ ...draft, ...patch });
  };
  const overrides = draft.overrides ?? [];
  const setHours = (i: number, patch: Partial<Hours>) =>
    set({ weekly: draft.weekly.map((h, j) => (j === i ? { ...h, ...patch } : h)) });
  const setOverride = (i: number, patch: Partial<Override>) =>
    set({ overrides: overrides.map((o, j) => (j === i ? { ...o, ...patch } : o)) });

  async function save() {
    try {
      const s = await api.call('putSchedule', { params: { id: expertId }, body: draft! });
      setDraft({
        timeZone: s.timeZone,
        weekly: s.weekly,
        overrides: s.overrides,
        bufferMinutes: s.bufferMinutes,
        minNoticeMinutes: s.minNoticeMinutes,
      });
      setStatus({ ok: true, text: 'Saved.' });
    } catch (err) {
      setStatus({ ok: false, text: explain(err) });
    }
  }

  return (
    <div className="card availability" data-testid="availability">
      <h3>Availability</h3>
      <label className="field">
        Time zone
        <select
          data-testid="zone"
          value={draft.timeZone}
          onChange={(e) => set({ timeZone: e.target.value })}
        >
          {[...new Set([draft.timeZone, localZone(), ...zones])].map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
      </label>
      <table className="weekly">
        <tbody>
          {weekdays.map((name, d) => {
            const ranges = draft.weekly
              .map((h, i) => ({ h, i }))
              .filter(({ h }) => h.weekday === d + 1);
            return (
              <tr key={name} data-testid="weekday" data-weekday={d + 1}>
                <th>{name}</th>
                <td>
                  {ranges.length === 0 && <span className="muted">Unavailable</span>}
                  {ranges.map(({ h, i }) => (
                    <span key={i} className="range">
                      <input
                        type="time"
                        aria-label={`${name} from`}
                        data-testid="from"
                        value={h.start}
                        onChange={(e) => setHours(i, { start: e.target.value })}
                      />
                      –
                      <input
                        type="time"
                        aria-label={`${name} to`}
                        data-testid="to"
                        value={h.end === '24:00' ? '23:59' : h.end}
                        onChange={(e) => setHours(i, { end: e.target.value })}
                      />
                      <button
                        className="link"
                        aria-label="Remove these hours"
                        data-testid="remove-hours"
                        onClick={() => set({ weekly: draft.weekly.filter((_, j) => j !== i) })}
                      >
                        ×
                      </button>
                    </span>
                  ))}
                  <button
                    className="link"
                    data-testid="add-hours"
                    onClick={() =>
                      set({
                        weekly: [...draft.weekly, { weekday: d + 1, start: '09:00', end: '17:00' }],
                      })
                    }
                  >
                    + hours
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h4>Dates</h4>
      {overrides.map((o, i) => (
        <div key={i} className="row override" data-testid="override">
          <input
            type="date"
            aria-label="Date"
            value={o.date}
            onChange={(e) => setOverride(i, { date: e.target.value })}
          />
          <select
            aria-label="Kind"
            value={o.kind}
            onChange={(e) =>
              setOverride(
                i,
                e.target.value === 'extra'
                  ? { kind: 'extra', start: o.start ?? '09:00', end: o.end ?? '12:00' }
                  : { kind: 'off' },
              )
            }
          >
            <option value="off">Off</option>
            <option value="extra">Extra hours</option>
          </select>
          {o.kind === 'off' && o.start === null ? (
            <button
              className="link"
              onClick={() => setOverride(i, { start: '09:00', end: '12:00' })}
            >
              all day (set hours)
            </button>
          ) : (
            <>
              <input
                type="time"
                aria-label="From"
                value={o.start ?? ''}
                onChange={(e) => setOverride(i, { start: e.target.value })}
              />
              –
              <input
                type="time"
                aria-label="To"
                value={o.end ?? ''}
                onChange={(e) => setOverride(i, { end: e.target.value })}
              />
              {o.kind === 'off' && (
                <button className="link" onClick={() => setOverride(i, { start: null, end: null })}>
                  all day
                </button>
              )}
            </>
          )}
          <button
            className="link"
            aria-label="Remove this date"
            onClick={() => set({ overrides: overrides.filter((_, j) => j !== i) })}
          >
            ×
          </button>
        </div>
      ))}
      <button
        className="link"
        data-testid="add-override"
        onClick={() =>
          set({
            overrides: [
              ...overrides,
              { date: new Date().toISOString().slice(0, 10), kind: 'off', start: null, end: null },
            ],
          })
        }
      >
        + a date off or extra hours
      </button>
      <div className="row settings">
        <label className="field">
          Buffer (min)
          <input
            type="number"
            min="0"
            max="240"
            data-testid="buffer"
            value={draft.bufferMinutes ?? 0}
            onChange={(e) => set({ bufferMinutes: Number(e.target.value) })}
          />
        </label>
        <label className="field">
          Notice (min)
          <input
            type="number"
            min="0"
            data-testid="notice"
            value={draft.minNoticeMinutes ?? 120}
            onChange={(e) => set({ minNoticeMinutes: Number(e.target.value) })}
          />
        </label>
      </div>
      <button data-testid="save-availability" onClick={() => void save()}>
        Save availability
      </button>
      {status && (
        <p className={status.ok ? 'ok' : 'error'} data-testid="availability-status">
          {status.text}
        </p>
      )}
    </div>
  );
}
