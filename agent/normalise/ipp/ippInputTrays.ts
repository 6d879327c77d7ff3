/**
 * printer-input-tray (PWG 5100.13): one `key=value;` string per tray in the RFC 3805 prtInputTable
 * vocabulary (type, maxcapacity, level, name, medianame, …). Levels use the same special values
 * as supplies: -1 other, -2 unknown, -3 some remaining.
 */
import type { InputTray } from '../../../shared/snapshot.js';
import { cleanText } from '../deviceText.js';
import { parseInteger, parseKeyValueList, stringsOf, type IppAttributes } from './ippAttributes.js';

export function ippInputTrays(attrs: IppAttributes, lowPercent: number): InputTray[] {
  const trays: InputTray[] = [];
  stringsOf(attrs, 'printer-input-tray').forEach((value, i) => {
    if (value === null || trays.length >= 64) return;
    const kv = parseKeyValueList(value);
    if (kv.size === 0) return;
    const level = parseInteger(kv.get('level'));
    const max = parseInteger(kv.get('maxcapacity'));
    let levelPercent: number | null = null;
    let state: InputTray['state'];
    if (level === null || level === -2 || (level < 0 && level !== -1 && level !== -3)) state = 'unknown';
    else if (level === -1) state = 'ok';
    else if (level === -3) state = 'someRemaining';
    else if (level === 0) state = 'empty';
    else if (max !== null && max > 0 && level <= max) {
      levelPercent = Math.round((level / max) * 1000) / 10;
      state = levelPercent <= lowPercent ? 'low' : 'ok';
    } else state = 'someRemaining';
    const media = cleanText(kv.get('medianame') ?? kv.get('mediatype') ?? '');
    trays.push({
      index: parseInteger(kv.get('index')) ?? i + 1,
      name: (cleanText(kv.get('name') ?? kv.get('description') ?? '') || `Tray ${i + 1}`).slice(0, 512),
      media: media ? media.slice(0, 512) : null,
      levelPercent,
      state,
    });
  });
  return trays;
}
