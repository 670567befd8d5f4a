/** Minor units to a price (the server's CURRENCY is USD by default). */
export const money = (minor: number, currency = 'USD') => (minor / 100).toLocaleString(undefined, { style: 'currency', currency });

/** The browser's own IANA zone: availability is asked for in it. */
export const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Today's date on the browser's clock, as YYYY-MM-DD. */
export const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
