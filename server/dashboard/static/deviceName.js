/**
 * What a device is called on screen: vendor and model, without saying the vendor twice. Printers
 * often put the vendor into their model name (hrDeviceDescr "HP Color LaserJet MFP M480f" with
 * vendor "HP"), which would otherwise show as "HP HP Color LaserJet MFP M480f". Pure, unit-tested
 * from Node (test/unit/dashboard/).
 */
export function deviceName(vendor, model, fallback) {
  const v = (vendor ?? '').trim();
  const m = (model ?? '').trim();
  if (m === '') return v || fallback;
  if (v === '' || m.toLowerCase() === v.toLowerCase() || m.toLowerCase().startsWith(`${v.toLowerCase()} `)) return m;
  return `${v} ${m}`;
}
