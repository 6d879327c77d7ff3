import { defineConfig } from 'vitest/config';

// Unit suite: pure code and in-process fakes only; needs nothing but Node.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
