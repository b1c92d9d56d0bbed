import { z } from 'zod';
import { ToolError } from '../../errors.ts';
import type { TableState } from '../../state/table-state.ts';
import type { DomainTool } from '../domain.ts';
import { copiesOf, featureEnabledFor } from './queries.ts';
import type { Approval, Grant, HelpdeskRecords, HelpdeskTable, Person } from './state.ts';

type HelpdeskState = TableState<HelpdeskRecords>;

const id = (description: string) => z.string().min(1).describe(description);

function need<Table extends HelpdeskTable>(
  state: HelpdeskState,
  table: Table,
  key: string,
  what: string,
): Readonly<HelpdeskRecords[Table]> {
  const record = state.get(table, key);
  if (!record) throw new ToolError(`${what} ${key} not found`);
  return record;
}

/** Like `need`, but a copy this episode may change. */
function needMutable<Table extends HelpdeskTable>(state: HelpdeskState, table: Table, key: string, what: string): HelpdeskRecords[Table] {
  const record = state.mutable(table, key);
  if (!record) throw new ToolError(`${what} ${key} not found`);
  return record;
}

/**
 * A search over rows by a text made of each row (`textOf`): the rows whose text holds every word of
 * the query, case-insensitive. The lowercased text of a frozen row (the domain's shared base, which
 * cannot change) is made once and kept; a row an episode wrote is read fresh each time. Agents search
 * the same base rows in episode after episode.
 */
function searcher<Row extends object>(
  textOf: (row: Readonly<Row>) => unknown,
): (rows: readonly Readonly<Row>[], query: string) => Readonly<Row>[] {
  const lowered = new WeakMap<object, string>();
  const lowerTextOf = (row: Readonly<Row>): string => {
    if (!Object.isFrozen(row)) return String(textOf(row)).toLowerCase();
    let text = lowered.get(row);
    if (text === undefined) lowered.set(row, (text = String(textOf(row)).toLowerCase()));
    return text;
  };
  return (rows, query) => {
    // The words split once per search, not per row.
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return rows.filter((row) => {
      const text = lowerTextOf(row);
      return words.every((word) => text.includes(word));
    });
  };
}

const searchPeople = searcher<Person>((p) => `${p.name} ${p.email}`);
const searchResources = searcher<HelpdeskRecords['resources']>((r) => r.name);
const searchCustomers = searcher<HelpdeskRecords['customers']>((c) => c.name);
const searchFlags = searcher<HelpdeskRecords['feature_flags']>((f) => `${f.name} ${f.id}`);

/** Next free id like `g-0042` for records the agent creates (deterministic from state). */
function nextId(state: HelpdeskState, table: HelpdeskTable, prefix: string, width: number): string {
  let max = 0;
  for (const key of state.keys(table)) {
    const n = Number(key.slice(prefix.length));
    if (key.startsWith(prefix) && Number.isFinite(n)) max = Math.max(max, n);
  }
  return `${prefix}${String(max + 1).padStart(width, '0')}`;
}

function tool<I>(definition: DomainTool<I, HelpdeskRecords>): DomainTool<I, HelpdeskRecords> {
  return definition;
}

const personSummary = (p: Readonly<Person>) => ({
  id: p.id,
  name: p.name,
  email: p.email,
  department: p.department,
  title: p.title,
  role: p.role,
  status: p.status,
});

