/**
 * Time budgets of tests that start real server processes, in one place so that a budget and
 * the timeout that guards it cannot disagree. A start (tsx, migrations, listening) takes ≈ 2 s
 * on an idle 2-core machine; the budget leaves room for that machine running a second full
 * test run at the same time.
 */
export const START_MS = 45_000;

/** A test's timeout that covers `starts` process starts (one after another) and `workMs` of its own. */
export const withStarts = (starts: number, workMs = 30_000) => starts * START_MS + workMs;
