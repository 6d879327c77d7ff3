/**
 * The missing-meter check on a timer (the leader instance only), the shell around
 * missingMeterAlert.ts: every `intervalMs` (and once shortly after start) it lists the meter
 * devices and the fleet's devices that never reported a meter, finds those silent for their
 * customer's `missingMeterDays` before the coming cut-off (or never read), and raises each one's alert once per period: in one unit of work the alert record, the event in
 * the device's meter timeline and the notification deliveries (meter.missing: the dispatch lists,
 * and the customer's addresses when its notifications list the event). A reading clears the alert
 * (meterRecorder.ts). Time comes from the injected clock.
 */
import { RepeatingTask } from '../cluster/repeatingTask.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import type { DeviceRecord } from '../fleet/fleetModel.js';
import { FLEET_COLLECTIONS } from '../fleet/fleetModel.js';
import { missingMeterFacts } from '../notifications/noticeFacts.js';
import type { NotificationService } from '../notifications/notificationService.js';
import type { Repository } from '../storage/repository.js';
import type { BillingSettings } from './billingPeriod.js';
import { missingMeters } from './meterExport.js';
import { ledgerDevices, unreadDevice, type MeterDevice } from './meterLedger.js';
import { METER_COLLECTIONS } from './meterRecorder.js';
import { alertsToRaise, deviceWithAlert, type MissingMeterAlert } from './missingMeterAlert.js';

export interface MissingMeterWatchOptions {
  readonly repo: Repository;
  readonly clock: Clock;
  readonly billingOf: (customerId: string) => BillingSettings;
  /** The customer's name and contact address (fleet.customers.<id>). */
  readonly customerOf: (customerId: string) => { readonly name: string; readonly contactEmail?: string | undefined };
  readonly notifications?: Pick<NotificationService, 'queueMeterIn' | 'queued'>;
  readonly logger?: Logger;
  /** Between two checks; default an hour (missingMeterDays counts in days). */
  readonly intervalMs?: number;
  /** The first check after start; default a minute. */
  readonly firstCheckDelayMs?: number;
}

export class MissingMeterWatch {
  private readonly repeating: RepeatingTask;
  private checking: Promise<MissingMeterAlert[]> | undefined;

  constructor(private readonly o: MissingMeterWatchOptions) {
    this.repeating = new RepeatingTask({
      clock: o.clock,
      firstDelayMs: o.firstCheckDelayMs ?? 60_000,
      intervalMs: () => o.intervalMs ?? 3_600_000,
      run: () => this.check(),
      onError: (err) => o.logger?.error({ err }, 'missing-meter check failed'),
    });
  }

  /** Raises the alerts due now; resolves with those it raised. */
  check(): Promise<MissingMeterAlert[]> {
    this.checking ??= this.run().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async run(): Promise<MissingMeterAlert[]> {
    const now = this.o.clock.now();
    const devices = ledgerDevices(
      await this.o.repo.list<MeterDevice>(METER_COLLECTIONS.devices),
      await this.o.repo.list<DeviceRecord>(FLEET_COLLECTIONS.devices),
    );
    const missing = missingMeters(devices, now, this.o.billingOf);
    if (missing.length === 0) return [];
    const raised = new Set((await this.o.repo.list<MissingMeterAlert>(METER_COLLECTIONS.alerts)).map((a) => a.id));
    const due = alertsToRaise(missing, (id) => raised.has(id), now, this.o.billingOf);
    const done: MissingMeterAlert[] = [];
    for (const alert of due) {
      const wrote = await this.o.repo.transaction(async (tx) => {
        // Checked again inside the unit: another instance or an earlier check may have raised it.
        if ((await tx.get(METER_COLLECTIONS.alerts, alert.id)) !== undefined) return false;
        const fleet = await tx.get<DeviceRecord>(FLEET_COLLECTIONS.devices, alert.deviceKey);
        // A device that never reported a meter gets its ledger record with the alert.
        const device = (await tx.get<MeterDevice>(METER_COLLECTIONS.devices, alert.deviceKey)) ?? (fleet ? unreadDevice(fleet) : undefined);
        // A reading arrived since the list was read: nothing is missing.
        if (!device || (device.last?.at ?? null) !== alert.lastReadingAt) return false;
        await tx.put(METER_COLLECTIONS.alerts, alert.id, alert);
        await tx.put(METER_COLLECTIONS.devices, alert.deviceKey, deviceWithAlert(device, alert, this.o.billingOf(alert.customerId).timeZone));
        const customer = this.o.customerOf(alert.customerId);
        const facts = missingMeterFacts(
          {
            deviceKey: alert.deviceKey,
            customer: { id: alert.customerId, name: customer.name },
            serial: device.serial ?? fleet?.identity.serial ?? null,
            model: fleet?.identity.model ?? null,
            period: alert.period,
            cutoff: alert.cutoff,
            lastReadingAt: alert.lastReadingAt,
          },
          alert.raisedAt,
        );
        await this.o.notifications?.queueMeterIn(tx, facts, customer.contactEmail);
        return true;
      });
      if (wrote) done.push(alert);
    }
    if (done.length > 0) {
      this.o.notifications?.queued();
      this.o.logger?.info({ devices: done.map((a) => a.deviceKey), periods: [...new Set(done.map((a) => a.period))] }, 'missing meters: alerts raised');
    }
    return done;
  }

  /** Runs it on a timer (the leader instance only). */
  start(): void {
    this.repeating.start();
  }

  stop(): void {
    this.repeating.stop();
  }
}
