/**
 * Size of the heavy randomized suites (property, clock, crash, the booking race, the webhook
 * storm). CI runs the default, 1; `npm run test:quick` runs a twentieth (HG_TEST_SCALE=0.05); by
 * hand, e.g. HG_TEST_SCALE=20 for a long soak. Every suite prints what it ran and the seed.
 */
export const testScale = Math.max(0.01, Number(process.env.HG_TEST_SCALE ?? 1));

/** `n` at this run's scale: at least 1. */
export const scaled = (n: number) => Math.max(1, Math.round(n * testScale));

/** A timeout for work of the default size, grown with the scale (never shrunk below it). */
export const scaledTimeout = (ms: number) => ms * Math.max(1, testScale);

/** fast-check's seed: HG_SEED repeats a run; otherwise a fresh one, printed by the suite. */
export const seed = process.env.HG_SEED
  ? Number(process.env.HG_SEED)
  : Math.floor(Math.random() * 2 ** 31);
