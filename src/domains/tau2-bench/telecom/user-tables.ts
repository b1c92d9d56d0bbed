import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { GroundworkError } from '../../../errors.ts';
import type { JsonObject } from '../../../schema/json.ts';
import type { RecordsOf, TableState, Tables } from '../../../state/table-state.ts';
import { formatZodIssues } from '../../tools.ts';

/**
 * The user side of τ²-bench telecom: the simulated user's phone and surroundings (τ²'s
 * `TelecomUserDB`, loaded from `user_db.toml`). τ²'s database is two nested models, `device` and
 * `surroundings`; here each is one record of its own table, holding exactly the fields of τ²'s
 * pydantic model in field order with every default filled, so that `userTau2Dump` is τ²'s
 * `user_tools.db.model_dump()` (enums as their values).
 */

export const SIM_STATUSES = ['active', 'missing', 'locked_pin', 'locked_puk'] as const;
export const NETWORK_TECHNOLOGIES = ['none', '2G', '3G', '4G', '5G'] as const;
export const NETWORK_MODE_PREFERENCES = ['4g_5g_preferred', '4g_only', '3g_only', '2g_only'] as const;
export const SIGNAL_STRENGTHS = ['none', 'poor', 'fair', 'good', 'excellent'] as const;
export const PERFORMANCE_LEVELS = ['unknown', 'poor', 'fair', 'good', 'excellent'] as const;
export const NETWORK_STATUSES = ['connected', 'searching', 'no_service', 'emergency_only'] as const;
export const APN_NAMES = ['internet', 'broken'] as const;

export type SimStatus = (typeof SIM_STATUSES)[number];
export type NetworkTechnology = (typeof NETWORK_TECHNOLOGIES)[number];
export type NetworkModePreference = (typeof NETWORK_MODE_PREFERENCES)[number];
export type SignalStrength = (typeof SIGNAL_STRENGTHS)[number];
export type PerformanceLevel = (typeof PERFORMANCE_LEVELS)[number];
export type NetworkStatus = (typeof NETWORK_STATUSES)[number];

/** τ²'s `APNSettings`: the active access point configuration. */
export const apnSettingsSchema = z.strictObject({
  apn_name: z.enum(APN_NAMES),
  reset_at_reboot: z.boolean(),
  mms_apn: z.string().nullable(),
  mmsc_url: z.string().nullable(),
  mms_proxy: z.string().nullable(),
  mms_port: z.number().int().nullable(),
});
export type ApnSettings = z.infer<typeof apnSettingsSchema>;

/** τ²'s `APNSettings()` defaults (what a reboot after `reset_apn_settings` restores). */
export function defaultApnSettings(): ApnSettings {
  return {
    apn_name: 'internet',
    reset_at_reboot: false,
    mms_apn: 'mms',
    mmsc_url: 'http://mms.carrier.com/mms/wapenc',
    mms_proxy: null,
    mms_port: null,
  };
}

/** τ²'s `VpnDetails`. */
export const vpnDetailsSchema = z.strictObject({
  server_address: z.string().nullable(),
  protocol: z.string().nullable(),
  server_performance: z.enum(PERFORMANCE_LEVELS),
});
export type VpnDetails = z.infer<typeof vpnDetailsSchema>;

/** τ²'s `AppPermissions`, in field order (the order permissions are listed in tool outputs). */
export const APP_PERMISSIONS = ['sms', 'storage', 'phone', 'network'] as const;
export type AppPermission = (typeof APP_PERMISSIONS)[number];
export const appPermissionsSchema = z.strictObject({ sms: z.boolean(), storage: z.boolean(), phone: z.boolean(), network: z.boolean() });

export const appStatusSchema = z.strictObject({ app_name: z.string(), permissions: appPermissionsSchema });
export type AppStatus = z.infer<typeof appStatusSchema>;

