/**
 * SNMP v1/v2c command responder as a pure function: request datagram in, response datagram
 * (or a reason to stay silent) out. GET, GETNEXT and GETBULK are answered from a MibTable;
 * SET is refused (the simulator is read-only); SNMPv3 is not simulated and is dropped.
 *
 * Drops never throw: a malformed packet is an outcome, so the socket loop cannot crash.
 */
import { BerError, decodeOid, encodeVarbind, expectTlv, lengthOfLength, readInteger, readTlv, TAG, writeLength } from './ber.js';
import type { MibEntry, MibTable } from './mibTable.js';

export const SNMP_VERSION_1 = 0;
export const SNMP_VERSION_2C = 1;

/** RFC 3416 error-status values used here. */
const ERR = { noError: 0, tooBig: 1, noSuchName: 2, genErr: 5, notWritable: 17 } as const;

export interface ResponderLimits {
  /** Largest response datagram we build; bigger GET answers become tooBig, GETBULK stops early. */
  maxResponseBytes: number;
  /** Upper bound on varbinds in one GETBULK answer (protects against max-repetitions 2^31). */
  maxBulkVarbinds: number;
}

export const DEFAULT_LIMITS: ResponderLimits = { maxResponseBytes: 65_000, maxBulkVarbinds: 2_000 };

/** What the community names: a device's table, a device that is silent right now, or nothing. */
export type CommunityTarget = MibTable | 'silent' | undefined;

export type RespondOutcome =
  | { readonly kind: 'response'; readonly packet: Buffer; readonly community: string }
  | { readonly kind: 'drop'; readonly reason: 'malformed' | 'unsupportedVersion' | 'unknownCommunity' | 'silent' | 'notARequest'; readonly detail: string };

interface RequestVarbind {
  /** Raw SEQUENCE bytes (echoed in v1 error responses). */
  readonly raw: Buffer;
  /** Raw OID TLV bytes (echoed when the answer carries an exception). */
  readonly oidTlv: Buffer;
  /** OID content bytes as latin1, for exact lookups. */
  readonly key: string;
  readonly oid: number[];
}

const EXCEPTION = {
  noSuchObject: Buffer.from([TAG.noSuchObject, 0]),
  noSuchInstance: Buffer.from([TAG.noSuchInstance, 0]),
  endOfMibView: Buffer.from([TAG.endOfMibView, 0]),
};

function tlvSize(contentLength: number): number {
  return 1 + lengthOfLength(contentLength) + contentLength;
}

function smallInteger(value: number): Buffer {
  // error-status and error-index are small non-negative numbers.
  return value < 0x80 ? Buffer.from([TAG.integer, 1, value]) : Buffer.from([TAG.integer, 2, value >> 8, value & 0xff]);
}

/**
 * Writes SEQUENCE { version, community, Response-PDU { request-id, error-status, error-index, varbinds } },
 * copying version, community and request-id verbatim from the request.
 */
function encodeResponse(
  version: Buffer,
  community: Buffer,
  requestId: Buffer,
  errorStatus: number,
  errorIndex: number,
  varbinds: readonly Buffer[],
  varbindBytes: number,
): Buffer {
  const status = smallInteger(errorStatus);
  const index = smallInteger(errorIndex);
  const pduContent = requestId.length + status.length + index.length + tlvSize(varbindBytes);
  const msgContent = version.length + community.length + tlvSize(pduContent);
  const out = Buffer.allocUnsafe(tlvSize(msgContent));
  out[0] = TAG.sequence;
  let pos = writeLength(out, 1, msgContent);
  pos += version.copy(out, pos);
  pos += community.copy(out, pos);
  out[pos] = TAG.response;
  pos = writeLength(out, pos + 1, pduContent);
  pos += requestId.copy(out, pos);
  pos += status.copy(out, pos);
  pos += index.copy(out, pos);
  out[pos] = TAG.sequence;
  pos = writeLength(out, pos + 1, varbindBytes);
  for (const vb of varbinds) pos += vb.copy(out, pos);
  return out;
}

/** Fixed overhead of a response around its varbind list, for size checks. */
function envelopeBytes(version: Buffer, community: Buffer, requestId: Buffer, varbindBytes: number): number {
  const pdu = requestId.length + 3 + 4 + tlvSize(varbindBytes);
  return tlvSize(version.length + community.length + tlvSize(pdu));
}

