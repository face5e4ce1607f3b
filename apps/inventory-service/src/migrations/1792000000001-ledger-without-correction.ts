import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The ledger cause `correction` was declared but no movement ever had it: our counts move only by a PMS
 * level, a reservation, a release or a deduction. A Portal change or reconciliation repair corrects
 * RxScale's value, not ours (the PMS wins); those are kept in stock_disagreement (docs/design.md "Stock
 * ledger"). A cause nothing writes would only mislead a reader of the ledger.
 */
export class LedgerWithoutCorrection1792000000001 implements MigrationInterface {
  name = 'LedgerWithoutCorrection1792000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE stock_ledger DROP CONSTRAINT stock_ledger_cause_check');
    await q.query(`ALTER TABLE stock_ledger ADD CONSTRAINT stock_ledger_cause_check
      CHECK (cause IN ('pms-level', 'reservation', 'release', 'deduction'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE stock_ledger DROP CONSTRAINT stock_ledger_cause_check');
    await q.query(`ALTER TABLE stock_ledger ADD CONSTRAINT stock_ledger_cause_check
      CHECK (cause IN ('pms-level', 'reservation', 'release', 'deduction', 'correction'))`);
  }
}
