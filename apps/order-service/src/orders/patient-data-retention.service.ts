import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { OrderRepository } from './order.repository.js';

export interface PatientDataRetentionConfig {
  /** Days after an order completed or was cancelled before its patient data is removed (DESIGN.md §7). */
  retentionDays: number;
  /** Orders cleared per call, so a backlog is purged in short transactions. */
  batchSize: number;
}
export const PATIENT_DATA_RETENTION_CONFIG = Symbol('order-service.patient-data-retention-config');

/** The retention job's use case; the scheduler (later) calls it until it returns 0 and logs the total. */
@Injectable()
export class PatientDataRetentionService {
  constructor(
    private readonly orders: OrderRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PATIENT_DATA_RETENTION_CONFIG) private readonly config: PatientDataRetentionConfig,
  ) {}

  /** Removes the patient data of one batch of orders closed longer than the retention; returns how many. */
  async purgeBatch(manager: EntityManager): Promise<number> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.config.retentionDays * 24 * 60 * 60 * 1000);
    return this.orders.purgePatientData(manager, cutoff, now, this.config.batchSize);
  }
}
