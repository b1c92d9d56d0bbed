import { z } from 'zod';
import { ToolError } from '../../../errors.ts';
import { cloneJson } from '../../../schema/json.ts';
import { typedTables, type TableState } from '../../../state/table-state.ts';
import type { DomainTool } from '../../domain.ts';
import { pyDumps, pyReprString, pyRound } from '../py-format.ts';
import { calculateTool, enumString, mutableRecord, thinkTool, transferTool, type RecordFormatter, type TauWorld } from '../world.ts';
import {
  RETAIL_TABLES,
  retailCancelReasonSchema,
  type RetailAddress,
  type RetailPaymentMethod,
  type RetailProduct,
  type RetailRecords,
  type RetailVariant,
} from './tables.ts';

/**
 * τ-bench retail tools, re-implemented from the originals (tau_bench/envs/retail/tools), and the
 * τ²-bench variant (`flavor: 'tau2'`: raised, capitalised errors, `get_item_details`, no `think`,
 * and τ²'s own checks). Results are the exact strings Python prints.
 */
export type RetailFlavor = 'v1' | 'tau2';

type RetailState = TableState<RetailRecords>;
type RetailTool<Input> = DomainTool<Input, RetailRecords>;
type GiftCard = Extract<RetailPaymentMethod, { source: 'gift_card' }>;

const ORDER_ID = "The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.";
const PAYMENT_ID =
  "The payment method id to pay or receive refund for the item price difference, such as 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up from the user or order details.";
const ADDRESS_FIELDS = {
  address1: z.string().describe("The first line of the address, such as '123 Main St'."),
  address2: z.string().describe("The second line of the address, such as 'Apt 1' or ''."),
  city: z.string().describe("The city, such as 'San Francisco'."),
  state: z.string().describe("The state, such as 'CA'."),
  country: z.string().describe("The country, such as 'USA'."),
  zip: z.string().describe("The zip code, such as '12345'."),
};

/** Numbers under these keys are Python floats in the retail data (prices and amounts). */
const FLOAT_KEYS = new Set(['price', 'amount', 'exchange_price_difference']);
const TAU2_FLOAT_KEYS = new Set(['price', 'amount', 'exchange_price_difference', 'balance']);

/**
 * Retail `json.dumps` of a record. Gift-card balances are ints in the v1 data and become floats
 * once a tool has rounded them (`round(balance + 12.5, 2)`), so a balance prints as a float exactly
 * when it differs from the initial data. (τ² models balances as floats throughout.)
 */
export function retailFormatter(world: TauWorld, flavor: RetailFlavor): RecordFormatter {
  return (_state, table, key, record) => {
    if (flavor === 'tau2') return pyDumps(record, { floatKeys: TAU2_FLOAT_KEYS, keyOrder: world.keyOrder });
    if (table !== 'users' || record === null || typeof record !== 'object')
      return pyDumps(record, { floatKeys: FLOAT_KEYS, keyOrder: world.keyOrder });
    const basePms = typedTables(world.base, RETAIL_TABLES).users[key]?.payment_methods ?? {};
    const baseBalance = (id: unknown) => {
      const pm = typeof id === 'string' ? basePms[id] : undefined;
      return pm?.source === 'gift_card' ? pm.balance : undefined;
    };
    return pyDumps(record, {
      floatKeys: FLOAT_KEYS,
      keyOrder: world.keyOrder,
      isFloat: (parent, field, value) => field === 'balance' && baseBalance('id' in parent ? parent.id : undefined) !== value,
    });
  };
}

