import { defineConfig } from 'vitest/config';

// Peer suite: scenarios against real Debian programs (mosquitto, snmpsimd,
// ippeveprinter, chromium) started on loopback ports by the tests themselves.
export default defineConfig({
  test: {
    include: ['test/peers/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Peers bind ports and spawn daemons; one file at a time keeps a 2-core box responsive.
    fileParallelism: false,
  },
});
