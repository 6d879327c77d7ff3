/**
 * A DeviceSnapshot as plain text for a person at a terminal (`fleetdesk probe`). Pure.
 *
 * Interface (stable; the IPP probe reuses it):
 *   renderSnapshot(snapshot: DeviceSnapshot): string   -- ends with a newline, no ANSI colours
 */
import { FAULTS } from '../../shared/faults.js';
import type { DeviceSnapshot, Supply } from '../../shared/snapshot.js';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

function bar(percent: number | null): string {
  if (percent === null) return '          ';
  const filled = Math.round(percent / 10);
  return `${'#'.repeat(filled)}${'.'.repeat(10 - filled)}`;
}

function supplyLevel(s: Supply): string {
  if (s.levelPercent !== null) return `${s.levelPercent}%${s.kind === 'waste' || s.state === 'nearFull' || s.state === 'full' ? ' full' : ''}`;
  const raw = s.raw.level;
  return raw === null ? 'no level' : `raw ${raw}${s.raw.max !== null ? `/${s.raw.max}` : ''}`;
}

/** Vendor and model without saying the vendor twice ("HP Color LaserJet", not "HP HP Color LaserJet"); '' when neither is known. */
export function deviceTitle(id: DeviceSnapshot['identity']): string {
  const model = id.model ?? '';
  const vendorInModel = id.vendor !== undefined && model.toLowerCase().startsWith(id.vendor.toLowerCase().split(' ')[0]!);
  return (vendorInModel ? model : [id.vendor, model].filter(Boolean).join(' ')).trim();
}

export function renderSnapshot(snapshot: DeviceSnapshot): string {
  const id = snapshot.identity;
  const lines: string[] = [];
  lines.push(deviceTitle(id) || '(unidentified device)');
  const field = (k: string, v: string | undefined) => {
    if (v) lines.push(`  ${pad(k, 10)} ${v}`);
  };
  field('address', `${snapshot.address} (${snapshot.protocols.join(', ')})`);
  field('status', snapshot.status);
  field('serial', id.serial);
  field('sysName', id.sysName);
  field('location', id.location);
  field('mac', id.mac);
  field('uuid', id.uuid);
  field('firmware', id.firmware);
  field('sysObjID', id.sysObjectId);
  field('sysDescr', id.sysDescr);
  field('read at', snapshot.collectedAt);

  lines.push('', `Faults (${snapshot.faults.length})`);
  if (snapshot.faults.length === 0) lines.push('  none');
  for (const f of snapshot.faults) {
    const where = f.subunit ? ` [${[f.subunit.group, f.subunit.index].filter((x) => x !== undefined).join(' #')}]` : '';
    lines.push(`  ${pad(f.severity.toUpperCase(), 8)} ${pad(f.code, 18)} ${f.message}${where}  (from ${f.source}${f.rawCode ? `: ${f.rawCode}` : ''})`);
  }

  lines.push('', `Supplies (${snapshot.supplies.length})`);
  if (snapshot.supplies.length === 0) lines.push('  none reported');
  const nameWidth = Math.min(40, Math.max(8, ...snapshot.supplies.map((s) => s.name.length)));
  for (const s of snapshot.supplies) {
    const name = s.name.length > nameWidth ? `${s.name.slice(0, nameWidth - 1)}…` : s.name;
    lines.push(
      `  ${pad(`#${s.index}`, 4)} ${pad(name, nameWidth)}  ${pad(s.kind, 11)} ${pad(s.color ?? '', 8)} ${bar(s.levelPercent)} ${pad(supplyLevel(s), 12)} ${s.state}${s.partNumber ? `  part ${s.partNumber}` : ''}`,
    );
  }

  if (snapshot.inputs.length > 0) {
    lines.push('', `Paper inputs (${snapshot.inputs.length})`);
    for (const t of snapshot.inputs) {
      lines.push(`  ${pad(`#${t.index}`, 4)} ${pad(t.name, 24)} ${pad(t.media ?? '', 14)} ${t.levelPercent !== null ? `${t.levelPercent}% ` : ''}${t.state}`);
    }
  }

  const counters = Object.entries(snapshot.counters);
  lines.push('', 'Counters');
  if (counters.length === 0) lines.push('  none reported');
  for (const [k, v] of counters) lines.push(`  ${pad(k, 14)} ${v}`);

  const critical = snapshot.faults.filter((f) => f.severity === 'critical').map((f) => FAULTS[f.code].label.en);
  if (critical.length > 0) lines.push('', `Needs attention: ${[...new Set(critical)].join(', ')}`);
  return `${lines.join('\n')}\n`;
}
