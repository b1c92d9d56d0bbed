import { z } from 'zod';
import { GroundworkError } from '../../../errors.ts';
import type { JsonValue } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import type { EnvFunction } from '../../domain.ts';
import { formatZodIssues } from '../../tools.ts';
import {
  canSendMms,
  isAppPermission,
  appStatus,
  mobileDataWorking,
  readPhone,
  simulateNetworkSearch,
  speedTest,
  toggleAirplaneMode,
  toggleData,
  toggleDataSaver,
  toggleRoaming,
  toggleWifiCalling,
  writePhone,
} from './phone.ts';
import { NETWORK_STATUSES } from './user-tables.ts';
import { connectVpnResult } from './user-tools.ts';

/**
 * The user side's environment functions of τ²-bench telecom (τ²'s `TelecomUserTools` methods that
 * are not tools): what task initialisation does to the phone (`turn_airplane_mode_on`,
 * `break_apn_settings`...) and the assertions graders check on it (`assert_mobile_data_status`...).
 * Each returns what τ²'s method returns (`null` for None, an array for a tuple). τ²'s own sanity
 * checks inside the `break_*` functions become `INVALID_TASK` errors.
 */

/** An environment function with typed arguments (validated; τ² passes a task's arguments unchecked). */
function fn<Schema extends z.ZodType<Record<string, unknown>>>(
  name: string,
  args: Schema,
  run: (state: TableState, args: z.infer<Schema>) => JsonValue,
): [string, EnvFunction] {
  return [
    name,
    (state, raw) => {
      const parsed = args.safeParse(raw);
      if (!parsed.success)
        throw new GroundworkError('INVALID_TASK', `invalid arguments for user-side ${name}: ${formatZodIssues(parsed.error)}`);
      return run(state, parsed.data);
    },
  ];
}

const none = z.strictObject({});
const expectedFlag = z.strictObject({ expected_status: z.boolean() });

/** τ²'s `assert` inside an initialisation function: the scenario did not produce the broken state it promised. */
function ensure(condition: boolean, what: string): void {
  if (!condition) throw new GroundworkError('INVALID_TASK', `telecom initialisation: ${what}`);
}

/** Runs a toggle until it reports `on`, as τ²'s `turn_*_on`/`turn_*_off` do (at most two toggles). */
function turn(state: TableState, toggle: (phone: ReturnType<typeof writePhone>) => boolean, on: boolean): void {
  const phone = writePhone(state);
  if (toggle(phone) !== on) toggle(phone);
}

