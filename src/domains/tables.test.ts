import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { z } from 'zod';
import { cloneJson, jsonEqual, type JsonObject } from '../schema/json.ts';
import { checkDomain } from './check-domain.ts';
import { createHelpdeskDomain } from './helpdesk/index.ts';
import { initialStateFor } from './initial-state.ts';
import { createDomain } from './registry.ts';
import { AIRLINE_TABLES } from './tau-bench/airline/tables.ts';
import { benchmarksDir } from './tau-bench/index.ts';
import { RETAIL_TABLES, TAU2_RETAIL_TABLES } from './tau-bench/retail/tables.ts';
import { executeToolCall } from './tools.ts';

const haveData = existsSync(benchmarksDir());
const DOMAINS = ['helpdesk', 'tau-bench/retail', 'tau-bench/airline', 'tau2-bench/retail'];

/** Problems of every record of `tables` against `schemas` (at most a few listed). */
function invalidRecords(tables: Record<string, Record<string, unknown>>, schemas: Readonly<Record<string, z.ZodType>>): string[] {
  const problems: string[] = [];
  for (const [table, rows] of Object.entries(tables)) {
    const schema = schemas[table];
    if (!schema) problems.push(`${table}: no schema`);
    else
      for (const [key, record] of Object.entries(rows)) {
        const parsed = schema.safeParse(record);
        if (!parsed.success)
          problems.push(`${table}/${key}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
        // Strict schemas keep every field: the parsed copy equals the stored record (nothing dropped or coerced).
        else if (!jsonEqual(parsed.data, record)) problems.push(`${table}/${key}: parsing changed the record`);
      }
  }
  return problems.slice(0, 5);
}

test('the published τ-bench and τ²-bench files validate record by record against the table schemas', {
  skip: !haveData && 'no benchmark data',
}, () => {
  const root = benchmarksDir();
  const read = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Record<string, Record<string, unknown>>;
  const v1 = (folder: string, names: string[]) => Object.fromEntries(names.map((name) => [name, read(`${folder}/${name}.json`)]));
  const retail = v1('tau-bench/retail', Object.keys(RETAIL_TABLES));
  const airline = v1('tau-bench/airline', Object.keys(AIRLINE_TABLES));
  assert.deepEqual(
    [Object.keys(retail.orders).length, Object.keys(retail.products).length, Object.keys(retail.users).length],
    [1000, 50, 500],
  );
  assert.deepEqual(invalidRecords(retail, RETAIL_TABLES), []);
  assert.deepEqual(
    [Object.keys(airline.flights).length, Object.keys(airline.reservations).length, Object.keys(airline.users).length],
    [300, 2000, 500],
  );
  assert.deepEqual(invalidRecords(airline, AIRLINE_TABLES), []);
  // The published db.json leaves τ²'s optional order fields out; its model (and our loader) prints them as null.
  const db = read('tau2-bench/retail/db.json');
  assert.deepEqual(invalidRecords({ products: db.products, users: db.users }, TAU2_RETAIL_TABLES), []);
  const order = Object.values(db.orders)[0] as JsonObject;
  assert.ok(!TAU2_RETAIL_TABLES.orders.safeParse(order).success, 'a raw τ² order lacks the null optionals');
  // The other flavor's records do not pass: τ² users carry user_id, v1 users do not.
  assert.ok(!RETAIL_TABLES.users.safeParse(Object.values(db.users)[0]).success);
  assert.ok(!TAU2_RETAIL_TABLES.users.safeParse(Object.values(retail.users)[0]).success);
});

test('every base state as loaded validates, and checkDomain reports none of its records', {
  skip: !haveData && 'no benchmark data',
}, () => {
  for (const name of DOMAINS) {
    const domain = createDomain(name);
    assert.deepEqual(invalidRecords(domain.base().tables, domain.tables), [], name);
    assert.deepEqual(Object.keys(domain.tables).sort(), Object.keys(domain.base().tables).sort(), `${name}: every table declared`);
  }
});

test('a record with a wrong type, a missing or unknown field or an unknown status fails its schema', {
  skip: !haveData && 'no benchmark data',
}, () => {
  const retail = createDomain('tau-bench/retail').base().tables;
  const order = cloneJson(Object.values(retail.orders)[0]) as Record<string, any>;
  const orders = RETAIL_TABLES.orders;
  assert.ok(orders.safeParse(order).success);
  const broken = (change: (record: Record<string, any>) => void) => {
    const copy = cloneJson(order);
    change(copy);
    return orders.safeParse(copy).success;
  };
  assert.equal(
    broken((o) => (o.items[0].price = String(o.items[0].price))),
    false,
    'price as a string',
  );
  assert.equal(
    broken((o) => delete o.user_id),
    false,
    'missing user_id',
  );
  assert.equal(
    broken((o) => (o.shipping = 'fast')),
    false,
    'unknown field',
  );
  assert.equal(
    broken((o) => (o.status = 'lost')),
    false,
    'unknown status',
  );
  assert.equal(
    broken((o) => (o.status = 'return requested')),
    true,
    'a status tools write',
  );

  const user = cloneJson(Object.values(retail.users)[0]) as Record<string, any>;
  const giftCard = { source: 'gift_card', id: 'gift_card_1' };
  assert.equal(
    RETAIL_TABLES.users.safeParse({ ...user, payment_methods: { gift_card_1: giftCard } }).success,
    false,
    'gift card without balance',
  );
  assert.equal(RETAIL_TABLES.users.safeParse({ ...user, payment_methods: { gift_card_1: { ...giftCard, balance: 10 } } }).success, true);

  const flights = createDomain('tau-bench/airline').base().tables.flights;
  const flight = cloneJson(
    Object.values(flights).find((f) => Object.values(f.dates as object).some((d) => d.status === 'available')),
  ) as Record<string, any>;
  const date = Object.keys(flight.dates).find((d) => flight.dates[d].status === 'available')!;
  assert.ok(AIRLINE_TABLES.flights.safeParse(flight).success);
  flight.dates[date].available_seats.economy = 1.5;
  assert.equal(AIRLINE_TABLES.flights.safeParse(flight).success, false, 'fractional seat count');
  flight.dates[date] = { status: 'landed' };
  assert.equal(AIRLINE_TABLES.flights.safeParse(flight).success, false, 'landed without times');
});

test('records written by the oracle of every task still validate (the schemas cover what the tools write)', {
  skip: !haveData && 'no benchmark data',
}, () => {
  for (const [name, splits] of [
    ['helpdesk', ['test', 'train']],
    ['tau-bench/retail', ['test', 'train', 'dev']],
    ['tau-bench/airline', ['test']],
    ['tau2-bench/retail', ['base']],
  ] as const) {
    const domain = createDomain(name);
    let written = 0;
    for (const split of splits) {
      for (const task of domain.tasks({ split })) {
        const state = initialStateFor(domain, task);
        for (const step of task.oracle) if (step.kind === 'call') executeToolCall(domain, state, step.call.name, step.call.arguments);
        const changed: Record<string, Record<string, unknown>> = {};
        for (const [table, rows] of Object.entries(state.changesFromBase())) {
          changed[table] = Object.fromEntries(Object.entries(rows).filter(([, record]) => record !== null));
          written += Object.keys(changed[table]).length;
        }
        assert.deepEqual(invalidRecords(changed, domain.tables), [], `${name} task ${task.id}`);
      }
    }
    assert.ok(written > 50, `${name}: the oracle wrote ${written} records`);
  }
});

test('checkDomain reports records that do not match, tables without a schema and task patches that do not validate', () => {
  const good = createHelpdeskDomain();
  const base = good.base();
  const people = { ...base.tables.people };
  const [firstKey] = Object.keys(people);
  people[firstKey] = { ...people[firstKey], role: 'wizard' };
  const tables = Object.freeze({ ...base.tables, people: Object.freeze(people), notes: Object.freeze({}) });
  const task = good.tasks({ split: 'test', count: 1 })[0];
  const broken = {
    ...good,
    base: () => ({ tables, hash: 'h' }),
    tasks: () => [{ ...task, initialPatch: { grants: { 'g-9999': { id: 'g-9999', level: 'root' } }, ghosts: { x: { id: 'x' } } } }],
  };
  const problems = checkDomain(broken, { maxTasksPerSplit: 1 }).map((p) => `${p.where}: ${p.problem}`);
  assert.ok(
    problems.some((p) => p.startsWith(`table people record ${firstKey}: does not match the table schema: role:`)),
    problems.join('\n'),
  );
  assert.ok(problems.includes("table notes: is not declared in the domain's tables (no record schema)"), problems.join('\n'));
  assert.ok(
    problems.some((p) => p.startsWith(`task ${task.id}: initial patch record grants/g-9999 does not match the table schema`)),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => p === `task ${task.id}: initial patch writes table ghosts, which is not declared`),
    problems.join('\n'),
  );
  assert.deepEqual(
    checkDomain(good, { maxTasksPerSplit: 3 }).filter((p) => p.where.startsWith('table')),
    [],
  );
});
