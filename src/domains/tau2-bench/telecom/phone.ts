import { GroundworkError } from '../../../errors.ts';
import { typedState, type TableState } from '../../../state/table-state.ts';
import { pyRound } from '../../tau-bench/py-format.ts';
import {
  APP_PERMISSIONS,
  type AppPermission,
  DEVICE_KEY,
  defaultApnSettings,
  type NetworkTechnology,
  type PhoneDevice,
  type SignalStrength,
  type SimStatus,
  SURROUNDINGS_KEY,
  TELECOM_USER_TABLES,
  type UserSurroundings,
  VPN_PROFILE_KEY,
  type VpnDetails,
} from './user-tables.ts';

/**
 * The simulated phone of τ²-bench telecom (semantics of τ²'s `TelecomUserTools`): how the device
 * reacts to the user's actions and what it shows. Tools (user-tools.ts) and environment functions
 * (user-functions.ts) are thin wrappers over these.
 */

/** The user's side of one episode's state, as plain records (read-only or mutable, see `readPhone`). */
export interface Phone {
  device: PhoneDevice;
  surroundings: UserSurroundings;
  /** The VPN a connection gets (τ²'s shared `default_vpn_details`). */
  vpnProfile: VpnDetails;
}

/** The phone for reading. Do not mutate it. */
export function readPhone(state: TableState): Readonly<Phone> {
  const typed = typedState(state, TELECOM_USER_TABLES);
  return {
    device: required(typed.get('user_device', DEVICE_KEY), 'user_device') as PhoneDevice,
    surroundings: required(typed.get('user_surroundings', SURROUNDINGS_KEY), 'user_surroundings') as UserSurroundings,
    vpnProfile: required(typed.get('user_vpn_profile', VPN_PROFILE_KEY), 'user_vpn_profile') as VpnDetails,
  };
}

/** The phone for changing: this episode's own copies of the records. */
export function writePhone(state: TableState): Phone {
  const typed = typedState(state, TELECOM_USER_TABLES);
  return {
    device: required(typed.mutable('user_device', DEVICE_KEY), 'user_device'),
    surroundings: required(typed.mutable('user_surroundings', SURROUNDINGS_KEY), 'user_surroundings'),
    vpnProfile: required(typed.mutable('user_vpn_profile', VPN_PROFILE_KEY), 'user_vpn_profile'),
  };
}

function required<T>(record: T | undefined, table: string): T {
  if (record === undefined) throw new GroundworkError('INVALID_ARGUMENT', `the telecom state has no ${table} record`);
  return record;
}

/** The SIM's status; a missing SIM wins over its recorded status. */
export function simStatus(device: Readonly<PhoneDevice>): SimStatus {
  return device.sim_card_missing ? 'missing' : device.sim_card_status;
}

const SIGNAL_ICONS: Record<SignalStrength, string> = {
  none: '📵 No Signal',
  poor: '📶¹ Poor',
  fair: '📶² Fair',
  good: '📶³ Good',
  excellent: '📶⁴ Excellent',
};

/** The status bar line (without the `Status Bar: ` prefix). */
export function statusBar(device: Readonly<PhoneDevice>): string {
  const icons: string[] = [];
  if (device.airplane_mode) icons.push('✈️ Airplane Mode');
  else {
    icons.push(SIGNAL_ICONS[device.network_signal_strength] ?? SIGNAL_ICONS.none);
    const technology = device.network_technology_connected;
    if (technology !== 'none') icons.push(technology);
    if (device.data_enabled && technology !== 'none') {
      icons.push('📱 Data Enabled');
      if (device.data_saver_mode) icons.push('🔽 Data Saver');
    } else icons.push('📵 Data Disabled');
  }
  if (device.wifi_enabled && device.wifi_connected) icons.push(device.wifi_ssid ? `📡 Connected to ${device.wifi_ssid}` : '📡 Enabled');
  if (device.vpn_connected) icons.push('🔒 VPN Connected');
  icons.push(`🔋 ${device.battery_level}%`);
  return icons.join(' | ');
}

