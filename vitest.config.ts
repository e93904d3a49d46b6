import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests start real servers (Postfix, slapd, the relay) on loopback ports
    // chosen at run time; two cores, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    // hang guards only, never a measure of speed: the suite must pass on a 2-core machine
    // with both cores busy, where a test that takes 5 s idle can take a minute
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
