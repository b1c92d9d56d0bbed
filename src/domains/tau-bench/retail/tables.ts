import { z } from 'zod';
import type { RecordsOf } from '../../../state/table-state.ts';

/**
 * The retail tables of τ-bench v1 (orders.json, products.json, users.json) and τ²-bench (db.json),
 * after τ²'s typed model (`tau2/domains/retail/data_model.py`). Used for types and for checking
 * the data; stored records are never replaced by parsed copies (key order and the float-ness of
 * numbers are τ-bench's, see ordered-json.ts and py-format.ts). Records are strict: a field the
 * schema does not know is an error.
 */

/** A shipping or user address. */
export const retailAddressSchema = z.strictObject({
  address1: z.string(),
  address2: z.string(),
  city: z.string(),
  country: z.string(),
  state: z.string(),
  zip: z.string(),
});
export type RetailAddress = z.infer<typeof retailAddressSchema>;

/** One purchasable variant of a product. */
export const retailVariantSchema = z.strictObject({
  item_id: z.string(),
  /** Option name -> value, e.g. `{"color": "blue"}`. */
  options: z.record(z.string(), z.string()),
  available: z.boolean(),
  /** A Python float in the data (written `1234.0` when whole). */
  price: z.number(),
});
export type RetailVariant = z.infer<typeof retailVariantSchema>;

/** `products` table: a product and its variants keyed by item id. */
export const retailProductSchema = z.strictObject({
  name: z.string(),
  product_id: z.string(),
  variants: z.record(z.string(), retailVariantSchema),
});
export type RetailProduct = z.infer<typeof retailProductSchema>;

/** A saved payment method, by `source`. */
export const retailPaymentMethodSchema = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('credit_card'), id: z.string(), brand: z.string(), last_four: z.string() }),
  z.strictObject({ source: z.literal('paypal'), id: z.string() }),
  /** v1 stores balances as ints until a tool rounds them; τ² as floats. */
  z.strictObject({ source: z.literal('gift_card'), id: z.string(), balance: z.number() }),
]);
export type RetailPaymentMethod = z.infer<typeof retailPaymentMethodSchema>;

/** `users` table (τ-bench v1: no `user_id` field). */
export const retailUserSchema = z.strictObject({
  name: z.strictObject({ first_name: z.string(), last_name: z.string() }),
  address: retailAddressSchema,
  email: z.string(),
  payment_methods: z.record(z.string(), retailPaymentMethodSchema),
  /** Order ids. */
  orders: z.array(z.string()),
});
export type RetailUser = z.infer<typeof retailUserSchema>;

/** `users` table of τ²-bench: each user also carries its own id. */
export const tau2RetailUserSchema = retailUserSchema.extend({ user_id: z.string() });
export type Tau2RetailUser = z.infer<typeof tau2RetailUserSchema>;

/** Order statuses: the published data has the first four, tools write the others. */
export const retailOrderStatusSchema = z.enum([
  'pending',
  'processed',
  'delivered',
  'cancelled',
  'pending (item modified)',
  'exchange requested',
  'return requested',
]);

/** Reasons `cancel_pending_order` accepts. */
export const retailCancelReasonSchema = z.enum(['no longer needed', 'ordered by mistake']);

const retailOrderFields = {
  order_id: z.string(),
  user_id: z.string(),
  address: retailAddressSchema,
  items: z.array(
    z.strictObject({
      name: z.string(),
      product_id: z.string(),
      item_id: z.string(),
      price: z.number(),
      options: z.record(z.string(), z.string()),
    }),
  ),
  status: retailOrderStatusSchema,
  fulfillments: z.array(z.strictObject({ tracking_id: z.array(z.string()), item_ids: z.array(z.string()) })),
  payment_history: z.array(
    z.strictObject({ transaction_type: z.enum(['payment', 'refund']), amount: z.number(), payment_method_id: z.string() }),
  ),
};

/** `orders` table of τ-bench v1: the cancel/exchange/return fields appear once a tool sets them. */
export const retailOrderSchema = z.strictObject({
  ...retailOrderFields,
  cancel_reason: retailCancelReasonSchema.optional(),
  exchange_items: z.array(z.string()).optional(),
  exchange_new_items: z.array(z.string()).optional(),
  exchange_payment_method_id: z.string().optional(),
  exchange_price_difference: z.number().optional(),
  return_items: z.array(z.string()).optional(),
  return_payment_method_id: z.string().optional(),
});
export type RetailOrder = z.infer<typeof retailOrderSchema>;

/** `orders` table of τ²-bench: its model's optional fields are always present, null until set (the loader fills them as `model_dump` prints them). */
export const tau2RetailOrderSchema = z.strictObject({
  ...retailOrderFields,
  cancel_reason: retailCancelReasonSchema.nullable(),
  exchange_items: z.array(z.string()).nullable(),
  exchange_new_items: z.array(z.string()).nullable(),
  exchange_payment_method_id: z.string().nullable(),
  exchange_price_difference: z.number().nullable(),
  return_items: z.array(z.string()).nullable(),
  return_payment_method_id: z.string().nullable(),
});
export type Tau2RetailOrder = z.infer<typeof tau2RetailOrderSchema>;

/** τ-bench v1 retail tables. */
export const RETAIL_TABLES = { orders: retailOrderSchema, products: retailProductSchema, users: retailUserSchema };

/** τ²-bench retail tables. */
export const TAU2_RETAIL_TABLES = { orders: tau2RetailOrderSchema, products: retailProductSchema, users: tau2RetailUserSchema };

/** The records the retail tools work on: those of either flavor (the tools serve both). */
export type RetailRecords = {
  [Table in keyof typeof RETAIL_TABLES]: RecordsOf<typeof RETAIL_TABLES>[Table] | RecordsOf<typeof TAU2_RETAIL_TABLES>[Table];
};