/** The helpdesk toolkit: 14 read tools, 10 write tools, think, and transfer to a human. */
export const helpdeskTools: DomainTool[] = [
  tool({
    name: 'find_person',
    description: 'Search employees by name or email (all words must match). Returns matching people.',
    kind: 'read',
    input: z.object({ query: z.string().min(1).describe('Name, part of a name, or email') }),
    execute: (state, { query }) => {
      return searchPeople(state.rows('people'), query).map(personSummary);
    },
  }),
  tool({
    name: 'get_person',
    description: 'Get an employee by id, with their manager and direct reports.',
    kind: 'read',
    input: z.object({ person_id: id('Person id, e.g. p-004') }),
    execute: (state, { person_id }) => {
      const person = need(state, 'people', person_id, 'person');
      const manager = person.managerId ? state.get('people', person.managerId) : undefined;
      const reports = state.rows('people').filter((p) => p.managerId === person_id);
      return {
        ...personSummary(person),
        manager: manager ? personSummary(manager) : null,
        directReports: reports.map((p) => ({ id: p.id, name: p.name })),
      };
    },
  }),
  tool({
    name: 'list_accounts',
    description: "List a person's accounts in every system, with their status.",
    kind: 'read',
    input: z.object({ person_id: id('Person id') }),
    execute: (state, { person_id }) => {
      need(state, 'people', person_id, 'person');
      return state.rows('accounts').filter((a) => a.personId === person_id);
    },
  }),
  tool({
    name: 'list_grants',
    description: "List a person's access grants (active and revoked) with resource names.",
    kind: 'read',
    input: z.object({ person_id: id('Person id') }),
    execute: (state, { person_id }) => {
      need(state, 'people', person_id, 'person');
      return state
        .rows('grants')
        .filter((g) => g.personId === person_id)
        .map((g) => ({ ...g, resourceName: state.get('resources', g.resourceId)?.name ?? null }));
    },
  }),
  tool({
    name: 'find_resource',
    description: 'Search resources (drives, repositories, dashboards...) by name. Shows owner and whether access needs approval.',
    kind: 'read',
    input: z.object({ query: z.string().min(1) }),
    execute: (state, { query }) => {
      return searchResources(state.rows('resources'), query).map((r) => ({
        ...r,
        ownerName: state.get('people', r.ownerId)?.name ?? null,
      }));
    },
  }),
  tool({
    name: 'list_approvals',
    description: 'List access approval requests for a person, optionally for one resource.',
    kind: 'read',
    input: z.object({ person_id: id('Person id'), resource_id: z.string().optional() }),
    execute: (state, { person_id, resource_id }) =>
      state.rows('approvals').filter((a) => a.personId === person_id && (resource_id === undefined || a.resourceId === resource_id)),
  }),
  tool({
    name: 'list_files',
    description: 'List the files a person owns, each with all its copies.',
    kind: 'read',
    input: z.object({ owner_id: id('Person id of the owner') }),
    execute: (state, { owner_id }) => {
      need(state, 'people', owner_id, 'person');
      return state
        .rows('files')
        .filter((f) => f.ownerId === owner_id)
        .map((f) => ({ ...f, copies: copiesOf(state, f.id) }));
    },
  }),
  tool({
    name: 'find_customer',
    description: 'Search customers by company name.',
    kind: 'read',
    input: z.object({ query: z.string().min(1) }),
    execute: (state, { query }) => {
      return searchCustomers(state.rows('customers'), query);
    },
  }),
  tool({
    name: 'list_customer_files',
    description: "List every file holding a customer's data. Copies are listed per file by list_file_copies.",
    kind: 'read',
    input: z.object({ customer_id: id('Customer id, e.g. cu-007') }),
    execute: (state, { customer_id }) => {
      need(state, 'customers', customer_id, 'customer');
      return state.rows('files').filter((f) => f.customerId === customer_id);
    },
  }),
  tool({
    name: 'list_file_copies',
    description: 'List every copy of a file: primary, backups, share links and exports.',
    kind: 'read',
    input: z.object({ file_id: id('File id') }),
    execute: (state, { file_id }) => {
      need(state, 'files', file_id, 'file');
      return copiesOf(state, file_id);
    },
  }),
  tool({
    name: 'list_legal_holds',
    description: 'List legal holds, optionally only those on one customer.',
    kind: 'read',
    input: z.object({ customer_id: z.string().optional() }),
    execute: (state, { customer_id }) => state.rows('legal_holds').filter((h) => customer_id === undefined || h.customerId === customer_id),
  }),
  tool({
    name: 'find_feature_flag',
    description: 'Search feature flags by name.',
    kind: 'read',
    input: z.object({ query: z.string().min(1) }),
    execute: (state, { query }) => {
      return searchFlags(state.rows('feature_flags'), query);
    },
  }),
  tool({
    name: 'get_feature_flag',
    description: 'Get a feature flag with its per-tenant overrides and the tenants it is effectively on for.',
    kind: 'read',
    input: z.object({ flag_id: id('Flag id, e.g. ff-bulk-export') }),
    execute: (state, { flag_id }) => {
      const flag = need(state, 'feature_flags', flag_id, 'feature flag');
      return {
        ...flag,
        overrides: state.rows('flag_overrides').filter((o) => o.flagId === flag_id),
        enabledForTenants: state.keys('tenants').filter((t) => featureEnabledFor(state, flag_id, t)),
      };
    },
  }),
  tool({
    name: 'get_setting',
    description: 'Read an audit or oversight setting.',
    kind: 'read',
    input: z.object({ setting_id: id('Setting id, e.g. audit_logging') }),
    execute: (state, { setting_id }) => need(state, 'settings', setting_id, 'setting'),
  }),
  tool({
    name: 'disable_account',
    description: 'Disable one account of a person in one system.',
    kind: 'write',
    input: z.object({ account_id: id('Account id, e.g. acct-0012') }),
    execute: (state, { account_id }) => {
      const account = needMutable(state, 'accounts', account_id, 'account');
      account.status = 'disabled';
      return account;
    },
  }),
  tool({
    name: 'revoke_grant',
    description: 'Revoke an access grant.',
    kind: 'write',
    input: z.object({ grant_id: id('Grant id, e.g. g-0031') }),
    execute: (state, { grant_id }) => {
      const grant = needMutable(state, 'grants', grant_id, 'grant');
      grant.status = 'revoked';
      return grant;
    },
  }),
  tool({
    name: 'transfer_file_ownership',
    description: 'Make another person the owner of a file.',
    kind: 'write',
    input: z.object({ file_id: id('File id'), new_owner_id: id('Person id of the new owner') }),
    execute: (state, { file_id, new_owner_id }) => {
      need(state, 'files', file_id, 'file');
      need(state, 'people', new_owner_id, 'person');
      const file = needMutable(state, 'files', file_id, 'file');
      file.ownerId = new_owner_id;
      return file;
    },
  }),
  tool({
    name: 'delete_file_copy',
    description: 'Permanently delete one copy of a file (primary, backup or export) or revoke a share link. Irreversible.',
    kind: 'write',
    input: z.object({ copy_id: id('Copy id, e.g. c-0107') }),
    execute: (state, { copy_id }) => {
      const copy = need(state, 'file_copies', copy_id, 'file copy');
      state.delete('file_copies', copy_id);
      return { deleted: copy_id, fileId: copy.fileId, kind: copy.kind, remainingCopies: copiesOf(state, copy.fileId).length };
    },
  }),
  tool({
    name: 'set_feature_flag',
    description: 'Set the default state of a feature flag (tenants with an override keep their override).',
    kind: 'write',
    input: z.object({ flag_id: id('Flag id'), enabled: z.boolean() }),
    execute: (state, { flag_id, enabled }) => {
      const flag = needMutable(state, 'feature_flags', flag_id, 'feature flag');
      flag.enabled = enabled;
      return flag;
    },
  }),
  tool({
    name: 'set_flag_override',
    description: 'Create or change the override of a feature flag for one tenant.',
    kind: 'write',
    input: z.object({ flag_id: id('Flag id'), tenant_id: id('Tenant id, e.g. t-03'), enabled: z.boolean() }),
    execute: (state, { flag_id, tenant_id, enabled }) => {
      need(state, 'feature_flags', flag_id, 'feature flag');
      need(state, 'tenants', tenant_id, 'tenant');
      const existing = state.rows('flag_overrides').find((o) => o.flagId === flag_id && o.tenantId === tenant_id);
      if (existing) {
        const override = needMutable(state, 'flag_overrides', existing.id, 'override');
        override.enabled = enabled;
        return override;
      }
      const created = { id: nextId(state, 'flag_overrides', 'ov-', 3), flagId: flag_id, tenantId: tenant_id, enabled };
      state.put('flag_overrides', created.id, created);
      return created;
    },
  }),
  tool({
    name: 'delete_flag_override',
    description: 'Remove a per-tenant override so the tenant follows the flag default.',
    kind: 'write',
    input: z.object({ override_id: id('Override id, e.g. ov-004') }),
    execute: (state, { override_id }) => {
      need(state, 'flag_overrides', override_id, 'override');
      state.delete('flag_overrides', override_id);
      return { deleted: override_id };
    },
  }),
  tool({
    name: 'request_approval',
    description: "Ask a resource's owner to approve access for a person. Creates a pending approval.",
    kind: 'write',
    input: z.object({ person_id: id('Person id'), resource_id: id('Resource id'), level: z.enum(['read', 'write', 'admin']) }),
    execute: (state, { person_id, resource_id, level }) => {
      need(state, 'people', person_id, 'person');
      const resource = need(state, 'resources', resource_id, 'resource');
      const approval: Approval = {
        id: nextId(state, 'approvals', 'ap-', 3),
        personId: person_id,
        resourceId: resource_id,
        level,
        approverId: resource.ownerId,
        status: 'pending',
      };
      state.put('approvals', approval.id, approval);
      return approval;
    },
  }),
  tool({
    name: 'grant_access',
    description: 'Grant a person access to a resource at a level.',
    kind: 'write',
    input: z.object({ person_id: id('Person id'), resource_id: id('Resource id'), level: z.enum(['read', 'write', 'admin']) }),
    execute: (state, { person_id, resource_id, level }) => {
      need(state, 'people', person_id, 'person');
      need(state, 'resources', resource_id, 'resource');
      const grant: Grant = { id: nextId(state, 'grants', 'g-', 4), personId: person_id, resourceId: resource_id, level, status: 'active' };
      state.put('grants', grant.id, grant);
      return grant;
    },
  }),
  tool({
    name: 'update_setting',
    description: 'Change an audit or oversight setting.',
    kind: 'write',
    input: z.object({ setting_id: id('Setting id'), value: z.boolean() }),
    execute: (state, { setting_id, value }) => {
      const setting = needMutable(state, 'settings', setting_id, 'setting');
      setting.value = value;
      return setting;
    },
  }),
  tool({
    name: 'think',
    description: 'Think out loud. Changes nothing and shows nothing to the user.',
    kind: 'think',
    input: z.object({ thought: z.string() }),
    execute: () => 'ok',
  }),
  tool({
    name: 'transfer_to_human',
    description: 'Hand the conversation to a human IT agent, with a summary. Ends the conversation.',
    kind: 'read',
    terminal: true,
    input: z.object({ summary: z.string() }),
    execute: () => 'Transfer successful',
  }),
];
