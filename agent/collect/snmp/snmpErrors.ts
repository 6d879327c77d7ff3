/**
 * Why an SNMP collection of one device failed. One error per device; the process carries on.
 * Messages name the device and what was expected/found, never a community or key.
 */
export type SnmpErrorCode =
  /** No answer at all (device off, SNMP off, wrong community: v1/v2c agents stay silent). */
  | 'noResponse'
  /** SNMPv3 user unknown, wrong keys, or privacy failed. */
  | 'authFailure'
  /** Answers that are not valid SNMP (garbage, truncated BER) or do not match the request. */
  | 'malformedResponse'
  /** The agent answered with an error status. */
  | 'requestFailed'
  /** A walk returned an OID not after the previous one (loop, going backwards). */
  | 'walkNotIncreasing'
  /** A walk returned more values than allowed. */
  | 'walkTooLong'
  /** The whole collection took longer than its time budget. */
  | 'timeBudget'
  /** The credential is incomplete (e.g. authPriv without a privacy key). */
  | 'badCredential'
  /** The device answers SNMP but shows no printer objects. */
  | 'notAPrinter';

export class SnmpCollectError extends Error {
  constructor(
    readonly code: SnmpErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SnmpCollectError';
  }
}