/** `user_device` table (one record, key `device`): τ²'s `MockPhoneAttributes`. */
export const phoneDeviceSchema = z.strictObject({
  sim_card_status: z.enum(SIM_STATUSES),
  sim_card_missing: z.boolean(),
  airplane_mode: z.boolean(),
  network_signal_strength: z.enum(SIGNAL_STRENGTHS),
  network_technology_connected: z.enum(NETWORK_TECHNOLOGIES),
  network_connection_status: z.enum(NETWORK_STATUSES),
  battery_level: z.number().int(),
  data_enabled: z.boolean(),
  roaming_enabled: z.boolean(),
  network_mode_preference: z.enum(NETWORK_MODE_PREFERENCES),
  active_apn_settings: apnSettingsSchema,
  wifi_enabled: z.boolean(),
  wifi_connected: z.boolean(),
  wifi_ssid: z.string().nullable(),
  wifi_signal_strength: z.enum(SIGNAL_STRENGTHS),
  wifi_calling_enabled: z.boolean(),
  wifi_calling_mms_over_wifi: z.boolean(),
  data_saver_mode: z.boolean(),
  vpn_enabled_setting: z.boolean(),
  vpn_connected: z.boolean(),
  vpn_details: vpnDetailsSchema.nullable(),
  /** App name -> status, in insertion order (the order `check_installed_apps` lists). */
  app_statuses: z.record(z.string(), appStatusSchema),
});
export type PhoneDevice = z.infer<typeof phoneDeviceSchema>;

/** A payment request the agent sent to the phone (τ²'s `PaymentRequest`; `amount_due` is a Python float). */
export const paymentRequestSchema = z.strictObject({ bill_id: z.string(), amount_due: z.number(), paid: z.boolean() });
export type PaymentRequest = z.infer<typeof paymentRequestSchema>;

/** `user_surroundings` table (one record, key `surroundings`): τ²'s `UserSurroundings`. */
export const userSurroundingsSchema = z.strictObject({
  name: z.string().nullable(),
  phone_number: z.string().nullable(),
  is_abroad: z.boolean(),
  roaming_allowed: z.boolean(),
  /** Signal of each network technology where the user is (keys `2G`..`5G`). */
  signal_strength: z.partialRecord(z.enum(NETWORK_TECHNOLOGIES), z.enum(SIGNAL_STRENGTHS)),
  mobile_data_usage_exceeded: z.boolean(),
  line_active: z.boolean(),
  payment_request: paymentRequestSchema.nullable(),
});
export type UserSurroundings = z.infer<typeof userSurroundingsSchema>;

/**
 * `user_vpn_profile` table (one record, key `default`): the VPN the phone connects to. τ² keeps it
 * as one object shared by every connection (`TelecomUserTools.default_vpn_details`), so
 * `break_vpn`, which degrades the connected VPN, degrades every later connection too. Not part of
 * τ²'s user database (left out of `userTau2Dump`); it starts as a fresh τ² process has it.
 */
export const vpnProfileSchema = vpnDetailsSchema;

export const TELECOM_USER_TABLES = {
  user_device: phoneDeviceSchema,
  user_surroundings: userSurroundingsSchema,
  user_vpn_profile: vpnProfileSchema,
};
export type TelecomUserRecords = RecordsOf<typeof TELECOM_USER_TABLES>;

/** The user side's table names (`Domain.user.tables`). */
export const TELECOM_USER_TABLE_NAMES = Object.keys(TELECOM_USER_TABLES) as (keyof typeof TELECOM_USER_TABLES)[];

/** Record keys of the one-record user tables. */
export const DEVICE_KEY = 'device';
export const SURROUNDINGS_KEY = 'surroundings';
export const VPN_PROFILE_KEY = 'default';

/** τ²'s `TelecomUserTools.default_vpn_details` as a fresh process has it. */
export function defaultVpnProfile(): VpnDetails {
  return { server_address: '192.168.1.1', protocol: 'OpenVPN', server_performance: 'excellent' };
}

/**
 * The user tables from the parsed `user_db.toml` (or any object of τ²'s `TelecomUserDB` shape):
 * pydantic's defaults filled in for every field the file leaves out, then checked. A nested model
 * given partly keeps its own defaults; `app_statuses` given replaces the default apps.
 */
