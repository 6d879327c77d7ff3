/**
 * Turning the bytes of an SNMP OCTET STRING (or an IPP text value) into readable text.
 *
 * Devices send UTF-8, Latin-1, NUL-padded fixed-width buffers, and sometimes the text as a
 * string of hex digits ("426C61636B…"). The rules, in order:
 *   1. cut at the first NUL (C-string buffers), drop trailing padding;
 *   2. valid UTF-8 is taken as UTF-8 (covers ASCII and the Ricoh Chinese descriptions);
 *      otherwise the bytes are Latin-1 (ISO 8859-1 maps every byte, so nothing is lost);
 *   3. a value that is nothing but an even number (>= 8) of hex digits, and whose decoding is
 *      itself readable text, is decoded once more (hex-encoded descriptions);
 *   4. control characters become spaces, runs of white space collapse, ends are trimmed.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function bytesFromHex(hex: string): Uint8Array {
  const clean = hex.length % 2 === 0 ? hex : `0${hex}`;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Bytes as text without cleaning: UTF-8 when valid, else Latin-1. NULs are kept. */
export function bytesToString(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return s;
  }
}

/** A string is "readable" when most of it is letters, digits, punctuation or spaces. */
export function isReadable(text: string): boolean {
  if (text.length === 0) return false;
  let good = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0)) good++;
  }
  return good / [...text].length >= 0.9;
}

export function cleanText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

export interface DecodeOptions {
  /**
   * Apply rule 3 (hex-encoded text). On for descriptions; off for identifiers such as serial
   * numbers, where "43413031" is a serial, not "CA01".
   */
  readonly hexEncodedText?: boolean;
}

/** Readable text from the raw bytes of a description (rules in the file header). */
export function decodeDeviceText(bytes: Uint8Array, options: DecodeOptions = {}): string {
  const nul = bytes.indexOf(0);
  const cut = nul >= 0 ? bytes.subarray(0, nul) : bytes;
  let text = bytesToString(cut);
  const compact = text.trim();
  if ((options.hexEncodedText ?? true) && compact.length >= 8 && compact.length % 2 === 0 && /^[0-9A-Fa-f]+$/.test(compact)) {
    const inner = bytesFromHex(compact);
    const innerNul = inner.indexOf(0);
    const decoded = bytesToString(innerNul >= 0 ? inner.subarray(0, innerNul) : inner);
    if (isReadable(decoded)) text = decoded;
  }
  return cleanText(text);
}

export function decodeDeviceTextHex(hex: string, options: DecodeOptions = {}): string {
  return decodeDeviceText(bytesFromHex(hex), options);
}