export function respond(packet: Buffer, resolve: (community: string) => CommunityTarget, limits: ResponderLimits = DEFAULT_LIMITS): RespondOutcome {
  let version: number;
  let versionRaw: Buffer;
  let communityRaw: Buffer;
  let community: string;
  let pduTag: number;
  let requestIdRaw: Buffer;
  let field2: number;
  let field3: number;
  const varbinds: RequestVarbind[] = [];
  try {
    const msg = expectTlv(packet, 0, packet.length, TAG.sequence, 'message');
    const ver = expectTlv(packet, msg.start, msg.end, TAG.integer, 'version');
    version = readInteger(packet, ver, 'version');
    if (version !== SNMP_VERSION_1 && version !== SNMP_VERSION_2C) {
      return { kind: 'drop', reason: 'unsupportedVersion', detail: version === 3 ? 'SNMPv3 is not simulated' : `version field ${version}` };
    }
    versionRaw = packet.subarray(msg.start, ver.next);
    const comm = expectTlv(packet, ver.next, msg.end, TAG.octetString, 'community');
    communityRaw = packet.subarray(ver.next, comm.next);
    community = packet.toString('latin1', comm.start, comm.end);
    const pdu = readTlv(packet, comm.next, msg.end);
    pduTag = pdu.tag;
    if (pduTag !== TAG.getRequest && pduTag !== TAG.getNextRequest && pduTag !== TAG.getBulkRequest && pduTag !== TAG.setRequest) {
      return { kind: 'drop', reason: 'notARequest', detail: `PDU tag 0x${pduTag.toString(16)}` };
    }
    if (pduTag === TAG.getBulkRequest && version === SNMP_VERSION_1) {
      return { kind: 'drop', reason: 'malformed', detail: 'GetBulkRequest in an SNMPv1 message' };
    }
    const rid = expectTlv(packet, pdu.start, pdu.end, TAG.integer, 'request-id');
    readInteger(packet, rid, 'request-id');
    requestIdRaw = packet.subarray(pdu.start, rid.next);
    const f2 = expectTlv(packet, rid.next, pdu.end, TAG.integer, 'error-status/non-repeaters');
    field2 = readInteger(packet, f2, 'error-status/non-repeaters');
    const f3 = expectTlv(packet, f2.next, pdu.end, TAG.integer, 'error-index/max-repetitions');
    field3 = readInteger(packet, f3, 'error-index/max-repetitions');
    const list = expectTlv(packet, f3.next, pdu.end, TAG.sequence, 'varbind list');
    let pos = list.start;
    while (pos < list.end) {
      const vb = expectTlv(packet, pos, list.end, TAG.sequence, 'varbind');
      const oid = expectTlv(packet, vb.start, vb.end, TAG.oid, 'varbind name');
      readTlv(packet, oid.next, vb.end); // the value (NULL in requests) must at least be well-formed
      varbinds.push({
        raw: packet.subarray(pos, vb.next),
        oidTlv: packet.subarray(vb.start, oid.next),
        key: packet.toString('latin1', oid.start, oid.end),
        oid: decodeOid(packet, oid.start, oid.end),
      });
      pos = vb.next;
    }
  } catch (err) {
    if (err instanceof BerError) return { kind: 'drop', reason: 'malformed', detail: err.message };
    throw err;
  }

  const target = resolve(community);
  if (target === undefined) return { kind: 'drop', reason: 'unknownCommunity', detail: 'no device answers to this community' };
  if (target === 'silent') return { kind: 'drop', reason: 'silent', detail: 'device is silent in its scenario' };
  const v1 = version === SNMP_VERSION_1;

  const reply = (status: number, index: number, vbs: readonly Buffer[]): RespondOutcome => {
    let bytes = 0;
    for (const vb of vbs) bytes += vb.length;
    if (status === ERR.noError && envelopeBytes(versionRaw, communityRaw, requestIdRaw, bytes) > limits.maxResponseBytes) {
      // RFC 3416 §4.2.1: tooBig carries an empty varbind list (v2c); v1 echoes the request.
      const echo = v1 ? varbinds.map((v) => v.raw) : [];
      let echoBytes = 0;
      for (const vb of echo) echoBytes += vb.length;
      return { kind: 'response', community, packet: encodeResponse(versionRaw, communityRaw, requestIdRaw, ERR.tooBig, 0, echo, echoBytes) };
    }
    return { kind: 'response', community, packet: encodeResponse(versionRaw, communityRaw, requestIdRaw, status, index, vbs, bytes) };
  };
  const v1Error = (status: number, index: number) =>
    reply(
      status,
      index,
      varbinds.map((v) => v.raw),
    );

  const entries = target.entries;
  /** Index of the next entry after the varbind's OID that this version may see, or -1 at the end. */
  const nextIndex = (vb: RequestVarbind): number => {
    const exact = target.indexOfKey(vb.key);
    let i = exact >= 0 ? exact + 1 : target.indexAfter(vb.oid);
    if (v1) while (i < entries.length && !entries[i]!.v1Visible) i++;
    return i < entries.length ? i : -1;
  };

  if (pduTag === TAG.setRequest) {
    // The simulator is read-only; v1 has no notWritable and answers noSuchName.
    if (varbinds.length === 0) return reply(ERR.noError, 0, []);
    return v1
      ? v1Error(ERR.noSuchName, 1)
      : reply(
          ERR.notWritable,
          1,
          varbinds.map((v) => v.raw),
        );
  }

  if (pduTag === TAG.getRequest) {
    const out: Buffer[] = [];
    for (let n = 0; n < varbinds.length; n++) {
      const vb = varbinds[n]!;
      const i = target.indexOfKey(vb.key);
      const entry = i >= 0 ? entries[i] : undefined;
      if (entry && (!v1 || entry.v1Visible)) {
        out.push(entry.live ? entry.live() : entry.varbind);
      } else if (v1) {
        return v1Error(ERR.noSuchName, n + 1);
      } else {
        // noSuchInstance when the object exists in some other instance, noSuchObject otherwise.
        const parent = vb.oid.slice(0, -1);
        const after = target.indexAfter(parent);
        const sameObject = after < entries.length && isPrefix(parent, entries[after]!.oid);
        out.push(encodeVarbind(vb.oidTlv, sameObject ? EXCEPTION.noSuchInstance : EXCEPTION.noSuchObject));
      }
    }
    return reply(ERR.noError, 0, out);
  }

  if (pduTag === TAG.getNextRequest) {
    const out: Buffer[] = [];
    for (let n = 0; n < varbinds.length; n++) {
      const vb = varbinds[n]!;
      const i = nextIndex(vb);
      if (i >= 0) out.push(wire(entries[i]!));
      else if (v1) return v1Error(ERR.noSuchName, n + 1);
      else out.push(encodeVarbind(vb.oidTlv, EXCEPTION.endOfMibView));
    }
    return reply(ERR.noError, 0, out);
  }

  // GETBULK (RFC 3416 §4.2.3)
  const nonRepeaters = Math.min(Math.max(field2, 0), varbinds.length);
  const maxRepetitions = Math.max(field3, 0);
  const out: Buffer[] = [];
  let bytes = 0;
  // Room left for varbinds once the envelope (sized for the largest list) is paid for.
  const budget = limits.maxResponseBytes - (envelopeBytes(versionRaw, communityRaw, requestIdRaw, limits.maxResponseBytes) - limits.maxResponseBytes);
  const push = (vb: Buffer): boolean => {
    if (out.length >= limits.maxBulkVarbinds || bytes + vb.length > budget) return false;
    out.push(vb);
    bytes += vb.length;
    return true;
  };
  for (let n = 0; n < nonRepeaters; n++) {
    const vb = varbinds[n]!;
    const i = nextIndex(vb);
    if (!push(i >= 0 ? wire(entries[i]!) : encodeVarbind(vb.oidTlv, EXCEPTION.endOfMibView))) return reply(ERR.noError, 0, out);
  }
  const repeaters = varbinds.slice(nonRepeaters);
  if (repeaters.length > 0 && maxRepetitions > 0) {
    // Cursor per repeating varbind: entry index, or -1 once it has run off the end.
    const cursors = repeaters.map((vb) => nextIndex(vb));
    const endOids = repeaters.map((vb) => vb.oidTlv);
    outer: for (let rep = 0; rep < maxRepetitions; rep++) {
      let allEnded = true;
      for (let r = 0; r < repeaters.length; r++) {
        const c = cursors[r]!;
        let ok: boolean;
        if (c >= 0) {
          allEnded = false;
          const entry = entries[c]!;
          ok = push(wire(entry));
          // An exhausted repeater keeps answering endOfMibView under the last name it returned.
          endOids[r] = entry.oidTlv;
          let next = c + 1;
          if (v1) while (next < entries.length && !entries[next]!.v1Visible) next++;
          cursors[r] = next < entries.length ? next : -1;
        } else {
          ok = push(encodeVarbind(endOids[r]!, EXCEPTION.endOfMibView));
        }
        if (!ok) break outer;
      }
      if (allEnded) break;
    }
  }
  return reply(ERR.noError, 0, out);
}

function wire(entry: MibEntry): Buffer {
  return entry.live ? entry.live() : entry.varbind;
}

function isPrefix(prefix: readonly number[], oid: readonly number[]): boolean {
  if (prefix.length > oid.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== oid[i]) return false;
  return true;
}
