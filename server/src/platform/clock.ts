import { sql, type Kysely } from 'kysely';

/**
 * Time comes from the database so that every node agrees on deadlines (docs/ARCHITECTURE.md, "Principles in force").
 * Services ask the clock inside their transaction; `now()` is the transaction's start, so one
 * transaction sees one instant. Tests inject a `ManualClock` and move time without sleeping.
 */
export interface Clock {
  now(db: Kysely<any>): Promise<Date>;
}

export const databaseClock: Clock = {
  async now(db) {
    const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
    return new Date(rows[0]!.now);
  },
};

export class ManualClock implements Clock {
  constructor(private current: Date = new Date('2026-01-05T10:00:00Z')) {}
  async now(): Promise<Date> {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * For tests and demos only: the database's clock, running `factor` times faster from `epoch`.
 * Every process given the same epoch and factor agrees on the time, across restarts.
 */
export function acceleratedClock(base: Clock, epoch: Date, factor: number): Clock {
  return {
    async now(db) {
      const real = await base.now(db);
      return new Date(epoch.getTime() + (real.getTime() - epoch.getTime()) * factor);
    },
  };
}
