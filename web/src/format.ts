import { describeError } from '@hourglass/sdk';
/** Minor units to a price (the server's CURRENCY is USD by default). */
export const money = (minor: number, currency = 'USD') =>
  (minor / 100).toLocaleString(undefined, { style: 'currency', currency });

/** The browser's own IANA zone: availability is asked for in it. */
export const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Today's date on the browser's clock, as YYYY-MM-DD. */
export const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/** A span until something, for a countdown: "2 d 3 h", "1 h 05 min", "04:09". */
export function until(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400),
    h = Math.floor((s % 86_400) / 3600),
    m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export const when = (iso: string) =>
  new Date(iso).toLocaleString(undefined, {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });

/**
 * What to tell a person when something failed: the SDK's sentence for the refusal, with money in
 * their locale and, for a form, the fields as it labels them (`fields`: path → label).
 */
export const errorText = (err: unknown, fields: Record<string, string> = {}) =>
  describeError(err, { money: (minor) => money(minor), fields });
