import { MAX_PAGE_LIMIT } from '@rxbridge/rxscale-contract';
import { RxScaleConfigError, RxScaleSchemaError } from '../errors.js';

/** RxScale's pagination envelope (API.md §4). */
export interface RxScalePage<T> {
  data: T[];
  totalRegistries: number;
  totalPages: number;
}

export interface PaginationOptions {
  /** Items per page, 1..200 (RxScale caps larger values silently; we refuse them). Default 200: fewest calls. */
  limit?: number;
  /** Zero-based page to start from (default 0). */
  startPage?: number;
}

export function assertPageParams(page: number | undefined, limit: number | undefined): void {
  if (page !== undefined && (!Number.isInteger(page) || page < 0)) {
    throw new RxScaleConfigError('page_invalid', 'page must be an integer >= 0 (pages are zero-based)');
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT)) {
    throw new RxScaleConfigError('limit_invalid', `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  }
}

/**
 * Every page from `startPage` on, fetched lazily as the consumer asks: the last page is
 * `totalPages - 1`. Stops early at an empty page, so a total that shrinks while paging cannot loop forever.
 */
export async function* paginatePages<T>(
  fetchPage: (page: number, limit: number) => Promise<RxScalePage<T>>,
  options: PaginationOptions = {},
): AsyncGenerator<RxScalePage<T>, void, undefined> {
  const limit = options.limit ?? MAX_PAGE_LIMIT;
  let page = options.startPage ?? 0;
  assertPageParams(page, limit);
  for (;;) {
    const result = await fetchPage(page, limit);
    if (!Number.isInteger(result.totalPages) || result.totalPages < 0) {
      throw new RxScaleSchemaError(
        'response',
        'Pagination envelope is not usable',
        [{ path: 'totalPages', code: 'invalid_value', expected: 'integer >= 0' }],
        undefined,
      );
    }
    yield result;
    page += 1;
    if (result.data.length === 0 || page >= result.totalPages) return;
  }
}

/** Every item of every page from `startPage` on. */
export async function* paginate<T>(
  fetchPage: (page: number, limit: number) => Promise<RxScalePage<T>>,
  options: PaginationOptions = {},
): AsyncGenerator<T, void, undefined> {
  for await (const page of paginatePages(fetchPage, options)) yield* page.data;
}
