import { z } from 'zod';
import type { RecordsOf } from '../../../state/table-state.ts';

/**
 * The agent side of τ²-bench telecom (`db.toml`, τ²'s `TelecomDB`): one table per list of the
 * database, keyed by the record's id, rows in the file's order (new bills are appended, as τ²
 * appends them to its list). Each record holds exactly the fields of τ²'s pydantic model in the
 * model's field order, defaults filled (`model_dump` structure). Dates are `YYYY-MM-DD` strings,
 * date-times `YYYY-MM-DDTHH:MM:SS` strings; numbers of the `FLOAT_FIELDS` below are Python floats
 * (printed `5.0`), whatever JavaScript makes of them.
 */

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const dateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);

/** `plans` table (key: `plan_id`). */
export const telecomPlanSchema = z.strictObject({
  plan_id: z.string(),
  name: z.string(),
  data_limit_gb: z.number(),
  price_per_month: z.number(),
  data_refueling_price_per_gb: z.number(),
});
export type TelecomPlan = z.infer<typeof telecomPlanSchema>;

export const TELECOM_DEVICE_TYPES = ['phone', 'router', 'tablet', 'watch', 'other'] as const;

/** `devices` table (key: `device_id`). */
export const telecomDeviceSchema = z.strictObject({
  device_id: z.string(),
  device_type: z.enum(TELECOM_DEVICE_TYPES),
  model: z.string(),
  imei: z.string().nullable(),
  is_esim_capable: z.boolean(),
  activated: z.boolean(),
  activation_date: dateTime.nullable(),
  last_esim_transfer_date: dateTime.nullable(),
});
export type TelecomDevice = z.infer<typeof telecomDeviceSchema>;

export const TELECOM_LINE_STATUSES = ['Active', 'Suspended', 'Pending Activation', 'Closed'] as const;
export type TelecomLineStatus = (typeof TELECOM_LINE_STATUSES)[number];

/** `lines` table (key: `line_id`). */
export const telecomLineSchema = z.strictObject({
  line_id: z.string(),
  phone_number: z.string(),
  status: z.enum(TELECOM_LINE_STATUSES),
  plan_id: z.string(),
  device_id: z.string().nullable(),
  data_used_gb: z.number(),
  data_refueling_gb: z.number(),
  roaming_enabled: z.boolean(),
  contract_end_date: date.nullable(),
  last_plan_change_date: date.nullable(),
  last_sim_replacement_date: date.nullable(),
  suspension_start_date: date.nullable(),
});
export type TelecomLine = z.infer<typeof telecomLineSchema>;

/** One charge, credit or payment on a bill. */
export const telecomLineItemSchema = z.strictObject({
  description: z.string(),
  amount: z.number(),
  date,
  item_type: z.string(),
});
export type TelecomLineItem = z.infer<typeof telecomLineItemSchema>;

export const TELECOM_BILL_STATUSES = ['Draft', 'Issued', 'Awaiting Payment', 'Paid', 'Overdue', 'Disputed'] as const;
export type TelecomBillStatus = (typeof TELECOM_BILL_STATUSES)[number];

/** `bills` table (key: `bill_id`). */
export const telecomBillSchema = z.strictObject({
  bill_id: z.string(),
  customer_id: z.string(),
  period_start: date,
  period_end: date,
  issue_date: date,
  total_due: z.number(),
  due_date: date,
  line_items: z.array(telecomLineItemSchema),
  status: z.enum(TELECOM_BILL_STATUSES),
});
export type TelecomBill = z.infer<typeof telecomBillSchema>;

/** `customers` table (key: `customer_id`). */
export const telecomCustomerSchema = z.strictObject({
  customer_id: z.string(),
  full_name: z.string(),
  date_of_birth: z.string(),
  email: z.string(),
  phone_number: z.string(),
  address: z.strictObject({ street: z.string(), city: z.string(), state: z.string(), zip_code: z.string() }),
  account_status: z.enum(['Active', 'Suspended', 'Pending Verification', 'Closed']),
  payment_methods: z.array(
    z.strictObject({
      method_type: z.enum(['Credit Card', 'Debit Card', 'PayPal']),
      account_number_last_4: z.string(),
      expiration_date: z.string(),
    }),
  ),
  line_ids: z.array(z.string()),
  bill_ids: z.array(z.string()),
  /** τ²'s default (2025-01-01) is a date on a date-time field; every customer in db.toml has its own. */
  created_at: z.union([dateTime, date]),
  last_extension_date: date.nullable(),
  goodwill_credit_used_this_year: z.number(),
});
export type TelecomCustomer = z.infer<typeof telecomCustomerSchema>;

/** The agent-side tables, in τ²'s `TelecomDB` field order (the order of `model_dump`). */
export const TELECOM_AGENT_TABLES = {
  plans: telecomPlanSchema,
  customers: telecomCustomerSchema,
  lines: telecomLineSchema,
  bills: telecomBillSchema,
  devices: telecomDeviceSchema,
};

/** Key field of each agent-side table. */
export const TELECOM_AGENT_KEYS = {
  plans: 'plan_id',
  customers: 'customer_id',
  lines: 'line_id',
  bills: 'bill_id',
  devices: 'device_id',
} as const satisfies Record<keyof typeof TELECOM_AGENT_TABLES, string>;

export type TelecomAgentRecords = RecordsOf<typeof TELECOM_AGENT_TABLES>;

/** Python float fields of each agent-side record (pydantic `float`): printed with a decimal point. */
export const TELECOM_AGENT_FLOAT_FIELDS: ReadonlySet<string> = new Set([
  'data_limit_gb',
  'price_per_month',
  'data_refueling_price_per_gb',
  'data_used_gb',
  'data_refueling_gb',
  'amount',
  'total_due',
  'goodwill_credit_used_this_year',
]);

/** Date-time fields (Python `datetime`: `str()` prints them with a space, `isoformat()` with a `T`). */
export const TELECOM_AGENT_DATETIME_FIELDS: ReadonlySet<string> = new Set(['activation_date', 'last_esim_transfer_date', 'created_at']);
