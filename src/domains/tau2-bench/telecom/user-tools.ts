import { z } from 'zod';
import { ToolError } from '../../../errors.ts';
import type { TableState } from '../../../state/table-state.ts';
import type { DomainTool } from '../../domain.ts';
import { pyReprString, pyStr } from '../../tau-bench/py-format.ts';
import {
  appStatus,
  canSendMms,
  connectVpn,
  disconnectVpn,
  isAppPermission,
  readPhone,
  reboot,
  simStatus,
  simulateNetworkSearch,
  speedTest,
  statusBar,
  toggleAirplaneMode,
  toggleData,
  toggleDataSaver,
  toggleRoaming,
  toggleWifiCalling,
  withStatusBar,
  writePhone,
} from './phone.ts';
import {
  APN_NAMES,
  APP_PERMISSIONS,
  type ApnSettings,
  defaultApnSettings,
  NETWORK_MODE_PREFERENCES,
  type SimStatus,
  type VpnDetails,
} from './user-tables.ts';

/**
 * The user's tools of τ²-bench telecom (τ²'s `TelecomUserTools` tools, in τ²'s order, with τ²'s
 * descriptions): what the simulated user can see and do on the phone. Results are the exact
 * strings τ² returns.
 */

const noArguments = z.strictObject({});
type NoArguments = z.infer<typeof noArguments>;

/** A tool with no arguments. */
function tool(name: string, kind: 'read' | 'write', description: string, run: (state: TableState) => string): DomainTool<NoArguments> {
  return { name, kind, description, input: noArguments, execute: (state) => run(state) };
}

const onOff = (on: boolean) => (on ? 'ON' : 'OFF');
const yesNo = (yes: boolean) => (yes ? 'Yes' : 'No');

const SIM_MESSAGES: Record<SimStatus, string> = {
  active: 'Your SIM card is active and working.',
  missing: 'No SIM card detected in the phone.',
  locked_pin: 'The SIM card is locked with a PIN code.',
  locked_puk: 'The SIM card is locked with a PUK code.',
};

const SPEED_ADVICE: Record<string, string> = {
  'Very Poor': 'Connection is very slow. Basic web browsing might be difficult.',
  Poor: 'Connection is slow. Web browsing may be sluggish, streaming difficult.',
  Fair: 'Connection is okay for web browsing and some standard definition streaming.',
  Good: 'Connection is good for most activities, including HD streaming.',
  Excellent: 'Connection is very fast.',
};

/** Python's `str()` of τ²'s `PerformanceLevel` enum member inside a dict repr. */
const PERFORMANCE_REPR: Record<VpnDetails['server_performance'], string> = {
  unknown: "<PerformanceLevel.UNKNOWN: 'unknown'>",
  poor: "<PerformanceLevel.POOR: 'poor'>",
  fair: "<PerformanceLevel.FAIR: 'fair'>",
  good: "<PerformanceLevel.GOOD: 'good'>",
  excellent: "<PerformanceLevel.EXCELLENT: 'excellent'>",
};

/** Python's repr of a VPN details dict (`model_dump()`), as `check_vpn_status` prints it. */
function vpnDetailsRepr(details: VpnDetails): string {
  const optional = (value: string | null) => (value === null ? 'None' : pyReprString(value));
  return `{'server_address': ${optional(details.server_address)}, 'protocol': ${optional(details.protocol)}, 'server_performance': ${PERFORMANCE_REPR[details.server_performance]}}`;
}

/** The permissions an app has, in τ²'s field order. */
function grantedPermissions(permissions: Readonly<Record<string, boolean>>): string[] {
  return APP_PERMISSIONS.filter((permission) => permissions[permission]);
}

