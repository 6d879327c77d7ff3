import { describe, expect, it } from 'vitest';
import { errorStateFaults, setBits } from '../../../agent/normalise/errorState.js';
import { HR_PRINTER_ERROR_BITS } from '../../../mibs/oids.generated.js';

/** The value with exactly bit `n` set (bit 0 = MSB of octet 0), `octets` long. */
function withBit(n: number, octets = 2): Uint8Array {
  const b = new Uint8Array(octets);
  b[Math.floor(n / 8)] = 0x80 >> (n % 8);
  return b;
}

describe('hrPrinterDetectedErrorState', () => {
  const expected = [
    'paper.low',
    'paper.empty',
    'toner.low',
    'toner.empty',
    'door.open',
    'jam',
    'offline',
    'service.requested',
    'input.trayMissing',
    'output.trayMissing',
    'supply.missing',
    'output.nearFull',
    'output.full',
    'paper.empty',
    'maintenance.due',
  ];

  it.each(expected.map((code, bit) => [bit, HR_PRINTER_ERROR_BITS[bit], code]))('bit %i (%s) -> %s', (bit, name, code) => {
    const faults = errorStateFaults(withBit(bit));
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({ code, source: 'hrErrorState', rawCode: name });
  });

  it('reads zero-length, one-octet and long values; missing octets mean no condition', () => {
    expect(errorStateFaults(new Uint8Array(0))).toEqual([]);
    expect(errorStateFaults(Uint8Array.of(0x00))).toEqual([]);
    expect(errorStateFaults(Uint8Array.of(0x04)).map((f) => f.code)).toEqual(['jam']);
    expect(errorStateFaults(Uint8Array.of(0x01, 0x00)).map((f) => f.code)).toEqual(['service.requested']);
    expect(errorStateFaults(Uint8Array.of(0x80, 0x00)).map((f) => f.code)).toEqual(['paper.low']);
    expect(errorStateFaults(Uint8Array.of(0x20, 0x00)).map((f) => f.code)).toEqual(['toner.low']);
    expect(setBits(Uint8Array.of(0xff, 0xfe))).toHaveLength(15);
  });

  it('keeps undefined bits (15 and beyond) as unclassified, never drops them', () => {
    const f = errorStateFaults(Uint8Array.of(0x00, 0x01, 0x80));
    expect(f.map((x) => [x.code, x.rawCode])).toEqual([
      ['unclassified', 'bit15'],
      ['unclassified', 'bit16'],
    ]);
  });

  it('on an inkjet, the toner bits mean ink', () => {
    expect(errorStateFaults(Uint8Array.of(0x30), 'ink').map((f) => f.code)).toEqual(['ink.low', 'ink.empty']);
  });
});
