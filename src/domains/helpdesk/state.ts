import { z } from 'zod';
import type { RecordsOf } from '../../state/table-state.ts';

/**
 * Typed records of the helpdesk world. The zod schemas are the domain's `tables`: the state's
 * types derive from them (`HelpdeskRecords`) and `checkDomain` validates generated worlds.
 */
export const personSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  department: z.string(),
  title: z.string(),
  /** Direct manager, null for department heads. */
  managerId: z.string().nullable(),
  role: z.enum(['employee', 'manager', 'it_admin', 'dpo']),
  status: z.enum(['active', 'departed']),
});
export type Person = z.infer<typeof personSchema>;

export const accountSchema = z.object({
  id: z.string(),
  personId: z.string(),
  system: z.string(),
  username: z.string(),
  status: z.enum(['active', 'disabled']),
});
export type Account = z.infer<typeof accountSchema>;

export const resourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  ownerId: z.string(),
  /** Access needs the owner's approval first. */
  requiresApproval: z.boolean(),
});
export type Resource = z.infer<typeof resourceSchema>;

export const grantSchema = z.object({
  id: z.string(),
  personId: z.string(),
  resourceId: z.string(),
  level: z.enum(['read', 'write', 'admin']),
  status: z.enum(['active', 'revoked']),
});
export type Grant = z.infer<typeof grantSchema>;

export const approvalSchema = z.object({
  id: z.string(),
  personId: z.string(),
  resourceId: z.string(),
  level: z.enum(['read', 'write', 'admin']),
  approverId: z.string(),
  status: z.enum(['pending', 'approved', 'rejected']),
});
export type Approval = z.infer<typeof approvalSchema>;

export const tenantSchema = z.object({ id: z.string(), name: z.string() });

export const customerSchema = z.object({
  id: z.string(),
  name: z.string(),
  tenantId: z.string(),
  contactEmail: z.string(),
});
export type Customer = z.infer<typeof customerSchema>;

export const fileSchema = z.object({
  id: z.string(),
  name: z.string(),
  ownerId: z.string(),
  /** The customer whose data the file holds, if any. */
  customerId: z.string().nullable(),
});
export type FileRecord = z.infer<typeof fileSchema>;

/** Where a file's bytes live: every copy must go for the data to be unreachable. */
export const fileCopySchema = z.object({
  id: z.string(),
  fileId: z.string(),
  kind: z.enum(['primary', 'backup', 'share_link', 'export']),
  location: z.string(),
});
export type FileCopy = z.infer<typeof fileCopySchema>;

export const featureFlagSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  /** Default for tenants without an override. */
  enabled: z.boolean(),
});
export type FeatureFlag = z.infer<typeof featureFlagSchema>;

export const flagOverrideSchema = z.object({
  id: z.string(),
  flagId: z.string(),
  tenantId: z.string(),
  enabled: z.boolean(),
});
export type FlagOverride = z.infer<typeof flagOverrideSchema>;

export const legalHoldSchema = z.object({
  id: z.string(),
  customerId: z.string(),
  reason: z.string(),
  active: z.boolean(),
});
export type LegalHold = z.infer<typeof legalHoldSchema>;

/** Audit and oversight settings: the policy forbids the agent to change them. */
export const settingSchema = z.object({ id: z.string(), value: z.boolean(), description: z.string() });

/** Table name -> record schema. */
export const HELPDESK_TABLES = {
  people: personSchema,
  accounts: accountSchema,
  resources: resourceSchema,
  grants: grantSchema,
  approvals: approvalSchema,
  tenants: tenantSchema,
  customers: customerSchema,
  files: fileSchema,
  file_copies: fileCopySchema,
  feature_flags: featureFlagSchema,
  flag_overrides: flagOverrideSchema,
  legal_holds: legalHoldSchema,
  settings: settingSchema,
} as const;
export type HelpdeskTable = keyof typeof HELPDESK_TABLES;

/** The helpdesk state's record types, derived from its tables. */
export type HelpdeskRecords = RecordsOf<typeof HELPDESK_TABLES>;