/** `set_network_mode_preference`: a known mode is applied (the phone searches again), anything else is refused in the result. */
export function setNetworkModePreference(state: TableState, mode: string): string {
  if (!(NETWORK_MODE_PREFERENCES as readonly string[]).includes(mode))
    return withStatusBar(
      readPhone(state),
      `Failed to set network mode: '${mode}' is not a valid option. Please use one of: ${NETWORK_MODE_PREFERENCES.join(', ')}`,
    );
  const phone = writePhone(state);
  phone.device.network_mode_preference = mode as (typeof NETWORK_MODE_PREFERENCES)[number];
  simulateNetworkSearch(phone);
  return withStatusBar(phone, `Preferred Network Mode set to: ${mode}`);
}

/** Input of `set_apn_settings`: τ²'s `APNSettings` (every field optional, defaults as τ²'s) or any object. */
const apnSettingsInput = z.strictObject({
  apn_name: z.enum(APN_NAMES).default('internet').describe('The name identifier for the APN connection.'),
  reset_at_reboot: z.boolean().default(false).describe('Whether the APN settings will be reset at the next reboot.'),
  mms_apn: z.string().nullable().default('mms').describe('Specific APN name used for MMS traffic, if different from general data.'),
  mmsc_url: z
    .string()
    .nullable()
    .default('http://mms.carrier.com/mms/wapenc')
    .describe('The URL of the Multimedia Messaging Service Center (MMSC). Crucial for MMS.'),
  mms_proxy: z.string().nullable().default(null).describe('The proxy server address required for MMS traffic on some networks.'),
  mms_port: z.number().int().nullable().default(null).describe('The proxy server port required for MMS traffic on some networks.'),
});

/** Pydantic's version in τ²'s environment (its error messages link to it). */
const PYDANTIC_DOCS = 'https://errors.pydantic.dev/2.14/v';

/**
 * τ²'s `APNSettings(**settings)` (pydantic, lax mode): defaults for missing fields; wrong fields
 * are refused with pydantic's error text (fields in the model's order, then unknown ones).
 */
export function apnSettingsFrom(settings: Readonly<Record<string, unknown>>): ApnSettings {
  const out: ApnSettings = defaultApnSettings();
  const problems: string[] = [];
  const problem = (field: string, message: string, type: string, value: unknown) =>
    problems.push(
      `${field}\n  ${message} [type=${type}, input_value=${pyValueRepr(value)}, input_type=${pyTypeName(value)}]\n    For further information visit ${PYDANTIC_DOCS}/${type}`,
    );
  const given = (field: string) => Object.hasOwn(settings, field);
  if (given('apn_name')) {
    const value = settings.apn_name;
    if (value === 'internet' || value === 'broken') out.apn_name = value;
    else problem('apn_name', "Input should be 'internet' or 'broken'", 'enum', value);
  }
  if (given('reset_at_reboot')) {
    const value = settings.reset_at_reboot;
    const flag = laxBool(value);
    if (flag !== undefined) out.reset_at_reboot = flag;
    else if (typeof value === 'number' || typeof value === 'string')
      problem('reset_at_reboot', 'Input should be a valid boolean, unable to interpret input', 'bool_parsing', value);
    else problem('reset_at_reboot', 'Input should be a valid boolean', 'bool_type', value);
  }
  for (const field of ['mms_apn', 'mmsc_url', 'mms_proxy'] as const) {
    if (!given(field)) continue;
    const value = settings[field];
    if (value === null || typeof value === 'string') out[field] = value;
    else problem(field, 'Input should be a valid string', 'string_type', value);
  }
  if (given('mms_port')) {
    const value = settings.mms_port;
    if (value === null) out.mms_port = null;
    else if (typeof value === 'boolean') out.mms_port = value ? 1 : 0;
    else if (typeof value === 'number' && Number.isInteger(value)) out.mms_port = value;
    else if (typeof value === 'number')
      problem('mms_port', 'Input should be a valid integer, got a number with a fractional part', 'int_from_float', value);
    else if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) out.mms_port = Number(value);
    else if (typeof value === 'string')
      problem('mms_port', 'Input should be a valid integer, unable to parse string as an integer', 'int_parsing', value);
    else problem('mms_port', 'Input should be a valid integer', 'int_type', value);
  }
  for (const [field, value] of Object.entries(settings))
    if (!Object.hasOwn(out, field)) problem(field, 'Extra inputs are not permitted', 'extra_forbidden', value);
  if (problems.length > 0)
    throw new ToolError(`${problems.length} validation error${problems.length === 1 ? '' : 's'} for APNSettings\n${problems.join('\n')}`);
  return out;
}