export function telecomUserTables(data: unknown): Tables {
  const root = asObject(data, 'user database');
  const deviceIn = asObject(root.device ?? {}, 'device');
  const surroundingsIn = asObject(root.surroundings ?? {}, 'surroundings');
  const device: JsonObject = {
    sim_card_status: 'active',
    sim_card_missing: false,
    airplane_mode: false,
    network_signal_strength: 'good',
    network_technology_connected: '5G',
    network_connection_status: 'connected',
    battery_level: 80,
    data_enabled: true,
    roaming_enabled: false,
    network_mode_preference: '4g_5g_preferred',
    active_apn_settings: { ...defaultApnSettings(), ...asObject(deviceIn.active_apn_settings ?? {}, 'active_apn_settings') },
    wifi_enabled: false,
    wifi_connected: false,
    wifi_ssid: null,
    wifi_signal_strength: 'none',
    wifi_calling_enabled: false,
    wifi_calling_mms_over_wifi: false,
    data_saver_mode: false,
    vpn_enabled_setting: false,
    vpn_connected: false,
    vpn_details: null,
    app_statuses: {
      messaging: { app_name: 'messaging', permissions: { sms: true, storage: true, phone: true, network: false } },
      browser: { app_name: 'browser', permissions: { sms: false, storage: true, phone: false, network: true } },
    },
  };
  for (const [field, value] of Object.entries(deviceIn)) {
    if (field === 'active_apn_settings') continue;
    if (field === 'vpn_details' && value !== null)
      device.vpn_details = { server_address: null, protocol: null, server_performance: 'unknown', ...asObject(value, 'vpn_details') };
    else if (field === 'app_statuses') {
      const apps: JsonObject = {};
      for (const [name, app] of Object.entries(asObject(value, 'app_statuses'))) {
        const status = asObject(app, `app_statuses.${name}`);
        const permissions = asObject(status.permissions ?? {}, `app_statuses.${name}.permissions`);
        apps[name] = { ...status, permissions: { sms: false, storage: false, phone: false, network: false, ...permissions } };
      }
      device.app_statuses = apps;
    } else device[field] = value as JsonObject[string];
  }
  const surroundings: JsonObject = {
    name: null,
    phone_number: null,
    is_abroad: false,
    roaming_allowed: false,
    signal_strength: { '2G': 'poor', '3G': 'fair', '4G': 'good', '5G': 'excellent' },
    mobile_data_usage_exceeded: false,
    line_active: true,
    payment_request: null,
  };
  for (const [field, value] of Object.entries(surroundingsIn)) {
    surroundings[field] =
      field === 'payment_request' && value !== null
        ? { paid: false, ...asObject(value, 'payment_request') }
        : (value as JsonObject[string]);
  }
  return {
    user_device: { [DEVICE_KEY]: checked(phoneDeviceSchema, device, 'device') },
    user_surroundings: { [SURROUNDINGS_KEY]: checked(userSurroundingsSchema, surroundings, 'surroundings') },
    user_vpn_profile: { [VPN_PROFILE_KEY]: defaultVpnProfile() },
  };
}

/** The user tables from the text of `user_db.toml`. */
export function parseTelecomUserDb(tomlText: string): Tables {
  return telecomUserTables(parseToml(tomlText));
}

/**
 * τ²'s `user_tools.db.model_dump()` of the state: `{device, surroundings}`, every field present.
 * The records are the state's own: read them, do not change them.
 */
export function userTau2Dump(state: TableState): JsonObject {
  return { device: userRecord(state, 'user_device', DEVICE_KEY), surroundings: userRecord(state, 'user_surroundings', SURROUNDINGS_KEY) };
}

/** The same dump under the name the domain assembly uses. */
export const telecomUserDbDump = userTau2Dump;

function userRecord(state: TableState, table: string, key: string): JsonObject {
  const record = state.get(table, key);
  if (!record) throw new GroundworkError('INVALID_ARGUMENT', `the telecom state has no ${table} record ${JSON.stringify(key)}`);
  return record;
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new GroundworkError('INVALID_ARGUMENT', `telecom user database: ${what} must be a table`);
  return value as Record<string, unknown>;
}

function checked(schema: z.ZodType<object>, record: JsonObject, what: string): JsonObject {
  const parsed = schema.safeParse(record);
  if (!parsed.success) throw new GroundworkError('INVALID_ARGUMENT', `telecom user database: ${what}: ${formatZodIssues(parsed.error)}`);
  return record;
}
