// Child processes for the benches: free ports, spawning in a process group of its own (registered
// with the Cleanup), graceful stop (SIGTERM, then SIGKILL), and /proc readings of RSS and CPU.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import type { Cleanup } from './cleanup'
import { log, sleep } from './log'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

export interface Child {
  name: string
  pid: number
  proc: ChildProcess
  logFile: string
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>
  exitedAt: number | string | null
  stop(graceMs?: number): Promise<void>
  /** The last lines of its output, for error reports. */
  tail(lines?: number): string
}

export function spawnChild(
  cleanup: Cleanup,
  opts: { name: string; cmd: string; args: string[]; env?: NodeJS.ProcessEnv; cwd?: string; logFile: string },
): Child {
  const out = fs.openSync(opts.logFile, 'a')
  const proc = spawn(opts.cmd, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    // Its own process group: Ctrl-C in the terminal reaches only the bench, which stops children in
    // order, and the whole group (e.g. esbuild helpers) is killed by the group id.
    detached: true,
    stdio: ['ignore', out, out],
  })
  fs.closeSync(out)
  if (!proc.pid) throw new Error(`could not start ${opts.name}`)
  const pid = proc.pid
  cleanup.trackGroup(pid)
  const child: Child = {
    name: opts.name,
    pid,
    proc,
    logFile: opts.logFile,
    exitedAt: null,
    exited: new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        child.exitedAt = code ?? signal ?? 'unknown'
        cleanup.untrackGroup(pid)
        resolve(child.exitedAt)
      })
    }),
    async stop(graceMs = 8000) {
      if (child.exitedAt !== null) return
      signalGroup(pid, 'SIGTERM')
      const done = await Promise.race([child.exited.then(() => true), sleep(graceMs).then(() => false)])
      if (!done) {
        log(`${opts.name} did not stop in ${graceMs} ms: SIGKILL`)
        signalGroup(pid, 'SIGKILL')
        await Promise.race([child.exited, sleep(2000)])
      }
      // Helpers left in the group (none expected) go too.
      signalGroup(pid, 'SIGKILL')
    },
    tail(lines = 20) {
      try {
        return fs.readFileSync(opts.logFile, 'utf8').split('\n').slice(-lines).join('\n')
      } catch {
        return ''
      }
    },
  }
  cleanup.add(`stop ${opts.name}`, () => child.stop())
  return child
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig)
  } catch {
    // the group is gone
  }
}

/** Resident set size in MB (VmRSS of that very process), or null once it is gone. */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}

/** user+system CPU seconds consumed so far (clock ticks of 1/100 s on Linux). */
export function cpuSeconds(pid: number, thread?: number): number | null {
  try {
    const stat = fs.readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8')
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}

/** CPU seconds of each thread of a process so far, by thread id (empty once it is gone). */
export function threadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>()
  let tids: string[] = []
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`)
  } catch {
    return out
  }
  for (const t of tids) {
    const s = cpuSeconds(pid, Number(t))
    if (s !== null) out.set(Number(t), s)
  }
  return out
}

/** Keeps the peak RSS of some processes, sampled every intervalMs. */
export class RssSampler {
  readonly peak = new Map<number, number>()
  private timer: NodeJS.Timeout

  constructor(private readonly pids: number[], intervalMs = 500) {
    this.timer = setInterval(() => this.sample(), intervalMs)
    this.timer.unref()
    this.sample()
  }

  sample(): Map<number, number | null> {
    const now = new Map<number, number | null>()
    for (const pid of this.pids) {
      const v = pid === process.pid ? process.memoryUsage.rss() / 1048576 : rssMb(pid)
      now.set(pid, v)
      if (v !== null) this.peak.set(pid, Math.max(this.peak.get(pid) ?? 0, v))
    }
    return now
  }

  stop(): void {
    clearInterval(this.timer)
  }
}

/** The whole machine's CPU time so far (seconds, all cores): busy and total, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]
    const v = line.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0) / 100
    const idle = (v[3] + v[4]) / 100
    return { busy: total - idle, total }
  } catch {
    return null
  }
}

/** CPU the machine spent over `ms` (% of one core; 200 = two cores busy). */
export async function machineBusyPct(ms: number): Promise<number | null> {
  const a = machineCpu()
  await sleep(ms)
  const b = machineCpu()
  return a && b ? ((b.busy - a.busy) / (ms / 1000)) * 100 : null
}

/** Waits (up to maxS) until the machine is nearly idle for 3 s in a row: other people's test runs
 * on a shared box would otherwise be measured too. Returns the last busy % seen. */
export async function waitQuiet(maxS: number, thresholdPct = 30): Promise<number | null> {
  const deadline = Date.now() + maxS * 1000
  let quiet = 0
  let last: number | null = null
  while (Date.now() < deadline) {
    last = await machineBusyPct(1000)
    if (last === null) return null
    quiet = last < thresholdPct ? quiet + 1 : 0
    if (quiet >= 3) return last
    if (quiet === 0) log(`machine busy ${Math.round(last)}% (other processes): waiting for it to calm down`)
  }
  log(`machine still busy (${Math.round(last ?? 0)}%) after ${maxS} s: measuring anyway`)
  return last
}
