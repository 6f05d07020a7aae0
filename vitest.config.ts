// Two groups: the quick files run two at a time; then the heavy ones (real processes, thousands of
// sockets, kills and timing bounds) run one at a time, so one's load never skews another's timings.
import { defineConfig } from 'vitest/config'

const HEAVY = [
  'test/integration/fault-*.test.ts',
  'test/integration/secrecy.test.ts',
  'test/integration/ballot-crash.test.ts',
  'test/integration/ballot-race.test.ts',
  'test/integration/crash.test.ts',
  'test/integration/multinode.test.ts',
]

export default defineConfig({
  test: {
    globalSetup: ['test/setup/redis.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // A browser page's reaction to a click (a command to the server, its ack, a re-render) may take
    // more than vitest's default second while another file shares the two cores.
    expect: { poll: { timeout: 5000 } },
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'quick',
          include: ['test/**/*.test.ts'],
          exclude: HEAVY,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'heavy',
          include: HEAVY,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
