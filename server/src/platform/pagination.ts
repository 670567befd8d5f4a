import { Id } from '@hourglass/protocol';
import { AppError } from './errors.ts';

/** Cursors are the last id of the previous page: ids are UUIDv7, so id order is creation order. */
export function cursorId(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  if (!Id.safeParse(cursor).success)
    throw new AppError('validation_failed', 'Invalid cursor', {
      issues: [{ path: 'query.cursor', message: 'not a cursor' }],
    });
  return cursor;
}

/** Repositories fetch `limit + 1` rows; the extra one only tells whether there is a next page. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  idOf: (r: R) => string,
  present: (r: R) => T,
) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(present), nextCursor: rows.length > limit && last ? idOf(last) : null };
}
