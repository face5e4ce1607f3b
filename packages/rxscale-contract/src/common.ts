import { z } from 'zod';

/** UIDs are opaque, non-empty strings (API.md §4): never parsed for structure. */
export const Uid = z.string().min(1, 'uid must be a non-empty string');
export type Uid = z.infer<typeof Uid>;

/** Unix timestamps in seconds (API.md §4). */
export const UnixTimestamp = z.int().nonnegative();
export type UnixTimestamp = z.infer<typeof UnixTimestamp>;

/** Integer money amount in cents (API.md §4). */
export const Cents = z.int().nonnegative();
export type Cents = z.infer<typeof Cents>;

/** A field that one docs revision sends, another omits, and some send as null (API.md §13). */
export const optionalNullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
