import { parseStockCsv, parseStockJson, type StockIngestItem } from './stock-ingest.js';
import { StockUploadError } from './stock.errors.js';

async function collect(items: AsyncIterable<StockIngestItem>): Promise<StockIngestItem[]> {
  const out: StockIngestItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function* chunks(text: string, size = 7): Generator<Buffer> {
  for (let i = 0; i < text.length; i += size) yield Buffer.from(text.slice(i, i + size));
}

async function refusal(items: AsyncIterable<StockIngestItem>): Promise<StockUploadError> {
  try {
    await collect(items);
  } catch (error) {
    expect(error).toBeInstanceOf(StockUploadError);
    return error as StockUploadError;
  }
  throw new Error('the upload was accepted');
}

describe(parseStockCsv.name, () => {
  it('reads good lines across chunk boundaries, with their line numbers', async () => {
    const items = await collect(
      parseStockCsv(chunks('article_id,on_hand,pzn\nA-1,5,06312077\n"A,2",0,\n\nA-3,12\n')),
    );
    expect(items).toEqual([
      { ok: true, value: { line: 2, articleId: 'A-1', pzn: '06312077', onHand: 5 } },
      { ok: true, value: { line: 3, articleId: 'A,2', pzn: null, onHand: 0 } },
      { ok: false, rejected: { line: 5, reason: 'field_count', message: expect.any(String) } },
    ]);
  });

  it('accepts the columns in any order and a byte order mark', async () => {
    const items = await collect(
      parseStockCsv(chunks('\uFEFFON_HAND;x\n'.replace(';x', ',article_id') + '3,B-1\n')),
    );
    expect(items).toEqual([{ ok: true, value: { line: 2, articleId: 'B-1', pzn: null, onHand: 3 } }]);
  });

  it('reports each bad line by number and reason without its value', async () => {
    const csv = [
      'article_id,on_hand,pzn',
      'A-1,-4,',
      'A-2,3.5,',
      'A-3,lots-of-secret,',
      ',2,',
      'A-5,200000000,',
      'A-6,1,PZN-SECRET',
      'A-7,7,',
    ].join('\n');
    const items = await collect(parseStockCsv(chunks(csv)));
    expect(items.map((i) => (i.ok ? i.value.line : [i.rejected.line, i.rejected.reason]))).toEqual([
      [2, 'on_hand_negative'],
      [3, 'on_hand_not_integer'],
      [4, 'on_hand_not_integer'],
      [5, 'article_id_missing'],
      [6, 'on_hand_too_large'],
      [7, 'pzn_invalid'],
      8,
    ]);
    expect(JSON.stringify(items)).not.toMatch(/secret/i);
  });

  describe('refuses the whole upload', () => {
    it('with bad quoting, naming the line and not the value', async () => {
      const error = await refusal(
        parseStockCsv(chunks('article_id,on_hand\nA-1,1\n"secret-value,2\nA-3,3\n')),
      );
      expect(error.code).toBe('csv_malformed');
      expect(error.message).not.toContain('secret');
    });

    it('with a wrong header', async () => {
      expect((await refusal(parseStockCsv(chunks('sku,count\nA-1,1\n')))).code).toBe('csv_header_invalid');
      expect((await refusal(parseStockCsv(chunks('article_id,article_id,on_hand\n')))).code).toBe(
        'csv_header_invalid',
      );
      expect((await refusal(parseStockCsv(chunks('article_id\nA-1\n')))).code).toBe('csv_header_invalid');
      expect((await refusal(parseStockCsv(chunks('')))).code).toBe('csv_header_invalid');
    });

    it('when larger than the byte limit', async () => {
      const big = 'article_id,on_hand\n' + Array.from({ length: 1000 }, (_, i) => `A-${i},1`).join('\n');
      const error = await refusal(parseStockCsv(chunks(big, 512), { maxBytes: 4096, maxLines: 10_000 }));
      expect(error.code).toBe('upload_too_large');
    });

    it('with more lines than allowed', async () => {
      const csv = 'article_id,on_hand\nA-1,1\nA-2,2\nA-3,3\n';
      expect((await refusal(parseStockCsv(chunks(csv), { maxBytes: 1e6, maxLines: 2 }))).code).toBe(
        'too_many_lines',
      );
    });
  });
});

describe(parseStockJson.name, () => {
  it('validates each line and numbers them from 1', () => {
    const items = [
      ...parseStockJson({
        lines: [
          { article_id: 'A-1', on_hand: 4, pzn: '06312077' },
          { article_id: 'A-2', on_hand: '4' },
          { article_id: 'A-3', on_hand: -1 },
          'nonsense',
          { on_hand: 1 },
          { article_id: 'A-6', on_hand: 0, pzn: 123 },
        ],
      }),
    ];
    expect(items.map((i) => (i.ok ? i.value : [i.rejected.line, i.rejected.reason]))).toEqual([
      { line: 1, articleId: 'A-1', pzn: '06312077', onHand: 4 },
      [2, 'on_hand_not_integer'],
      [3, 'on_hand_negative'],
      [4, 'line_invalid'],
      [5, 'article_id_missing'],
      [6, 'pzn_invalid'],
    ]);
  });

  it('refuses a body of another shape or too many lines', () => {
    expect(() => [...parseStockJson([{ article_id: 'A', on_hand: 1 }])]).toThrow(StockUploadError);
    expect(() => [...parseStockJson({ lines: [{}, {}, {}] }, { maxLines: 2 })]).toThrow(/more lines/);
  });
});
