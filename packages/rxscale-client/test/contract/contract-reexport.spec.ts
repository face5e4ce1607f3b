import * as contract from '@rxbridge/rxscale-contract';
import * as client from '../../src/index.js';

describe('the client package and the RxScale contract', () => {
  it('exposes every schema, type helper and constant of @rxbridge/rxscale-contract', () => {
    for (const name of Object.keys(contract))
      expect([name, (client as Record<string, unknown>)[name]]).toEqual([
        name,
        (contract as Record<string, unknown>)[name],
      ]);
  });

  it('parses through the re-export like through the contract itself', () => {
    expect(client.StockUpdateRequest.parse({ stock: 7 })).toEqual({ stock: 7 });
    expect(client.PharmacyOrderStatus.safeParse('shipped').success).toBe(false);
  });
});
