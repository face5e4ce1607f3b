import { IntervalJob, type ServiceLogger } from '@rxbridge/service-kit';
import { type DataSource } from 'typeorm';
import { type PatientDataRetentionService } from '../orders/patient-data-retention.service.js';

/** Batches per run at most, so one run stays short; the next run continues. */
const MAX_BATCHES = 1000;

/**
 * Removes the patient data of orders closed more than ORDERS_PATIENT_DATA_RETENTION_DAYS ago, a batch per
 * transaction, until none is left; answers how many orders it cleared (counts only).
 */
export function patientDataRetentionJob(options: {
  dataSource: DataSource;
  retention: PatientDataRetentionService;
  logger: ServiceLogger;
  intervalMs: number;
}): IntervalJob {
  return new IntervalJob({
    name: 'patient-data-retention',
    intervalMs: options.intervalMs,
    logger: options.logger,
    run: async () => {
      let removed = 0;
      for (let batch = 0; batch < MAX_BATCHES; batch++) {
        const n = await options.dataSource.transaction((m) => options.retention.purgeBatch(m));
        removed += n;
        if (n === 0) break;
      }
      return { removed };
    },
  });
}
