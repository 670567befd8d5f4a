import type { ResponseOf } from '@hourglass/sdk';
import { api } from '../api.ts';
import { money, when } from '../format.ts';
import { useQuery } from '../useQuery.ts';

type PerSession = ResponseOf<'myEarningsBySession'>['items'][number];
const DAYS = 30;

const dayKey = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** Net earnings per day of the last DAYS days (the browser's days), oldest first. */
export function byDay(items: PerSession[], now = new Date()): { day: string; net: number }[] {
  const days = Array.from({ length: DAYS }, (_, i) =>
    dayKey(new Date(now.getFullYear(), now.getMonth(), now.getDate() - (DAYS - 1 - i))),
  );
  const sums = new Map(days.map((d) => [d, 0]));
  for (const e of items) {
    const k = dayKey(new Date(e.at));
    if (sums.has(k)) sums.set(k, sums.get(k)! + e.net);
  }
  return days.map((day) => ({ day, net: sums.get(day)! }));
}

/** E5 for the expert: totals (gross, the platform's part, net, paid out, available) and a chart of the last 30 days. */
export function Earnings() {
  const { data, error } = useQuery(async () => {
    const totals = await api.call('myEarnings');
    // Newest first: page until the rows are older than the chart (or there are no more).
    const since = Date.parse(totals.serverNow) - DAYS * 86_400_000;
    const items: PerSession[] = [];
    let cursor: string | null = null;
    do {
      const page: ResponseOf<'myEarningsBySession'> = await api.call('myEarningsBySession', {
        query: { limit: 100, ...(cursor && { cursor }) },
      });
      items.push(...page.items);
      cursor =
        page.items.length && Date.parse(page.items.at(-1)!.at) >= since ? page.nextCursor : null;
    } while (cursor);
    return { totals, items };
  }, []);
  const totals = data?.totals;
  const items = data?.items ?? [];

  if (error)
    return (
      <div className="card">
        <h3>Earnings</h3>
        <p className="error">{error}</p>
      </div>
    );
  if (!totals)
    return (
      <div className="card">
        <h3>Earnings</h3>
        <p className="muted">Loading…</p>
      </div>
    );
  // Days counted back from the server's today (the clock this product keeps), in the browser's zone.
  const days = byDay(items, new Date(totals.serverNow));
  const top = Math.max(1, ...days.map((d) => d.net));
  const c = totals.currency;
  return (
    <div className="card" data-testid="earnings">
      <h3>Earnings</h3>
      <div className="totals">
        <div>
          <span className="muted">Net</span>
          <strong data-testid="earnings-net" data-minor={totals.net}>
            {money(totals.net, c)}
          </strong>
        </div>
        <div>
          <span className="muted">Available</span>
          <strong data-testid="earnings-available">{money(totals.available, c)}</strong>
        </div>
        <div>
          <span className="muted">Paid out</span>
          <strong>{money(totals.paidOut, c)}</strong>
        </div>
        <div>
          <span className="muted">Platform fees</span>
          <strong>{money(totals.fees, c)}</strong>
        </div>
      </div>
      <svg
        className="chart"
        data-testid="earnings-chart"
        viewBox={`0 0 ${DAYS * 10} 100`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Net earnings per day, last ${DAYS} days`}
      >
        <line x1="0" y1="99.5" x2={DAYS * 10} y2="99.5" className="axis" />
        {days.map((d, i) => {
          const h = (d.net / top) * 96;
          return (
            <rect
              key={d.day}
              data-testid="bar"
              data-day={d.day}
              data-net={d.net}
              x={i * 10 + 1.5}
              y={100 - h}
              width="7"
              height={h}
              className="bar"
            >
              <title>{`${d.day}: ${money(d.net, c)}`}</title>
            </rect>
          );
        })}
      </svg>
      <p className="muted small">Net per day, last {DAYS} days</p>
      {items.length > 0 && (
        <table className="history">
          <tbody>
            {items.slice(0, 10).map((e) => (
              <tr key={e.sessionId} data-testid="earning-row">
                <td>{when(e.at)}</td>
                <td>{money(e.gross, c)} gross</td>
                <td className="amount in">{money(e.net, c)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
