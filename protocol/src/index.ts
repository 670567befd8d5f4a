export * from './errors.ts';
export * from './common.ts';
export * from './people.ts';
export * from './sessions.ts';
export * from './money.ts';
export * from './endpoints.ts';
export * from './realtime.ts';
export * from './booking.ts';
