/**
 * Reference consumer for bench/ingestThroughput.ts: a bare mqtt.js v5 client (the library the
 * server's external subscriber uses) that drains a persistent QoS 1 session and acknowledges every
 * message at once, doing nothing else (`--work none`), or also decoding and validating each payload
 * as the server does (`--work decode`: shared/wire/codec.ts). Tells how much of the gap between
 * the server and `mosquitto_sub` is the MQTT client library, how much decoding, and how much the
 * rest of ingest (dedup, fleet state, history, tickets, durable commit).
 *
 *   npx tsx bench/bareMqttSubscriber.ts --url mqtt://127.0.0.1:PORT --client-id ID --messages N [--work none|decode]
 *
 * Prints one JSON line {seconds, cpuSeconds, messages, rejected} (first to last message) and exits.
 * Bounded: gives up after 90 s.
 */
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { decodeMessage } from '../shared/wire/codec.js';
import { precompileWireValidators } from '../shared/wire/compiledValidators.js';
import { serverSubscriptions } from '../shared/wire/topics.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    'client-id': { type: 'string' },
    messages: { type: 'string' },
    work: { type: 'string', default: 'none' },
    'receive-maximum': { type: 'string', default: '8192' },
  },
});
if (!values.url || !values['client-id'] || !values.messages) throw new Error('--url, --client-id and --messages are required');
const M = Number(values.messages);
const decode = values.work === 'decode';
if (decode) precompileWireValidators();

let count = 0;
let rejected = 0;
let first = 0;
let firstCpu: NodeJS.CpuUsage | undefined;
const limit = setTimeout(() => {
  console.error(`bare subscriber received only ${count}/${M} within 90 s`);
  process.exit(1);
}, 90_000);

const client = mqtt.connect(values.url, {
  protocolVersion: 5,
  clientId: values['client-id'],
  clean: false,
  reconnectPeriod: 0,
  properties: { receiveMaximum: Number(values['receive-maximum']), sessionExpiryInterval: 3600 },
  // As the server does: mqtt.js' debug logger costs ~1 µs per message even when off.
  log: () => undefined,
});
client.on('connect', () => client.subscribe(serverSubscriptions(), { qos: 1 }));
client.on('message', (topic, payload) => {
  if (count === 0) {
    first = performance.now();
    firstCpu = process.cpuUsage();
  }
  if (decode && !decodeMessage(topic, payload).ok) rejected++;
  if (++count === M) {
    const seconds = (performance.now() - first) / 1000;
    const cpu = process.cpuUsage(firstCpu);
    clearTimeout(limit);
    console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, messages: M - 1, rejected }));
    // Let mqtt.js send the last PUBACK before leaving.
    setImmediate(() => client.end(false, {}, () => process.exit(0)));
  }
});
client.on('error', (err) => {
  console.error(`bare subscriber: ${err.message}`);
  process.exit(1);
});
