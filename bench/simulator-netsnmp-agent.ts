/**
 * Benchmark helper (started by bench/simulator-snmp.ts in its own process): net-snmp's Agent
 * serving the system-group scalars of one recording, to measure how fast net-snmp's agent
 * answers compared with the simulator's own responder.
 *
 * Usage: tsx bench/simulator-netsnmp-agent.ts <port> <recording.snmprec> <community>
 */
import { readFileSync } from 'node:fs';
import snmp from 'net-snmp';
import { OID } from '../mibs/oids.generated.js';
import { parseSnmprec } from '../agent/simulator/snmprec.js';

const [portText, file, community] = process.argv.slice(2);
if (!portText || !file || !community) {
  process.stderr.write('usage: simulator-netsnmp-agent.ts <port> <recording.snmprec> <community>\n');
  process.exit(2);
}
/** The part of net-snmp's (untyped) Agent used here. */
interface NetSnmpAgent {
  getAuthorizer(): { addCommunity(community: string): void };
  getMib(): { registerProvider(provider: object): void; setScalarValue(name: string, value: unknown): void };
  close(): void;
}

const { rows } = parseSnmprec(readFileSync(file, 'utf8'));
const agent = snmp.createAgent({ port: Number(portText), address: '127.0.0.1', disableAuthorization: false }, (error: Error | null) => {
  if (error) process.stderr.write(`agent error: ${error.message}\n`);
}) as NetSnmpAgent;
agent.getAuthorizer().addCommunity(community);
const mib = agent.getMib();
const scalars = ['sysDescr', 'sysObjectID', 'sysContact', 'sysName', 'sysLocation'] as const;
for (const name of scalars) {
  const row = rows.find(([oid]) => oid === `${OID[name]}.0`);
  if (!row) continue;
  const value = row[1];
  const isOid = value.type === 'OID';
  mib.registerProvider({
    name,
    type: snmp.MibProviderType.Scalar,
    oid: OID[name],
    scalarType: isOid ? snmp.ObjectType.OID : snmp.ObjectType.OctetString,
    maxAccess: snmp.MaxAccess['read-only'],
  });
  mib.setScalarValue(name, isOid ? value.value : value.type === 'OctetString' ? value.value.toString('latin1') : '');
}
process.stdout.write('ready\n');
const stop = () => {
  agent.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
