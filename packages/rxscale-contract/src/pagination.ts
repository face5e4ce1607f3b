import { z } from 'zod';

/** API.md §4: `page` is zero-based, `limit` defaults to 50 and is silently capped at 200. */
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;

/**
 * The pagination envelope of every paginated list (API.md §4), around the given item schema.
 * `GET /webhooks/` is the exception: a bare array.
 */
export function Paginated<T extends z.ZodType>(item: T) {
  return z.looseObject({
    data: z.array(item),
    totalRegistries: z.int().nonnegative(),
    totalPages: z.int().nonnegative(),
  });
}
export interface Paginated<T> {
  data: T[];
  totalRegistries: number;
  totalPages: number;
}

/** Query parameter that arrives as a string in a URL; accepts numbers too, so typed callers can use it. */
const queryInt = (name: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v),
    z.int(`${name} must be an integer`),
  );

/** `page` and `limit` as RxScale reads them: a limit above 200 is capped, not refused (API.md §4). */
export const PageQuery = z.object({
  page: queryInt('page').pipe(z.int().min(0, 'page must be 0 or more')).default(0),
  limit: queryInt('limit')
    .pipe(z.int().min(1, 'limit must be 1 or more'))
    .transform((n) => Math.min(n, MAX_PAGE_LIMIT))
    .default(DEFAULT_PAGE_LIMIT),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** `totalPages` = ceil(totalRegistries / limit) (API.md §4). */
export function totalPages(totalRegistries: number, limit: number): number {
  return Math.ceil(totalRegistries / limit);
}