/** Pydantic's lax booleans. */
function laxBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (['true', 't', 'yes', 'y', 'on', '1'].includes(text)) return true;
    if (['false', 'f', 'no', 'n', 'off', '0'].includes(text)) return false;
  }
  return undefined;
}

/** Python's repr of a JSON value (as pydantic shows an input). */
function pyValueRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return pyReprString(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pyStr(value);
  if (Array.isArray(value)) return `[${value.map(pyValueRepr).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([key, item]) => `${pyReprString(key)}: ${pyValueRepr(item)}`)
    .join(', ')}}`;
}

function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return Array.isArray(value) ? 'list' : 'dict';
}

/** The user's tools, in τ²'s order. */
export function createTelecomUserTools(): DomainTool[] {
  return [
    tool(
      'check_status_bar',
      'read',
      "Shows what icons are currently visible in your phone's status bar (the area at the top of the screen). Displays network signal strength, mobile data status (enabled, disabled, data saver), Wi-Fi status, and battery level.",
      (state) => `Status Bar: ${statusBar(readPhone(state).device)}`,
    ),
    tool(
      'check_network_status',
      'read',
      "Checks your phone's connection status to cellular networks and Wi-Fi. Shows airplane mode status, signal strength, network type, whether mobile data is enabled, and whether data roaming is enabled.",
      (state) => {
        const { device } = readPhone(state);
        const lines = [
          `Airplane Mode: ${onOff(device.airplane_mode)}`,
          `SIM Card Status: ${simStatus(device)}`,
          `Cellular Connection: ${device.network_connection_status}`,
          `Cellular Signal: ${device.network_signal_strength}`,
          `Cellular Network Type: ${device.network_technology_connected}`,
          `Mobile Data Enabled: ${yesNo(device.data_enabled)}`,
          `Data Roaming Enabled: ${yesNo(device.roaming_enabled)}`,
          `Wi-Fi Radio: ${onOff(device.wifi_enabled)}`,
          `Wi-Fi Connected: ${yesNo(device.wifi_connected)}`,
        ];
        if (device.wifi_connected) lines.push(`Connected Wi-Fi Network: ${device.wifi_ssid ?? 'None'}`);
        return lines.join('\n');
      },
    ),
    tool('check_network_mode_preference', 'read', 'Shows the current network mode preference.', (state) => {
      return `Network Mode Preference: ${readPhone(state).device.network_mode_preference}`;
    }),
    {
      name: 'set_network_mode_preference',
      kind: 'write',
      description:
        'Changes the type of cellular network your phone prefers to connect to (e.g., 5G, LTE/4G, 3G). Higher-speed networks (LTE/5G) provide faster data but may use more battery.',
      input: z.strictObject({ mode: z.union([z.enum(NETWORK_MODE_PREFERENCES), z.string()]) }),
      execute: (state, { mode }: { mode: string }) => setNetworkModePreference(state, mode),
    },
    tool(
      'run_speed_test',
      'read',
      'Measures your current internet connection speed (download speed). Provides information about connection quality and what activities it can support.',
      (state) => {
        const { speed, description } = speedTest(readPhone(state));
        if (speed === null) return `Speed test failed: ${description}.`;
        return `Speed Test Result: ${speed.toFixed(2)} Mbps (${description}). ${SPEED_ADVICE[description] ?? ''}`;
      },
    ),
    tool(
      'toggle_airplane_mode',
      'write',
      'Toggles Airplane Mode ON or OFF. When ON, it disconnects all wireless communications including cellular, Wi-Fi, and Bluetooth.\n\nReturns the new state of airplane_mode.',
      (state) => {
        const phone = writePhone(state);
        return withStatusBar(phone, `Airplane Mode is now ${onOff(toggleAirplaneMode(phone))}.`);
      },
    ),
    tool(
      'check_sim_status',
      'read',
      'Checks if your SIM card is working correctly and displays its current status. Shows if the SIM is active, missing, or locked with a PIN or PUK code.',
      (state) => SIM_MESSAGES[simStatus(readPhone(state).device)],
    ),
    tool(
      'reseat_sim_card',
      'write',
      'Simulates removing and reinserting your SIM card. This can help resolve recognition issues.',
      (state) => {
        const phone = writePhone(state);
        phone.device.sim_card_missing = false;
        simulateNetworkSearch(phone);
        return withStatusBar(phone, 'SIM card re-seated successfully.');
      },
    ),
    tool(
      'toggle_data',
      'write',
      "Toggles your phone's mobile data connection ON or OFF. Controls whether your phone can use cellular data for internet access when Wi-Fi is unavailable.\n\nReturns the new data connection status.",
      (state) => {
        const phone = writePhone(state);
        return withStatusBar(phone, `Mobile Data is now ${onOff(toggleData(phone))}.`);
      },
    ),
    tool(
      'toggle_roaming',
      'write',
      "Toggles Data Roaming ON or OFF. When ON, your phone can use data networks in areas outside your carrier's coverage.\n\nReturns the new data roaming status.",
      (state) => {
        const phone = writePhone(state);
        return withStatusBar(phone, `Data Roaming is now ${onOff(toggleRoaming(phone))}.`);
      },
    ),
    tool(
      'check_data_restriction_status',
      'read',
      'Checks if your phone has any data-limiting features active. Shows if Data Saver mode is on.',
      (state) => (readPhone(state).device.data_saver_mode ? 'Data Saver mode is ON (limits data usage).' : 'Data Saver mode is OFF.'),
    ),
    tool(
      'toggle_data_saver_mode',
      'write',
      'Toggles Data Saver mode ON or OFF. When ON, it reduces data usage, which may affect data speed.\n\nReturns the new data saver mode status.',
      (state) => {
        const phone = writePhone(state);
        return withStatusBar(phone, `Data Saver Mode is now ${onOff(toggleDataSaver(phone))}.`);
      },
    ),
    tool(
      'check_apn_settings',
      'read',
      "Checks the technical APN settings your phone uses to connect to your carrier's mobile data network. Shows current APN name and MMSC URL for picture messaging.",
      (state) => {
        const apn = readPhone(state).device.active_apn_settings;
        return `Current APN Name: ${apn.apn_name || 'Not Set'}\nMMSC URL (for picture messages): ${apn.mmsc_url || 'Not Set'}\n(These are technical settings, usually best left unchanged.)`;
      },
    ),
    {
      name: 'set_apn_settings',
      kind: 'write',
      description: 'Sets the APN settings for the phone.',
      input: z.strictObject({ apn_settings: z.union([apnSettingsInput, z.record(z.string(), z.unknown())]) }),
      execute: (state, { apn_settings }: { apn_settings: Record<string, unknown> }) => {
        // zod lets any object through; τ²'s own validation (pydantic's) decides, with its error text.
        const settings = apnSettingsFrom(apn_settings);
        const phone = writePhone(state);
        phone.device.active_apn_settings = settings;
        simulateNetworkSearch(phone);
        return withStatusBar(phone, `APN settings set to: ${settings.apn_name}`);
      },
    },
    tool('reset_apn_settings', 'write', 'Resets your APN settings to the default settings.', (state) => {
      const phone = writePhone(state);
      phone.device.active_apn_settings.reset_at_reboot = true;
      simulateNetworkSearch(phone);
      return withStatusBar(phone, 'APN settings will reset at reboot.');
    }),
    tool(
      'check_wifi_status',
      'read',
      "Checks your Wi-Fi connection status. Shows if Wi-Fi is turned on, which network you're connected to (if any), and the signal strength.",
      (state) => {
        const { device } = readPhone(state);
        if (!device.wifi_enabled) return 'Wi-Fi is turned OFF.';
        if (device.wifi_connected)
          return `Wi-Fi is ON and connected to '${device.wifi_ssid ?? 'None'}'. Signal strength: ${device.wifi_signal_strength}.`;
        return 'Wi-Fi is ON but not connected to any network.';
      },
    ),
    tool(
      'toggle_wifi',
      'write',
      "Toggles your phone's Wi-Fi radio ON or OFF. Controls whether your phone can discover and connect to wireless networks for internet access.\n\nReturns the new Wi-Fi status.",
      (state) => {
        if (readPhone(state).device.airplane_mode)
          return withStatusBar(readPhone(state), 'Cannot change Wi-Fi settings while Airplane Mode is ON.');
        const phone = writePhone(state);
        const { device } = phone;
        device.wifi_enabled = !device.wifi_enabled;
        if (!device.wifi_enabled) {
          device.wifi_connected = false;
          device.wifi_ssid = null;
          device.wifi_signal_strength = 'none';
        }
        return withStatusBar(phone, `Wi-Fi is now ${onOff(device.wifi_enabled)}.`);
      },
    ),
    tool(
      'check_wifi_calling_status',
      'read',
      'Checks if Wi-Fi Calling is enabled on your device. This feature allows you to make and receive calls over a Wi-Fi network instead of using the cellular network.',
      (state) => `Wi-Fi Calling is currently turned ${onOff(readPhone(state).device.wifi_calling_enabled)}.`,
    ),
    tool(
      'toggle_wifi_calling',
      'write',
      'Toggles Wi-Fi Calling ON or OFF. This feature allows you to make and receive calls over Wi-Fi instead of the cellular network, which can help in areas with weak cellular signal.\n\nReturns the new Wi-Fi Calling status.',
      (state) => {
        const phone = writePhone(state);
        return withStatusBar(phone, `Wi-Fi Calling is now ${onOff(toggleWifiCalling(phone))}.`);
      },
    ),
    tool(
      'check_vpn_status',
      'read',
      "Checks if you're using a VPN (Virtual Private Network) connection. Shows if a VPN is active, connected, and displays any available connection details.",
      (state) => checkVpnStatus(state),
    ),
    tool('connect_vpn', 'write', 'Connects to your VPN (Virtual Private Network).', (state) => connectVpnResult(state)),
    tool(
      'disconnect_vpn',
      'write',
      'Disconnects any active VPN (Virtual Private Network) connection. Stops routing your internet traffic through a VPN server, which might affect connection speed or access to content.',
      (state) => {
        const phone = writePhone(state);
        const disconnected = disconnectVpn(phone.device);
        return withStatusBar(phone, disconnected ? 'VPN disconnected successfully.' : 'No active VPN connection to disconnect.');
      },
    ),
    tool('check_installed_apps', 'read', 'Returns the name of all installed apps on the phone.', (state) => {
      return `The following apps are installed on the phone: ${Object.keys(readPhone(state).device.app_statuses).join(', ')}`;
    }),
    {
      name: 'check_app_status',
      kind: 'read',
      description: 'Checks detailed information about a specific app. Shows its permissions and background data usage settings.',
      input: z.strictObject({ app_name: z.string() }),
      execute: (state, { app_name }: { app_name: string }) => {
        const app = appStatus(readPhone(state).device, app_name);
        if (!app) return `App '${app_name}' not found on this phone.`;
        const granted = grantedPermissions(app.permissions);
        const lines = [`Status for App: ${app_name}`];
        if (granted.length === 0) lines.push(' - Permissions: None granted.');
        else lines.push(' - Permissions Granted:', ...granted.map((permission) => `   - ${permission}`));
        return lines.join('\n');
      },
    },
    {
      name: 'check_app_permissions',
      kind: 'read',
      description:
        'Checks what permissions a specific app currently has. Shows if the app has access to features like storage, camera, location, etc.',
      input: z.strictObject({ app_name: z.string() }),
      execute: (state, { app_name }: { app_name: string }) => {
        const app = appStatus(readPhone(state).device, app_name);
        if (!app) return `App '${app_name}' not found on this phone.`;
        const granted = grantedPermissions(app.permissions);
        if (granted.length === 0) return `App '${app_name}' currently has no permissions granted.`;
        return `App '${app_name}' has permission for: ${granted.join(', ')}.`;
      },
    },
    {
      name: 'grant_app_permission',
      kind: 'write',
      description:
        'Gives a specific permission to an app (like access to storage, camera, or location). Required for some app functions to work properly.',
      input: z.strictObject({
        app_name: z.string().describe('The name of the app to grant the permission to.'),
        permission: z.string().describe('The permission to grant, should be lowercase.'),
      }),
      execute: (state, { app_name, permission }: { app_name: string; permission: string }) => {
        const wanted = permission.toLowerCase();
        if (!appStatus(readPhone(state).device, app_name))
          return withStatusBar(readPhone(state), `Error. App '${app_name}' not found. Cannot grant permission.`);
        if (!isAppPermission(wanted))
          return withStatusBar(
            readPhone(state),
            `Error. Permission '${wanted}' not tracked for app '${app_name}', available permissions: [${APP_PERMISSIONS.map((p) => `'${p}'`).join(', ')}]`,
          );
        const phone = writePhone(state);
        appStatus(phone.device, app_name)!.permissions[wanted] = true;
        return withStatusBar(phone, `Success. Permission '${wanted}' granted to app '${app_name}'.`);
      },
    },
    tool('can_send_mms', 'read', 'Checks if the default messaging app can send MMS messages.', (state) =>
      canSendMms(readPhone(state)) ? 'Your messaging app can send MMS messages.' : 'Your messaging app cannot send MMS messages.',
    ),
    tool(
      'reboot_device',
      'write',
      'Restarts your phone completely. This can help resolve many temporary software glitches by refreshing all running services and connections.',
      (state) => {
        const phone = writePhone(state);
        return withStatusBar(phone, reboot(phone).join('\n'));
      },
    ),
    tool('check_payment_request', 'read', 'Checks if the agent has sent you a payment request.', (state) => {
      const request = readPhone(state).surroundings.payment_request;
      if (request === null) return 'No payment request has been made.';
      return `You have a payment request for bill ${request.bill_id} of ${pyStr(request.amount_due, true)} USD.`;
    }),
    tool('make_payment', 'write', 'Makes a payment for the bill that the agent has sent you.', (state) => {
      if (readPhone(state).surroundings.payment_request === null) return 'You do not have a payment request.';
      const request = writePhone(state).surroundings.payment_request!;
      // The agent's side records the payment on the next sync (sync.ts).
      request.paid = true;
      return `Payment of ${pyStr(request.amount_due, true)} USD has been made for bill ${request.bill_id}.`;
    }),
  ];
}

/** `check_vpn_status`'s answer. */
function checkVpnStatus(state: TableState): string {
  const { device } = readPhone(state);
  if (device.vpn_connected) {
    if (device.vpn_details) return `VPN is ON and connected. Details: ${vpnDetailsRepr(device.vpn_details)}`;
    return 'VPN is ON and connected (no specific details available).';
  }
  if (device.vpn_enabled_setting) return 'VPN is turned ON in settings, but currently not connected.';
  return 'VPN is turned OFF.';
}

/** `connect_vpn`'s answer (also what `break_vpn` runs first). */
export function connectVpnResult(state: TableState): string {
  if (readPhone(state).device.vpn_connected) return 'VPN already connected.';
  const phone = writePhone(state);
  connectVpn(phone);
  return withStatusBar(phone, 'VPN connected successfully.');
}

export { TELECOM_USER_GUIDE } from './user-guide.ts';
