import { z } from 'zod';

/** `GET /health/`: body not documented (API.md §7.1); any 2xx is healthy, any JSON body is accepted. */
export const HealthResponse = z.unknown();
export type HealthResponse = z.infer<typeof HealthResponse>;
