import { RxScaleConfigError } from '../src/errors.js';
import { paginate, paginatePages, type RxScalePage } from '../src/pagination/paginate.js';

/** A list of `total` items served in RxScale's envelope, recording which pages were asked for. */
function pagedList(total: number) {
  const asked: Array<[number, number]> = [];
  const items = Array.from({ length: total }, (_, i) => ({ uid: `psku-${i}` }));
  const fetchPage = (page: number, limit: number): Promise<RxScalePage<{ uid: string }>> => {
    asked.push([page, limit]);
    return Promise.resolve({
      data: items.slice(page * limit, (page + 1) * limit),
      totalRegistries: total,
      totalPages: Math.ceil(total / limit),
    });
  };
  return { asked, fetchPage };
}

describe('pagination', () => {
  it('yields every item across zero-based pages and stops at totalPages', async () => {
    const list = pagedList(212);
    const seen: string[] = [];
    for await (const item of paginate(list.fetchPage, { limit: 50 })) seen.push(item.uid);
    expect(seen).toHaveLength(212);
    expect(new Set(seen).size).toBe(212);
    expect(list.asked).toEqual([
      [0, 50],
      [1, 50],
      [2, 50],
      [3, 50],
      [4, 50],
    ]);
  });

  it('asks for 200 per page by default, and one page for an empty list', async () => {
    const list = pagedList(0);
    const seen = [];
    for await (const item of paginate(list.fetchPage)) seen.push(item);
    expect(seen).toEqual([]);
    expect(list.asked).toEqual([[0, 200]]);
  });

  it('fetches lazily: stopping early fetches no further page', async () => {
    const list = pagedList(1000);
    for await (const page of paginatePages(list.fetchPage, { limit: 100, startPage: 3 })) {
      expect(page.data[0]!.uid).toBe('psku-300');
      break;
    }
    expect(list.asked).toEqual([[3, 100]]);
  });

  it('stops at an empty page even if totalPages promises more', async () => {
    let calls = 0;
    const seen = [];
    for await (const item of paginate(() => {
      calls++;
      return Promise.resolve({
        data: calls === 1 ? [{ uid: 'a' }] : [],
        totalRegistries: 999,
        totalPages: 999,
      });
    }))
      seen.push(item);
    expect(seen).toHaveLength(1);
    expect(calls).toBe(2);
  });

  it.each([0, 201, 1.5, -1])('refuses limit %p', async (limit) => {
    const list = pagedList(10);
    await expect(paginate(list.fetchPage, { limit }).next()).rejects.toThrow(RxScaleConfigError);
    expect(list.asked).toEqual([]);
  });

  it('refuses a negative start page', async () => {
    await expect(paginate(pagedList(1).fetchPage, { startPage: -1 }).next()).rejects.toThrow('zero-based');
  });
});
