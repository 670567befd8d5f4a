/**
 * Size of the heavy randomized suites (property, clock, crash). CI runs the default; run by
 * hand with e.g. HG_TEST_SCALE=20 for a long soak. Every suite prints what it ran and the seed.
 */
export const testScale = Math.max(1, Number(process.env.HG_TEST_SCALE ?? 1));

/** fast-check's seed: HG_SEED repeats a run; otherwise a fresh one, printed by the suite. */
export const seed = process.env.HG_SEED
  ? Number(process.env.HG_SEED)
  : Math.floor(Math.random() * 2 ** 31);