/** The retail tool list, in τ-bench's order. */
export function createRetailTools(world: TauWorld, flavor: RetailFlavor = 'v1'): DomainTool[] {
  const v1 = flavor === 'v1';
  const format = retailFormatter(world, flavor);
  // v1 returns lower-case "Error: ..." strings; τ² raises capitalised ValueErrors. Both reach the agent as "Error: <message>".
  // A function declaration, so that TypeScript knows code after a call is unreachable.
  function fail(v1Message: string, tau2Message: string = v1Message): never {
    throw new ToolError(v1 ? v1Message : tau2Message);
  }
  const order = (state: RetailState, orderId: string) => state.get('orders', orderId) ?? fail('order not found', 'Order not found');
  const paymentMethods = (state: RetailState, userId: string) =>
    (state.get('users', userId) ?? fail('user not found', 'User not found')).payment_methods;
  const isGiftCard = (pm: RetailPaymentMethod | undefined, id: string) => (v1 ? id.includes('gift_card') : pm?.source === 'gift_card');
  const dumpOrder = (state: RetailState, id: string) => format(state.untyped(), 'orders', id, state.get('orders', id));
  const pendingForChange = (status: string) => (v1 ? status === 'pending' : status.includes('pending'));
  const variantOf = (state: RetailState, productId: string, itemId: string) => {
    const product = state.get('products', productId);
    if (!v1 && !product) fail('', 'Product not found');
    const variants = product?.variants ?? {};
    const variant = Object.hasOwn(variants, itemId) ? variants[itemId] : undefined;
    if (!v1 && !variant) fail('', 'Variant not found');
    return variant;
  };
  const checkCounts = (itemIds: string[], all: string[], v1Message: (id: string) => string, tau2Message: (id: string) => string) => {
    const count = (list: string[], id: string) => list.filter((x) => x === id).length;
    for (const id of itemIds) if (count(itemIds, id) > count(all, id)) fail(v1Message(id), tau2Message(id));
  };

  // biome-ignore lint/suspicious/noExplicitAny: the list mixes tools of different inputs; each is typed by its own schema.
  const tools: RetailTool<any>[] = [
    calculateTool(flavor),
    {
      name: 'cancel_pending_order',
      description:
        "Cancel a pending order. If the order is already processed or delivered, it cannot be cancelled. The agent needs to explain the cancellation detail and ask for explicit user confirmation (yes/no) to proceed. If the user confirms, the order status will be changed to 'cancelled' and the payment will be refunded. The refund will be added to the user's gift card balance immediately if the payment was made using a gift card, otherwise the refund would take 5-7 business days to process. The function returns the order details after the cancellation.",
      kind: 'write',
      input: z.strictObject({
        order_id: z.string().describe(ORDER_ID),
        reason: enumString(
          ['no longer needed', 'ordered by mistake'],
          "The reason for cancellation, which should be either 'no longer needed' or 'ordered by mistake'.",
        ),
      }),
      execute(state, { order_id, reason }: { order_id: string; reason: string }) {
        const current = order(state, order_id);
        if (current.status !== 'pending') fail('non-pending order cannot be cancelled', 'Non-pending order cannot be cancelled');
        const cancelReason = retailCancelReasonSchema.safeParse(reason);
        if (!cancelReason.success) return fail('invalid reason', 'Invalid reason');
        const refunds: RetailRecords['orders']['payment_history'] = [];
        for (const payment of current.payment_history) {
          const paymentId = payment.payment_method_id;
          refunds.push({ transaction_type: 'refund', amount: payment.amount, payment_method_id: paymentId });
          const pms = paymentMethods(state, current.user_id);
          if (!v1 && !Object.hasOwn(pms, paymentId)) fail('', 'Payment method not found');
          if (isGiftCard(pms[paymentId], paymentId)) {
            const pm = giftCard(mutableRecord(state, 'users', current.user_id).payment_methods, paymentId);
            pm.balance = pyRound(pm.balance + payment.amount, 2);
          }
        }
        const target = mutableRecord(state, 'orders', order_id);
        target.status = 'cancelled';
        target.cancel_reason = cancelReason.data;
        target.payment_history.push(...refunds);
        return dumpOrder(state, order_id);
      },
    },
    {
      name: 'exchange_delivered_order_items',
      description:
        'Exchange items in a delivered order to new items of the same product type. For a delivered order, return or exchange can be only done once by the agent. The agent needs to explain the exchange detail and ask for explicit user confirmation (yes/no) to proceed.',
      kind: 'write',
      input: z.strictObject({
        order_id: z.string().describe(ORDER_ID),
        item_ids: z
          .array(z.string())
          .describe("The item ids to be exchanged, each such as '1008292230'. There could be duplicate items in the list."),
        new_item_ids: z
          .array(z.string())
          .describe(
            "The item ids to be exchanged for, each such as '1008292230'. There could be duplicate items in the list. Each new item id should match the item id in the same position and be of the same product.",
          ),
        payment_method_id: z.string().describe(PAYMENT_ID),
      }),
      execute(
        state,
        {
          order_id,
          item_ids,
          new_item_ids,
          payment_method_id,
        }: { order_id: string; item_ids: string[]; new_item_ids: string[]; payment_method_id: string },
      ) {
        const current = order(state, order_id);
        if (current.status !== 'delivered') fail('non-delivered order cannot be exchanged', 'Non-delivered order cannot be exchanged');
        const items = current.items;
        checkCounts(
          item_ids,
          items.map((item) => item.item_id),
          (id) => `${id} not found`,
          (id) => `Number of ${id} not found.`,
        );
        if (item_ids.length !== new_item_ids.length)
          fail('the number of items to be exchanged should match', 'The number of items to be exchanged should match.');
        let diff = 0;
        for (let i = 0; i < item_ids.length; i++) {
          const item = itemWithId(items, item_ids[i]);
          const variant = variantOf(state, item.product_id, new_item_ids[i]);
          if (!variant?.available)
            fail(`new item ${new_item_ids[i]} not found or available`, `New item ${new_item_ids[i]} not found or available`);
          diff += variant.price - item.price;
        }
        diff = pyRound(diff, 2);
        const pms = paymentMethods(state, current.user_id);
        if (!Object.hasOwn(pms, payment_method_id)) fail('payment method not found', 'Payment method not found');
        const pm = pms[payment_method_id];
        if (pm.source === 'gift_card' && pm.balance < diff)
          fail(
            'insufficient gift card balance to pay for the price difference',
            'Insufficient gift card balance to pay for the price difference',
          );
        const target = mutableRecord(state, 'orders', order_id);
        target.status = 'exchange requested';
        target.exchange_items = [...item_ids].sort();
        target.exchange_new_items = [...new_item_ids].sort();
        target.exchange_payment_method_id = payment_method_id;
        target.exchange_price_difference = diff;
        return dumpOrder(state, order_id);
      },
    },
    {
      name: 'find_user_id_by_email',
      description: 'Find user id by email. If the user is not found, the function will return an error message.',
      kind: 'read',
      input: z.strictObject({ email: z.string().describe("The email of the user, such as 'something@example.com'.") }),
      execute(state, { email }: { email: string }) {
        const wanted = pyLower(email);
        for (const [userId, user] of state.entries('users')) {
          if (pyLower(user.email) === wanted) return userId;
        }
        return fail('user not found', 'User not found');
      },
    },
    {
      name: 'find_user_id_by_name_zip',
      description:
        'Find user id by first name, last name, and zip code. If the user is not found, the function will return an error message. By default, find user id by email, and only call this function if the user is not found by email or cannot remember email.',
      kind: 'read',
      input: z.strictObject({
        first_name: z.string().describe("The first name of the customer, such as 'John'."),
        last_name: z.string().describe("The last name of the customer, such as 'Doe'."),
        zip: z.string().describe("The zip code of the customer, such as '12345'."),
      }),
      execute(state, { first_name, last_name, zip }: { first_name: string; last_name: string; zip: string }) {
        const first = pyLower(first_name);
        const last = pyLower(last_name);
        for (const [userId, user] of state.entries('users')) {
          if (pyLower(user.name.first_name) === first && pyLower(user.name.last_name) === last && user.address.zip === zip) return userId;
        }
        return fail('user not found', 'User not found');
      },
    },
    {
      name: 'get_order_details',
      description: 'Get the status and details of an order.',
      kind: 'read',
      input: z.strictObject({ order_id: z.string().describe(ORDER_ID) }),
      execute(state, { order_id }: { order_id: string }) {
        order(state, order_id);
        return dumpOrder(state, order_id);
      },
    },
    {
      name: 'get_product_details',
      description: 'Get the inventory details of a product.',
      kind: 'read',
      input: z.strictObject({
        product_id: z.string().describe("The product id, such as '6086499569'. Be careful the product id is different from the item id."),
      }),
      execute(state, { product_id }: { product_id: string }) {
        const product = state.get('products', product_id) ?? fail('product not found', 'Product not found');
        return format(state.untyped(), 'products', product_id, product);
      },
    },
    ...(v1
      ? []
      : [
          {
            name: 'get_item_details',
            description: 'Get the inventory details of an item.',
            kind: 'read',
            input: z.strictObject({
              item_id: z.string().describe("The item id, such as '6086499569'. Be careful the item id is different from the product id."),
            }),
            execute(state: RetailState, { item_id }: { item_id: string }) {
              for (const [productId, { variants }] of state.entries('products')) {
                if (Object.hasOwn(variants, item_id)) return format(state.untyped(), 'products', productId, variants[item_id]);
              }
              return fail('', 'Item not found');
            },
          } satisfies RetailTool<{ item_id: string }>,
        ]),
    {
      name: 'get_user_details',
      description: 'Get the details of a user, including their orders.',
      kind: 'read',
      input: z.strictObject({ user_id: z.string().describe("The user id, such as 'sara_doe_496'.") }),
      execute(state, { user_id }: { user_id: string }) {
        const user = state.get('users', user_id) ?? fail('user not found', 'User not found');
        return format(state.untyped(), 'users', user_id, user);
      },
    },
    {
      name: 'list_all_product_types',
      description:
        'List the name and product id of all product types. Each product type has a variety of different items with unique item ids and options. There are only 50 product types in the store.',
      kind: 'read',
      input: z.strictObject({}),
      execute(state) {
        const byName = new Map<string, string>();
        for (const product of productsInFileOrder(world, state)) byName.set(product.name, product.product_id);
        // Names are never integer-like, so a plain object keeps the sorted order.
        const names = [...byName.keys()].sort(comparePy);
        return pyDumps(Object.fromEntries(names.map((name) => [name, byName.get(name)!])));
      },
    },
    {
      name: 'modify_pending_order_address',
      description:
        'Modify the shipping address of a pending order. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.',
      kind: 'write',
      input: z.strictObject({ order_id: z.string().describe(ORDER_ID), ...ADDRESS_FIELDS }),
      execute(state, args: { order_id: string } & RetailAddress) {
        const current = order(state, args.order_id);
        if (!pendingForChange(current.status)) fail('non-pending order cannot be modified', 'Non-pending order cannot be modified');
        mutableRecord(state, 'orders', args.order_id).address = addressRecord(args, flavor);
        return dumpOrder(state, args.order_id);
      },
    },
    {
      name: 'modify_pending_order_items',
      description:
        'Modify items in a pending order to new items of the same product type. For a pending order, this function can only be called once. The agent needs to explain the exchange detail and ask for explicit user confirmation (yes/no) to proceed.',
      kind: 'write',
      input: z.strictObject({
        order_id: z.string().describe(ORDER_ID),
        item_ids: z
          .array(z.string())
          .describe("The item ids to be modified, each such as '1008292230'. There could be duplicate items in the list."),
        new_item_ids: z
          .array(z.string())
          .describe(
            "The item ids to be modified for, each such as '1008292230'. There could be duplicate items in the list. Each new item id should match the item id in the same position and be of the same product.",
          ),
        payment_method_id: z.string().describe(PAYMENT_ID),
      }),
      execute(
        state,
        {
          order_id,
          item_ids,
          new_item_ids,
          payment_method_id,
        }: { order_id: string; item_ids: string[]; new_item_ids: string[]; payment_method_id: string },
      ) {
        const current = order(state, order_id);
        if (current.status !== 'pending') fail('non-pending order cannot be modified', 'Non-pending order cannot be modified');
        const items = current.items;
        checkCounts(
          item_ids,
          items.map((item) => item.item_id),
          (id) => `${id} not found`,
          (id) => `${id} not found`,
        );
        if (item_ids.length !== new_item_ids.length)
          fail('the number of items to be exchanged should match', 'The number of items to be exchanged should match');
        let diff = 0;
        const newVariants: Readonly<RetailVariant>[] = [];
        for (let i = 0; i < item_ids.length; i++) {
          if (!v1 && item_ids[i] === new_item_ids[i]) fail('', 'The new item id should be different from the old item id');
          const item = itemWithId(items, item_ids[i]);
          const variant = variantOf(state, item.product_id, new_item_ids[i]);
          if (!variant?.available)
            fail(`new item ${new_item_ids[i]} not found or available`, `New item ${new_item_ids[i]} not found or available`);
          newVariants.push(variant);
          diff += variant.price - item.price;
        }
        const pms = paymentMethods(state, current.user_id);
        if (!Object.hasOwn(pms, payment_method_id)) fail('payment method not found', 'Payment method not found');
        const pm = pms[payment_method_id];
        if (pm.source === 'gift_card' && pm.balance < diff)
          fail('insufficient gift card balance to pay for the new item', 'Insufficient gift card balance to pay for the new item');
        const target = mutableRecord(state, 'orders', order_id);
        target.payment_history.push({ transaction_type: diff > 0 ? 'payment' : 'refund', amount: Math.abs(diff), payment_method_id });
        if (pm.source === 'gift_card') {
          const owned = giftCard(mutableRecord(state, 'users', current.user_id).payment_methods, payment_method_id);
          owned.balance = pyRound(owned.balance - diff, 2);
        }
        for (let i = 0; i < item_ids.length; i++) {
          const item = itemWithId(target.items, item_ids[i]);
          item.item_id = new_item_ids[i];
          // v1 looks the variant up again in the product of the item found now (Python's KeyError if absent); τ² assigns the
          // price and options of the last new variant to every item (its loop variable leaks).
          const variant = v1
            ? (variantOf(state, item.product_id, new_item_ids[i]) ?? keyError(new_item_ids[i]))
            : newVariants[newVariants.length - 1];
          item.price = variant.price;
          item.options = cloneJson(variant.options);
        }
        target.status = 'pending (item modified)';
        return dumpOrder(state, order_id);
      },
    },
    {
      name: 'modify_pending_order_payment',
      description:
        'Modify the payment method of a pending order. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.',
      kind: 'write',
      input: z.strictObject({ order_id: z.string().describe(ORDER_ID), payment_method_id: z.string().describe(PAYMENT_ID) }),
      execute(state, { order_id, payment_method_id }: { order_id: string; payment_method_id: string }) {
        const current = order(state, order_id);
        if (!pendingForChange(current.status)) fail('non-pending order cannot be modified', 'Non-pending order cannot be modified');
        const pms = paymentMethods(state, current.user_id);
        if (!Object.hasOwn(pms, payment_method_id)) fail('payment method not found', 'Payment method not found');
        const history = current.payment_history;
        if ((v1 ? history.length > 1 : history.length !== 1) || history[0].transaction_type !== 'payment') {
          fail('there should be exactly one payment for a pending order', 'There should be exactly one payment for a pending order');
        }
        const oldId = history[0].payment_method_id;
        if (oldId === payment_method_id)
          fail(
            'the new payment method should be different from the current one',
            'The new payment method should be different from the current one',
          );
        const amount = history[0].amount;
        const pm = pms[payment_method_id];
        if (pm.source === 'gift_card' && pm.balance < amount)
          fail('insufficient gift card balance to pay for the order', 'Insufficient gift card balance to pay for the order');
        if (!v1 && !Object.hasOwn(pms, oldId)) fail('', 'Payment method not found');
        const target = mutableRecord(state, 'orders', order_id);
        target.payment_history.push(
          { transaction_type: 'payment', amount, payment_method_id },
          { transaction_type: 'refund', amount, payment_method_id: oldId },
        );
        const ownedGiftCard = (id: string) => giftCard(mutableRecord(state, 'users', current.user_id).payment_methods, id);
        if (pm.source === 'gift_card')
          ownedGiftCard(payment_method_id).balance = pyRound(ownedGiftCard(payment_method_id).balance - amount, 2);
        if (isGiftCard(pms[oldId], oldId)) ownedGiftCard(oldId).balance = pyRound(ownedGiftCard(oldId).balance + amount, 2);
        return dumpOrder(state, order_id);
      },
    },
    {
      name: 'modify_user_address',
      description:
        'Modify the default address of a user. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.',
      kind: 'write',
      input: z.strictObject({ user_id: z.string().describe("The user id, such as 'sara_doe_496'."), ...ADDRESS_FIELDS }),
      execute(state, args: { user_id: string } & RetailAddress) {
        if (!state.has('users', args.user_id)) fail('user not found', 'User not found');
        mutableRecord(state, 'users', args.user_id).address = addressRecord(args, flavor);
        return format(state.untyped(), 'users', args.user_id, state.get('users', args.user_id));
      },
    },
    {
      name: 'return_delivered_order_items',
      description:
        "Return some items of a delivered order. The order status will be changed to 'return requested'. The agent needs to explain the return detail and ask for explicit user confirmation (yes/no) to proceed. The user will receive follow-up email for how and where to return the item.",
      kind: 'write',
      input: z.strictObject({
        order_id: z.string().describe(ORDER_ID),
        item_ids: z
          .array(z.string())
          .describe("The item ids to be returned, each such as '1008292230'. There could be duplicate items in the list."),
        payment_method_id: z.string().describe(PAYMENT_ID),
      }),
      execute(state, { order_id, item_ids, payment_method_id }: { order_id: string; item_ids: string[]; payment_method_id: string }) {
        const current = order(state, order_id);
        if (current.status !== 'delivered') fail('non-delivered order cannot be returned', 'Non-delivered order cannot be returned');
        const pms = paymentMethods(state, current.user_id);
        if (!Object.hasOwn(pms, payment_method_id)) fail('payment method not found', 'Payment method not found');
        if (!isGiftCard(pms[payment_method_id], payment_method_id) && payment_method_id !== current.payment_history[0].payment_method_id) {
          fail(
            'payment method should be either the original payment method or a gift card',
            'Payment method should be the original payment method',
          );
        }
        checkCounts(
          item_ids,
          current.items.map((item) => item.item_id),
          () => 'some item not found',
          () => 'Some item not found',
        );
        const target = mutableRecord(state, 'orders', order_id);
        target.status = 'return requested';
        target.return_items = [...item_ids].sort();
        target.return_payment_method_id = payment_method_id;
        return dumpOrder(state, order_id);
      },
    },
    ...(v1
      ? [
          thinkTool(
            'Use the tool to think about something. It will not obtain new information or change the database, but just append the thought to the log. Use it when complex reasoning or some cache memory is needed.',
          ),
        ]
      : []),
    transferTool(
      v1
        ? "Transfer the user to a human agent, with a summary of the user's issue. Only transfer if the user explicitly asks for a human agent, or if the user's issue cannot be resolved by the agent with the available tools."
        : "Transfer the user to a human agent, with a summary of the user's issue. Only transfer if\n -  the user explicitly asks for a human agent\n -  given the policy and the available tools, you cannot solve the user's issue.",
    ),
  ];
  return tools;
}