/** A tool's result followed by the status bar, as most τ² phone tools answer. */
export function withStatusBar(phone: Readonly<Phone>, message: string): string {
  return `${message}\nStatus Bar: ${statusBar(phone.device)}`;
}

const PREFERRED_TECHNOLOGY: Record<string, NetworkTechnology> = {
  '4g_only': '4G',
  '3g_only': '3G',
  '2g_only': '2G',
};

/**
 * Re-evaluates the cellular connection from the SIM, the network mode, the signal where the user
 * is, airplane mode, the APN and whether the line is active.
 */
export function simulateNetworkSearch(phone: Phone): void {
  const { device, surroundings } = phone;
  const signalOf = (technology: NetworkTechnology): SignalStrength => surroundings.signal_strength[technology] ?? 'none';
  const disconnect = () => {
    device.network_connection_status = 'no_service';
    device.network_technology_connected = 'none';
    device.network_signal_strength = 'none';
  };
  if (simStatus(device) === 'active') {
    device.network_connection_status = 'connected';
    const preference = device.network_mode_preference;
    let technology: NetworkTechnology;
    if (preference === '4g_5g_preferred') technology = signalOf('5G') === 'none' ? '4G' : '5G';
    else technology = PREFERRED_TECHNOLOGY[preference] ?? '4G';
    device.network_technology_connected = technology;
    device.network_signal_strength = signalOf(technology);
  } else disconnect();
  if (device.airplane_mode) disconnect();
  if (device.active_apn_settings.apn_name === 'broken') disconnect();
  if (!surroundings.line_active) disconnect();
}

/** Whether mobile data works: radio on, signal and service, roaming allowed when abroad, data on, allowance left. */
export function mobileDataWorking(phone: Readonly<Phone>): boolean {
  const { device, surroundings } = phone;
  if (device.airplane_mode || device.network_signal_strength === 'none') return false;
  if (device.network_connection_status === 'no_service') return false;
  if (surroundings.is_abroad && (!device.roaming_enabled || !surroundings.roaming_allowed)) return false;
  if (!device.data_enabled) return false;
  if (surroundings.mobile_data_usage_exceeded) return false;
  return true;
}

/** Download speed range (Mbps) of each technology. */
const TECHNOLOGY_SPEEDS: Record<NetworkTechnology, readonly [number, number]> = {
  '2G': [0.1, 0.4],
  '3G': [1.0, 5.0],
  '4G': [10.0, 100.0],
  '5G': [50.0, 500.0],
  none: [0.0, 0.0],
};
const SIGNAL_FACTORS: Record<SignalStrength, number> = { poor: 0.2, fair: 0.5, good: 0.8, excellent: 1.0, none: 0.0 };

export type SpeedDescription = 'Very Poor' | 'Poor' | 'Fair' | 'Good' | 'Excellent';

/** A speed test: `null` speed when mobile data does not work (`No Connection`). */
export function speedTest(phone: Readonly<Phone>): { speed: number | null; description: SpeedDescription | 'No Connection' } {
  if (!mobileDataWorking(phone)) return { speed: null, description: 'No Connection' };
  const { device } = phone;
  // Same operations in the same order as τ², so the floats are the same.
  let factor = device.vpn_connected && device.vpn_details && device.vpn_details.server_performance === 'poor' ? 0.1 : 1.0;
  if (device.data_saver_mode) factor *= 0.2;
  const [low, high] = TECHNOLOGY_SPEEDS[device.network_technology_connected] ?? [0.0, 0.0];
  const signal = SIGNAL_FACTORS[device.network_signal_strength] ?? 0.0;
  const speed = pyRound(((low + high) / 2.0) * signal * factor, 2);
  const description: SpeedDescription =
    speed < 1 ? 'Very Poor' : speed < 5 ? 'Poor' : speed < 25 ? 'Fair' : speed < 100 ? 'Good' : 'Excellent';
  return { speed, description };
}