/** The user side's environment functions by τ²'s names. */
export const TELECOM_USER_FUNCTIONS: Readonly<Record<string, EnvFunction>> = Object.freeze(
  Object.fromEntries([
    fn('set_user_info', z.strictObject({ name: z.string(), phone_number: z.string() }), (state, { name, phone_number }) => {
      const { surroundings } = writePhone(state);
      surroundings.name = name;
      surroundings.phone_number = phone_number;
      return null;
    }),
    fn('set_user_location', z.strictObject({ abroad: z.boolean() }), (state, { abroad }) => {
      writePhone(state).surroundings.is_abroad = abroad;
      return null;
    }),
    fn('turn_airplane_mode_on', none, (state) => {
      turn(state, toggleAirplaneMode, true);
      return 'Airplane Mode is now ON.';
    }),
    fn('turn_airplane_mode_off', none, (state) => {
      turn(state, toggleAirplaneMode, false);
      return 'Airplane Mode is now OFF.';
    }),
    fn('unseat_sim_card', none, (state) => {
      const phone = writePhone(state);
      phone.device.sim_card_missing = true;
      simulateNetworkSearch(phone);
      return 'SIM card un-seated successfully.';
    }),
    fn('lock_sim_card', z.strictObject({ mode: z.string() }), (state, { mode }) => {
      const phone = writePhone(state);
      if (mode === 'pin') phone.device.sim_card_status = 'locked_pin';
      else if (mode === 'puk') phone.device.sim_card_status = 'locked_puk';
      simulateNetworkSearch(phone);
      return `SIM card locked successfully in ${mode} mode.`;
    }),
    fn('turn_data_on', none, (state) => {
      // τ²'s turn_data_on flips the switch without a network search.
      writePhone(state).device.data_enabled = true;
      return 'Data connection restored.';
    }),
    fn('turn_data_off', none, (state) => {
      turn(state, toggleData, false);
      return 'Data connection broken.';
    }),
    fn('turn_roaming_on', none, (state) => {
      turn(state, toggleRoaming, true);
      return 'Data Roaming is now ON.';
    }),
    fn('turn_roaming_off', none, (state) => {
      turn(state, toggleRoaming, false);
      return 'Data Roaming is now OFF.';
    }),
    fn('turn_data_saver_mode_on', none, (state) => {
      turn(state, toggleDataSaver, true);
      return 'Data Saver Mode is now ON.';
    }),
    fn('turn_data_saver_mode_off', none, (state) => {
      turn(state, toggleDataSaver, false);
      return 'Data Saver Mode is now OFF.';
    }),
    fn('break_apn_settings', none, (state) => {
      const phone = writePhone(state);
      phone.device.active_apn_settings.apn_name = 'broken';
      simulateNetworkSearch(phone);
      ensure(phone.device.network_connection_status === 'no_service', 'break_apn_settings left the phone with service');
      return 'APN settings broken. Please call reset_apn_settings() to fix.';
    }),
    fn('break_apn_mms_setting', none, (state) => {
      const phone = writePhone(state);
      phone.device.active_apn_settings.mmsc_url = null;
      ensure(!canSendMms(phone), 'break_apn_mms_setting left the phone able to send MMS');
      return 'APN MMS setting broken. Please call reset_apn_settings() to fix.';
    }),
    fn('set_wifi_calling', z.strictObject({ enabled: z.boolean(), mms_over_wifi: z.boolean().nullable().optional() }), (state, args) => {
      const phone = writePhone(state);
      if (phone.device.wifi_calling_enabled !== args.enabled) toggleWifiCalling(phone);
      let message = `Wi-Fi Calling is now ${args.enabled ? 'ON' : 'OFF'}.`;
      if (args.mms_over_wifi !== undefined && args.mms_over_wifi !== null) {
        phone.device.wifi_calling_mms_over_wifi = args.mms_over_wifi;
        message += `\nMMS over Wi-Fi is now ${args.mms_over_wifi ? 'ON' : 'OFF'}.`;
      }
      return message;
    }),
    fn('break_vpn', none, (state) => {
      connectVpnResult(state);
      const phone = writePhone(state);
      // τ²'s connected VPN *is* its shared default profile: degrading one degrades both.
      if (!phone.device.vpn_details) throw new GroundworkError('INVALID_TASK', 'break_vpn: the VPN is connected without details');
      phone.device.vpn_details.server_performance = 'poor';
      phone.vpnProfile.server_performance = 'poor';
      return 'VPN connection broken.';
    }),
    fn('remove_app_permission', z.strictObject({ app_name: z.string(), permission: z.string() }), (state, { app_name, permission }) => {
      const wanted = permission.toLowerCase();
      if (!appStatus(readPhone(state).device, app_name)) return [false, `App '${app_name}' not found. Cannot remove permission.`];
      if (!isAppPermission(wanted)) return [false, `Permission '${wanted}' not tracked for app '${app_name}'.`];
      appStatus(writePhone(state).device, app_name)!.permissions[wanted] = false;
      return [true, `Permission '${wanted}' removed from app '${app_name}'.`];
    }),
    fn('simulate_network_search', none, (state) => {
      simulateNetworkSearch(writePhone(state));
      return null;
    }),
    // Assertions (read only).
    fn(
      'assert_airplane_mode_status',
      expectedFlag,
      (state, { expected_status }) => readPhone(state).device.airplane_mode === expected_status,
    ),
    fn('assert_service_status', z.strictObject({ expected_status: z.enum(NETWORK_STATUSES) }), (state, { expected_status }) => {
      return readPhone(state).device.network_connection_status === expected_status;
    }),
    fn('assert_mobile_data_status', expectedFlag, (state, { expected_status }) => mobileDataWorking(readPhone(state)) === expected_status),
    fn(
      'assert_mobile_roaming_status',
      expectedFlag,
      (state, { expected_status }) => readPhone(state).device.roaming_enabled === expected_status,
    ),
    fn('assert_mobile_data_saver_mode_status', expectedFlag, (state, { expected_status }) => {
      return readPhone(state).device.data_saver_mode === expected_status;
    }),
    fn(
      'assert_internet_speed',
      z.strictObject({ expected_speed: z.number(), expected_desc: z.string().nullable().optional() }),
      (state, { expected_speed, expected_desc }) => {
        const { speed, description } = speedTest(readPhone(state));
        const fast = (speed ?? 0.0) >= expected_speed;
        if (expected_desc === undefined || expected_desc === null) return fast;
        return fast && description.toLowerCase() === expected_desc.toLowerCase();
      },
    ),
    fn('assert_internet_not_excellent', none, (state) => speedTest(readPhone(state)).description.toLowerCase() !== 'excellent'),
    fn('assert_can_send_mms', expectedFlag, (state, { expected_status }) => canSendMms(readPhone(state)) === expected_status),
    fn('assert_mobile_data_usage_exceeded', expectedFlag, (state, { expected_status }) => {
      return readPhone(state).surroundings.mobile_data_usage_exceeded === expected_status;
    }),
  ]),
);
