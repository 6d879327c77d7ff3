import { describe, expect, it } from 'vitest';
import { decodeDeviceText, decodeDeviceTextHex } from '../../../agent/normalise/deviceText.js';

describe('device text decoding', () => {
  it('UTF-8 (Ricoh Traditional Chinese, hex in the recording)', () => {
    expect(decodeDeviceTextHex('E9BB91E889B2E7A2B3E7B289')).toBe('黑色碳粉');
  });
  it('Latin-1 when the bytes are not UTF-8', () => {
    expect(decodeDeviceText(Uint8Array.of(0x54, 0xf3, 0x6e, 0x65, 0x72))).toBe('Tóner');
  });
  it('hex-encoded text is decoded once more; identifiers are not', () => {
    const hexText = Buffer.from('426C61636B20546F6E6572', 'latin1');
    expect(decodeDeviceText(hexText)).toBe('Black Toner');
    expect(decodeDeviceText(Buffer.from('43413031', 'latin1'), { hexEncodedText: false })).toBe('43413031');
    expect(decodeDeviceText(Buffer.from('12345678', 'latin1'))).toBe('12345678');
  });
  it('NUL padding, control characters and white space', () => {
    expect(decodeDeviceText(Uint8Array.of(0x41, 0x42, 0x00, 0x43))).toBe('AB');
    expect(decodeDeviceText(Buffer.from(' Black\r\n\tToner  ', 'latin1'))).toBe('Black Toner');
    expect(decodeDeviceText(new Uint8Array(0))).toBe('');
  });
});
