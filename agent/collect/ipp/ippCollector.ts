/**
 * Collect one printer over IPP: Get-Printer-Attributes for just the attributes the normaliser
 * reads, decoded into tagged values. Network edge; the normaliser (agent/normalise/ipp/) is pure.
 */
import { systemClock, type Clock } from '../../../shared/clock.js';
import {
  DEFAULT_DECODE_LIMITS,
  IppDecodeError,
  decodeIppResponse,
  encodeGetPrinterAttributes,
  isSuccessStatus,
  printerAttributes,
  unsupportedAttributes,
  VERSION_NOT_SUPPORTED,
  type DecodeLimits,
  type IppAttribute,
  type IppResponse,
} from './ippMessage.js';
import { IppError, IppTransport, parsePrinterUri, type IppHttpResponse, type PrinterEndpoint, type TlsInfo, type TransportOptions } from './ippTransport.js';

/** Everything the IPP normaliser reads; asking for nothing else keeps responses small (KBs, not 50+ KB). */
export const REQUESTED_ATTRIBUTES = [
  'printer-state',
  'printer-state-reasons',
  'printer-state-message',
  'printer-is-accepting-jobs',
  'printer-uuid',
  'printer-make-and-model',
  'printer-device-id',
  'printer-firmware-name',
  'printer-firmware-string-version',
  'printer-serial-number',
  'printer-info',
  'printer-name',
  'printer-location',
  'marker-names',
  'marker-types',
  'marker-colors',
  'marker-levels',
  'marker-low-levels',
  'marker-high-levels',
  'printer-supply',
  'printer-supply-description',
  'printer-alert',
  'printer-alert-description',
  'printer-input-tray',
  'printer-impressions-completed',
  'printer-impressions-completed-col',
  'printer-media-sheets-completed',
  'printer-media-sheets-completed-col',
  'printer-pages-completed',
] as const;

export interface IppCollectorOptions extends TransportOptions {
  readonly decodeLimits: DecodeLimits;
}

export const DEFAULT_IPP_OPTIONS: IppCollectorOptions = {
  connectTimeoutMs: 3_000,
  totalTimeoutMs: 5_000,
  maxResponseBytes: 1024 * 1024,
  maxRedirects: 3,
  trustedFingerprints: [],
  decodeLimits: DEFAULT_DECODE_LIMITS,
};

/** From the agent config's `ipp` section: its timeout bounds the whole exchange. */
export function ippOptionsFromConfig(ipp: { timeout: number; trustedFingerprints: readonly string[] }): IppCollectorOptions {
  return {
    ...DEFAULT_IPP_OPTIONS,
    totalTimeoutMs: ipp.timeout,
    connectTimeoutMs: Math.min(DEFAULT_IPP_OPTIONS.connectTimeoutMs, ipp.timeout),
    trustedFingerprints: ipp.trustedFingerprints,
  };
}

export interface IppCollection {
  /** The printer URI asked for (ipp:// or ipps:// form, with explicit port). */
  readonly uri: string;
  /** The URI that answered, after redirects. */
  readonly answeredBy: string;
  readonly version: string;
  readonly status: string;
  /** Printer attributes by name (first occurrence). */
  readonly attributes: ReadonlyMap<string, IppAttribute>;
  /** Requested attributes the printer said it does not support. */
  readonly unsupported: readonly string[];
  /** Attribute names that occurred more than once (only the first is used). */
  readonly duplicates: readonly string[];
  readonly responseBytes: number;
  readonly elapsedMs: number;
  readonly tls?: TlsInfo;
  /** The decoded message, for tools that show everything (probe --raw, tests). */
  readonly response: IppResponse;
}

export class IppCollector {
  private readonly transport: IppTransport;
  private nextRequestId = 1;

  constructor(
    private readonly options: IppCollectorOptions = DEFAULT_IPP_OPTIONS,
    private readonly clock: Clock = systemClock,
  ) {
    this.transport = new IppTransport(options, clock);
  }

  /** Never resolves with partial data: any failure is an IppError naming the printer and the cause. */
  async getPrinterAttributes(uri: string, requested: readonly string[] = REQUESTED_ATTRIBUTES, signal?: AbortSignal): Promise<IppCollection> {
    const endpoint = parsePrinterUri(uri);
    const started = this.clock.now();
    let { answer, response } = await this.exchange(endpoint, requested, '2.0', signal);
    // An IPP/1.1-only printer refuses 2.0 requests; ask once more in its version.
    if (response.statusCode === VERSION_NOT_SUPPORTED) ({ answer, response } = await this.exchange(endpoint, requested, '1.1', signal));
    if (!isSuccessStatus(response.statusCode)) {
      throw new IppError('IPP_STATUS', endpoint.printerUri, `Get-Printer-Attributes failed with ${response.status}`);
    }
    const { attributes, duplicates } = printerAttributes(response);
    return {
      uri: endpoint.printerUri,
      answeredBy: answer.uri,
      version: response.version,
      status: response.status,
      attributes,
      unsupported: unsupportedAttributes(response),
      duplicates,
      responseBytes: answer.body.length,
      elapsedMs: this.clock.now() - started,
      tls: answer.tls,
      response,
    };
  }

  private async exchange(
    endpoint: PrinterEndpoint,
    requested: readonly string[],
    version: '2.0' | '1.1',
    signal: AbortSignal | undefined,
  ): Promise<{ answer: IppHttpResponse; response: IppResponse }> {
    const requestId = this.nextRequestId;
    this.nextRequestId = (this.nextRequestId % 0x7fffffff) + 1;
    const answer = await this.transport.post(
      endpoint,
      (printerUri) => encodeGetPrinterAttributes({ printerUri, requestId, requestedAttributes: requested, version }),
      signal,
    );
    try {
      return { answer, response: decodeIppResponse(answer.body, this.options.decodeLimits) };
    } catch (err) {
      if (err instanceof IppDecodeError) throw new IppError('DECODE', endpoint.printerUri, `${err.message} (response of ${answer.body.length} bytes)`);
      throw err;
    }
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.transport.close();
  }
}

/** One-shot collection (the probe command): opens and closes its own connection pool. */
export async function collectIpp(uri: string, options: IppCollectorOptions = DEFAULT_IPP_OPTIONS, clock: Clock = systemClock): Promise<IppCollection> {
  const collector = new IppCollector(options, clock);
  try {
    return await collector.getPrinterAttributes(uri);
  } finally {
    collector.close();
  }
}
