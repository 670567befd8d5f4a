export { createClient, type ClientOptions, type HourglassClient, type CallInput } from './client.ts';
export { HourglassError } from './errors.ts';
export type * from '@hourglass/protocol';
