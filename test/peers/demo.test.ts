/**
 * `npm start` (fleetdesk demo) end to end: the real server, simulator and agent in one process.
 * The scripted jam and open door must open tickets by themselves, with deadlines under the
 * device-vendor contract, within the first minute.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../../bin/demo/startDemo.js';
import type { Notice } from '../../server/tickets/ticketPolicy.js';
import { createLogger } from '../../shared/logging.js';
import { makeTempDir, waitUntil } from '../harness/peers.js';

const dir = makeTempDir('demo');
const notices: Notice[] = [];
let demo: RunningDemo;

beforeAll(async () => {
  demo = await startDemo({
    devices: 8,
    dataDir: dir.path,
    httpPort: 0,
    mqttPort: 0,
    pollSeconds: 2,
    scenario: 'demo',
    logger: createLogger({ name: 'demo-test', level: 'warn', format: 'json' }),
    onNotice: (n) => notices.push(n),
  });
});

afterAll(async () => {
  await demo?.stop();
  dir.remove();
});

it('opens tickets for the scripted door and jam, with SLA deadlines', async () => {
  await waitUntil(() => notices.some((n) => n.kind === 'ticket.opened' && /Paper jam/.test(n.detail)), 'a jam ticket', 90_000, 250);
  const opened = notices.filter((n) => n.kind === 'ticket.opened');
  expect(opened.some((n) => /Door or cover open/.test(n.detail))).toBe(true);
  for (const n of opened) expect(n.detail).toMatch(/reaction due \d{4}-\d\d-\d\dT/);
  const queue = await demo.app.tickets.workQueue();
  expect(queue.length).toBeGreaterThanOrEqual(opened.length - notices.filter((n) => n.kind === 'ticket.resolved').length);
  const health = await fetch(demo.healthUrl);
  expect(health.status).toBe(200);
});
