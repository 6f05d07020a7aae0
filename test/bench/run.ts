// npm run bench -- <scenario> [options]
//
// Runs one load scenario against real server processes and prints progress on stderr and ONE JSON
// object as the last line of stdout. Every process and temp directory it starts is removed at the
// end, on failure, on Ctrl-C and at the time limit (--timeout seconds). Scenarios live in
// test/bench/scenarios/<name>.ts and register in SCENARIOS below; shared pieces are in test/bench/lib.
//
// Common options: --store sqlite|redis (default sqlite; redis with --nodes > 1), --nodes N,
// --timeout S, --cpu-prof [DIR] (V8 profile of each node, written when it stops),
// --broadcast-interval MS (the servers' BROADCAST_INTERVAL_MS), --server-root DIR (run another tree),
// --wait-quiet S (wait for a shared machine to go idle first), --keep (keep temp dirs and logs).
import { execFileSync } from 'node:child_process'
import { Args } from './lib/args'
import { Cleanup } from './lib/cleanup'
import { elapsedS, emitResult, log } from './lib/log'
import { COMMON_OPTIONS, type Scenario, type ScenarioContext } from './lib/scenario'

const SCENARIOS: Record<string, () => Promise<{ default: Scenario }>> = {
  attendance: () => import('./scenarios/attendance'),
  ballots: () => import('./scenarios/ballots'),
  votes: () => import('./scenarios/votes'),
  soak: () => import('./scenarios/soak'),
}

async function usage(): Promise<string> {
  const lines = ['usage: npm run bench -- <scenario> [options]', '', 'scenarios:']
  for (const [name, load] of Object.entries(SCENARIOS)) {
    const s = (await load()).default
    lines.push(`  ${name.padEnd(12)} ${s.summary}`)
    lines.push(`  ${''.padEnd(12)} options: ${s.options.map((o) => `--${o}`).join(' ')}`)
  }
  lines.push('', `common options: ${COMMON_OPTIONS.map((o) => `--${o}`).join(' ')}`)
  return lines.join('\n')
}

/** Which code was measured: others edit server/ and shared/ while benches run. Read-only git. */
function codeVersion(): { git_head: string | null; git_dirty_files: number | null } {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server', 'shared'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return { git_head: head, git_dirty_files: dirty.split('\n').filter(Boolean).length }
  } catch {
    return { git_head: null, git_dirty_files: null }
  }
}

async function main(): Promise<void> {
  const args = new Args(process.argv.slice(2))
  const name = args.positional[0]
  if (!name || !(name in SCENARIOS) || args.has('help')) {
    process.stderr.write((await usage()) + '\n')
    process.exit(args.has('help') ? 0 : 2)
  }
  const scenario = (await SCENARIOS[name]()).default
  const unknown = args.unknown([...COMMON_OPTIONS, ...scenario.options])
  if (unknown.length) {
    process.stderr.write(`unknown option(s) for ${name}: ${unknown.map((o) => `--${o}`).join(' ')}\n\n${await usage()}\n`)
    process.exit(2)
  }
  const timeoutS = args.num('timeout', scenario.defaultTimeoutS(args))
  const keepDirs = args.bool('keep')
  // The reaper gives the bench a minute past its own limit before it reaps on its own.
  const cleanup = new Cleanup((timeoutS + 60) * 1000)
  const ctx: ScenarioContext = { args, cleanup, partial: { ...codeVersion() } }
  let finished = false

  const fail = async (error: string, exitCode: number): Promise<void> => {
    if (finished) return
    finished = true
    log(`FAILED: ${error}`)
    log('cleaning up')
    await cleanup.run({ keepDirs })
    emitResult({ scenario: name, ...ctx.partial, ok: false, error, duration_s: Math.round(elapsedS()) })
    process.exit(exitCode)
  }

  process.on('exit', () => cleanup.finalSync({ keepDirs }))
  let interrupts = 0
  const onSignal = (sig: NodeJS.Signals) => {
    if (++interrupts > 1) {
      // A second Ctrl-C: no more waiting, kill the groups and go.
      cleanup.finalSync({ keepDirs })
      process.exit(130)
    }
    void fail(`interrupted (${sig})`, 130)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('SIGHUP', onSignal)
  process.on('uncaughtException', (err) => void fail(`uncaught: ${err.stack ?? err.message}`, 1))
  process.on('unhandledRejection', (err) => void fail(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`, 1))
  const limit = setTimeout(() => void fail(`time limit of ${timeoutS} s reached (--timeout)`, 124), timeoutS * 1000)

  try {
    const result = await scenario.run(ctx)
    if (finished) return
    finished = true
    clearTimeout(limit)
    log('cleaning up')
    await cleanup.run({ keepDirs })
    emitResult({ scenario: name, ok: true, ...result, git_head: ctx.partial.git_head, git_dirty_files: ctx.partial.git_dirty_files, duration_s: Math.round(elapsedS()) })
    process.exit(0)
  } catch (err) {
    await fail((err as Error).stack ?? String(err), 1)
  }
}

void main()
