import { IndexDueRxscaleCommands1790000000002 } from '../outbox/command-due.migration.js';
import { CreateOutboxAndRxscaleCommand1790000000001 } from '../outbox/outbox.migration.js';
import { CreateInboxAndParked1790000000000 } from './inbox.migration.js';

/** Add these to a service's migration list (before its own) to get inbox, parked, outbox and rxscale_command. */
export const plumbingMigrations = [
  CreateInboxAndParked1790000000000,
  CreateOutboxAndRxscaleCommand1790000000001,
  IndexDueRxscaleCommands1790000000002,
];
