import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logging.js';
import { REDACTED, redactSecrets } from '../../../shared/secrets.js';

describe('secrets', () => {
  it('redacts secret-named fields at any depth, keeps the rest', () => {
    const cfg = {
      broker: { url: 'mqtt://x', password: 'p' },
      snmp: {
        credentials: [
          { version: '2c', community: 'private' },
          { version: '3', user: 'u', authKey: 'k1', privKey: 'k2' },
        ],
      },
    };
    expect(redactSecrets(cfg)).toEqual({
      broker: { url: 'mqtt://x', password: REDACTED },
      snmp: {
        credentials: [
          { version: '2c', community: REDACTED },
          { version: '3', user: 'u', authKey: REDACTED, privKey: REDACTED },
        ],
      },
    });
    expect(cfg.broker.password).toBe('p');
  });

  it('never writes a secret to a log line', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger({ name: 'test', format: 'json', destination: sink });
    log.info({ broker: { password: 'hunter2' }, credential: { community: 'private-comm' }, token: 'tok-123' }, 'connecting');
    log.info({ device: { snmp: { v3: { privKey: 'pk-999' } } } }, 'nested');
    const out = lines.join('');
    expect(out).toContain('connecting');
    for (const secret of ['hunter2', 'private-comm', 'tok-123', 'pk-999']) expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });
});
