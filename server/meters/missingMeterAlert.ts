/**
 * The missing-meter alert (pure): a device silent for the customer's `missingMeterDays` before a
 * billing cut-off (missingMeters in meterExport.ts) raises one alert for that cut-off's period,
 * once: the alert is stored under "<deviceKey>|<period>", so a restart, a second check or a
 * second instance does not raise it again. The next reading the device sends clears it.
 */
import { periodOf, type BillingSettings } from './billingPeriod.js';
import type { MissingMeter } from './meterExport.js';
import { MAX_DEVICE_EVENTS, type MeterDevice, type MeterDeviceEvent } from './meterLedger.js';

export interface MissingMeterAlert {
  readonly id: string;
  readonly deviceKey: string;
  readonly customerId: string;
  /** The period the cut-off closes. */
  readonly period: string;
  readonly cutoff: number;
  readonly raisedAt: number;
  readonly lastReadingAt: number | null;
  /** When a reading came in after the alert; null while the meter is missing. */
  readonly clearedAt: number | null;
}

export const missingMeterAlertId = (deviceKey: string, period: string): string => `${deviceKey}|${period}`;

/** The alerts to raise now: devices missing their meter whose alert for that period was never raised. */
export function alertsToRaise(
  missing: readonly MissingMeter[],
  raised: (id: string) => boolean,
  now: number,
  settingsFor: (customerId: string) => BillingSettings,
): MissingMeterAlert[] {
  const out: MissingMeterAlert[] = [];
  for (const m of missing) {
    // The cut-off is the period's end: the instant before it is still in the period.
    const period = periodOf(m.cutoff - 1, settingsFor(m.customerId));
    const id = missingMeterAlertId(m.deviceKey, period);
    if (raised(id)) continue;
    out.push({
      id,
      deviceKey: m.deviceKey,
      customerId: m.customerId,
      period,
      cutoff: m.cutoff,
      raisedAt: now,
      lastReadingAt: m.lastReadingAt,
      clearedAt: null,
    });
  }
  return out;
}

const withEvent = (device: MeterDevice, event: MeterDeviceEvent): MeterDeviceEvent[] => [...device.events, event].slice(-MAX_DEVICE_EVENTS);

/** The device after its alert was raised: the alert noted on it, an event in its timeline. */
export function deviceWithAlert(device: MeterDevice, alert: MissingMeterAlert, timeZone: string): MeterDevice {
  const day = new Date(alert.cutoff).toLocaleString('sv-SE', { timeZone }).slice(0, 16);
  const last = alert.lastReadingAt !== null ? `last reading ${new Date(alert.lastReadingAt).toISOString()}` : 'no reading yet';
  return {
    ...device,
    missingMeter: { id: alert.id, raisedAt: alert.raisedAt },
    events: withEvent(device, {
      at: alert.raisedAt,
      kind: 'missingMeter',
      detail: `meter missing before the ${alert.period} cut-off (${day}, ${timeZone}): ${last}`,
    }),
  };
}

/** A reading at `at` cleared the device's alert: the alert closed, an event in the timeline, the note removed. */
export function clearAlert(device: MeterDevice, alert: MissingMeterAlert | undefined, at: number): { device: MeterDevice; alert: MissingMeterAlert | null } {
  const { missingMeter: _cleared, ...rest } = device;
  const event: MeterDeviceEvent = {
    at,
    kind: 'meterBack',
    detail: `meter reading received after the missing-meter alert of ${alert?.period ?? 'an earlier period'}`,
  };
  return { device: { ...rest, events: withEvent(device, event) }, alert: alert && alert.clearedAt === null ? { ...alert, clearedAt: at } : null };
}