/** Whether the messaging app can send MMS: working mobile data on 3G+, no MMS over Wi-Fi calling, an MMSC, and SMS + storage permissions. */
export function canSendMms(phone: Readonly<Phone>): boolean {
  const { device } = phone;
  if (!mobileDataWorking(phone)) return false;
  if (device.network_technology_connected === '2G') return false;
  if (device.wifi_calling_enabled && device.wifi_calling_mms_over_wifi) return false;
  if (device.active_apn_settings.mmsc_url === null) return false;
  const messaging = appStatus(device, 'messaging');
  return messaging?.permissions.storage === true && messaging.permissions.sms;
}

/** An installed app's status, by exact name. */
export function appStatus(device: Readonly<PhoneDevice>, appName: string) {
  return Object.hasOwn(device.app_statuses, appName) ? device.app_statuses[appName] : undefined;
}

/** Whether `name` is one of the permissions τ² tracks per app. */
export function isAppPermission(name: string): name is AppPermission {
  return (APP_PERMISSIONS as readonly string[]).includes(name);
}

/** Toggles airplane mode; turning it on drops Wi-Fi and the VPN, either way the phone searches again. Returns the new state. */
export function toggleAirplaneMode(phone: Phone): boolean {
  const { device } = phone;
  const wasOn = device.airplane_mode;
  device.airplane_mode = !wasOn;
  if (wasOn) {
    device.network_connection_status = 'searching';
    if (device.wifi_enabled) dropWifi(device);
  } else {
    dropWifi(device);
    disconnectVpn(device);
  }
  simulateNetworkSearch(phone);
  return device.airplane_mode;
}

function dropWifi(device: PhoneDevice): void {
  device.wifi_connected = false;
  device.wifi_ssid = null;
  device.wifi_signal_strength = 'none';
}

/** Toggles mobile data (the phone searches again). Returns the new state. */
export function toggleData(phone: Phone): boolean {
  phone.device.data_enabled = !phone.device.data_enabled;
  simulateNetworkSearch(phone);
  return phone.device.data_enabled;
}

/** Toggles data roaming (the phone searches again). Returns the new state. */
export function toggleRoaming(phone: Phone): boolean {
  phone.device.roaming_enabled = !phone.device.roaming_enabled;
  simulateNetworkSearch(phone);
  return phone.device.roaming_enabled;
}

/** Toggles data saver mode. Returns the new state. */
export function toggleDataSaver(phone: Phone): boolean {
  phone.device.data_saver_mode = !phone.device.data_saver_mode;
  return phone.device.data_saver_mode;
}

/** Toggles Wi-Fi calling. Returns the new state. */
export function toggleWifiCalling(phone: Phone): boolean {
  phone.device.wifi_calling_enabled = !phone.device.wifi_calling_enabled;
  return phone.device.wifi_calling_enabled;
}

/** Connects the VPN with the phone's VPN profile; `false` when it already was connected. */
export function connectVpn(phone: Phone): boolean {
  if (phone.device.vpn_connected) return false;
  phone.device.vpn_connected = true;
  phone.device.vpn_details = { ...phone.vpnProfile };
  return true;
}

/** Disconnects the VPN; `false` when none was connected. */
export function disconnectVpn(device: PhoneDevice): boolean {
  if (!device.vpn_connected) return false;
  device.vpn_connected = false;
  device.vpn_details = null;
  return true;
}

/** Reboots: applies a pending APN reset, then restarts the network (searching, then a search). Returns the progress lines. */
export function reboot(phone: Phone): string[] {
  const lines: string[] = [];
  if (phone.device.active_apn_settings.reset_at_reboot) {
    lines.push('Resetting APN settings...');
    phone.device.active_apn_settings = defaultApnSettings();
  }
  lines.push('Restarting network services...');
  phone.device.network_connection_status = 'searching';
  simulateNetworkSearch(phone);
  return lines;
}
