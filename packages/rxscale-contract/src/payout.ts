import { z } from 'zod';
import { Cents, optionalNullable, UnixTimestamp } from './common.js';
import { PageQuery, Paginated } from './pagination.js';

/** API.md §7.13: amounts expected (`projected`) or actually routed (`routed`) to the pharmacy. */
export const PayoutStatus = z.enum(['projected', 'routed'], {
  error: (issue) => `unknown payout status ${JSON.stringify(issue.input)}; expected projected or routed`,
});
export type PayoutStatus = z.infer<typeof PayoutStatus>;

/**
 * A payout row. Key names are partly inferred from the docs' filters (API.md §7.13), so only status,
 * amount and currency are required; everything else is optional.
 */
export const Payout = z.looseObject({
  status: PayoutStatus,
  amount: Cents,
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code'),
  component: optionalNullable(z.string()),
  pharmacy_order_uid: optionalNullable(z.string()),
  pharmacy_order_name: optionalNullable(z.string()),
  pharmacy_order_created_at: optionalNullable(UnixTimestamp),
  routing_created_at: optionalNullable(UnixTimestamp),
  provider_route_id: optionalNullable(z.string()),
  routing_description: optionalNullable(z.string()),
});
export type Payout = z.infer<typeof Payout>;

export const PayoutPage = Paginated(Payout);
export type PayoutPage = z.infer<typeof PayoutPage>;

export const PayoutSortBy = z.enum(['pharmacy_order_created_at', 'routing_created_at', 'amount']);
export type PayoutSortBy = z.infer<typeof PayoutSortBy>;

/** Query of `GET /payouts` (API.md §7.13); values arrive as strings in a URL. */
export const ListPayoutsQuery = PageQuery.extend({
  pharmacy_uid: z.string().min(1).optional(),
  status: PayoutStatus.optional(),
  search: z.string().optional(),
  start_date: z.coerce.number().pipe(UnixTimestamp).optional(),
  end_date: z.coerce.number().pipe(UnixTimestamp).optional(),
  sort_by: PayoutSortBy.default('pharmacy_order_created_at'),
  sort_direction: z.enum(['asc', 'desc']).default('desc'),
});
export type ListPayoutsQuery = z.infer<typeof ListPayoutsQuery>;