/** A new address record: τ-bench v1 builds a dict in argument order, τ² a model (country before state). */
function addressRecord(args: RetailAddress, flavor: RetailFlavor): RetailAddress {
  const { address1, address2, city, state, country, zip } = args;
  return flavor === 'v1' ? { address1, address2, city, state, country, zip } : { address1, address2, city, country, state, zip };
}

/** Python's KeyError, as τ-bench prints it: the repr of the missing key. */
function keyError(key: string): never {
  throw new ToolError(pyReprString(key));
}

/** The order item with this id (the caller checked it exists; else Python's IndexError). */
function itemWithId<Item extends { item_id: string }>(items: readonly Item[], itemId: string): Item {
  const item = items.find((x) => x.item_id === itemId);
  if (!item) throw new ToolError('list index out of range');
  return item;
}

/** A user's gift card, to change its balance: Python's KeyError when the id is missing or holds no balance. */
function giftCard(paymentMethods: Record<string, RetailPaymentMethod>, id: string): GiftCard {
  const pm = Object.hasOwn(paymentMethods, id) ? paymentMethods[id] : undefined;
  if (!pm) return keyError(id);
  if (pm.source !== 'gift_card') return keyError('balance');
  return pm;
}

/** Products in file order (Python dict order), not JavaScript's integer-key order. */
function productsInFileOrder(world: TauWorld, state: RetailState): readonly Readonly<RetailProduct>[] {
  const fileOrder = world.keyOrder.get(world.base.products);
  if (!fileOrder) return state.rows('products');
  const keys = [...fileOrder, ...state.keys('products').filter((key) => !Object.hasOwn(world.base.products, key))];
  return keys.flatMap((key) => state.get('products', key) ?? []);
}

/** Python's `str.lower()` for the texts in this data (ASCII and common Unicode letters). */
function pyLower(text: string): string {
  return text.toLowerCase();
}

/** Python string ordering (code points). */
function comparePy(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
