import { z } from 'zod';

export const Id = z.uuid().describe('A UUID');
export const Timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time');
/** Money is always an integer number of minor units (cents). */
export const Minor = z.number().int().nonnegative().max(100_000_000);

export const IdParams = z.strictObject({ id: Id });

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const Empty = z.strictObject({});
export const NoContent = z.null().describe('No content (204)');
