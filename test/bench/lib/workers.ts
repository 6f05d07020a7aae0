// A pool of load-generator worker processes (tablet-worker.ts), each holding a share of the tablets:
// one process reading 10,000 sockets would measure its own event loop. Workers are forked with the
// parent's tsx loader, in process groups of their own registered with the Cleanup, and exit when
// the parent goes away. Requests and replies go over the IPC channel, matched by id.
import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Cleanup } from './cleanup'
import { log, sleep } from './log'
import type { Mark, MarkOrder, Tally } from './session'

export type WorkerRequest =
  | { type: 'connect'; id: number; nodes: string[]; creds: Array<{ index: number; personId: string; code: string }>; rate: number; concurrency: number }
  | ({ type: 'checkin'; id: number } & Timing)
  | ({ type: 'ping'; id: number } & Timing)
  | ({ type: 'cast'; id: number; pollId: string; round: number; kind: 'election' | 'resolution'; candidateIds?: string[]; seats?: number; markOrder?: MarkOrder } & Timing)
  | { type: 'command'; id: number; index: number; event: string; payload: unknown }
  | { type: 'rx'; id: number }
  | { type: 'status'; id: number; since?: number }
  /** A full garbage collection in the worker, so that a measured burst does not meet one. */
  | { type: 'gc'; id: number }
  | { type: 'close'; id: number }

/** When each tablet sends: all in one loop at wall time `at` (burst), or each at a uniform random
 * moment within `seconds` from `at` (default: now). Wall time = performance.timeOrigin + now(). */
export interface Timing {
  at?: number
  seconds?: number
  burst?: boolean
  seed: number
}

export interface TimedReply {
  type: 'timed'
  id: number
  sent: number
  acked: number
  ms: number[]
  /** Wall time of each successful ack, and of the first send. */
  ackAt: number[]
  firstSend: number | null
  /** The worker's own garbage collection from its first send to its last ack, ms. */
  gcMs: number
  errors: Record<string, number>
}

export interface StatusReply {
  type: 'status'
  id: number
  tablets: number
  connected: number
  perNode: number[]
  drops: number
  reconnects: number
  reconnected: Array<{ droppedAt: number; at: number | null }>
  rssMb: number
  cpu: NodeJS.CpuUsage
  elu: number
}

export interface AckReply {
  type: 'ack'
  id: number
  ack: { ok: boolean; data?: unknown; code?: string } | null
  error: string | null
  ms: number | null
}

export type WorkerReply =
  | { type: 'ready'; id: 0 }
  | { type: 'connected'; id: number; connected: number; ms: number[]; errors: Record<string, number> }
  | TimedReply
  | (TimedReply & { tally: Tally; marks: Record<Mark, number> })
  | AckReply
  | StatusReply
  | { type: 'rx'; id: number; tablets: number; frames: number; bytes: number; changed: number }
  | { type: 'closed'; id: number }
  | { type: 'collected'; id: number; ms: number }
  | { type: 'error'; id: number; error: string }

type Req = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tablet-worker.ts')

export class WorkerPool {
  private nextId = 1
  private waiting = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>()
  readonly procs: ChildProcess[] = []

  private constructor() {}

  /** `cpuProfDir`: each worker writes a V8 CPU profile there when it exits (--cpu-prof runs). */
  static async start(cleanup: Cleanup, n: number, cpuProfDir: string | null = null): Promise<WorkerPool> {
    const pool = new WorkerPool()
    const ready: Promise<void>[] = []
    for (let i = 0; i < n; i++) {
      // The parent runs under tsx: process.execArgv carries its loader, and the fork inherits it.
      const p = fork(WORKER, [], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: cpuProfDir ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : process.execArgv })
      if (!p.pid) throw new Error('could not fork a load-generator worker')
      cleanup.trackGroup(p.pid)
      pool.procs.push(p)
      ready.push(
        new Promise((resolve, reject) => {
          const onMsg = (m: WorkerReply) => {
            if (m.type === 'ready') {
              p.off('message', onMsg)
              resolve()
            }
          }
          p.on('message', onMsg)
          p.once('exit', (code, sig) => reject(new Error(`worker ${p.pid} exited (${code ?? sig}) before it was ready`)))
        }),
      )
      p.on('message', (m: WorkerReply) => {
        const w = pool.waiting.get(m.id)
        if (!w) return
        pool.waiting.delete(m.id)
        if (m.type === 'error') w.reject(new Error(`worker ${p.pid}: ${m.error}`))
        else w.resolve(m)
      })
      p.once('exit', (code, sig) => {
        cleanup.untrackGroup(p.pid!)
        for (const [id, w] of pool.waiting) {
          pool.waiting.delete(id)
          w.reject(new Error(`worker ${p.pid} exited (${code ?? sig})`))
        }
      })
    }
    cleanup.add('stop load-generator workers', () => pool.stop())
    await Promise.all(ready)
    log(`${n} load-generator worker(s): pids ${pool.procs.map((p) => p.pid).join(', ')}`)
    return pool
  }

  request<T extends WorkerReply = WorkerReply>(worker: number, req: Req): Promise<T> {
    const id = this.nextId++
    const p = this.procs[worker]
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: WorkerReply) => void, reject })
      p.send({ ...req, id } as WorkerRequest)
    })
  }

  all<T extends WorkerReply = WorkerReply>(req: Req | ((i: number) => Req)): Promise<T[]> {
    return Promise.all(this.procs.map((_, i) => this.request<T>(i, typeof req === 'function' ? req(i) : req)))
  }

  async stop(): Promise<void> {
    await Promise.race([this.all({ type: 'close' }).catch(() => []), sleep(3000)])
    for (const p of this.procs) {
      if (p.exitCode !== null || p.signalCode !== null) continue
      p.disconnect?.()
      const gone = await Promise.race([new Promise<boolean>((r) => p.once('exit', () => r(true))), sleep(2000).then(() => false)])
      if (!gone) {
        try {
          process.kill(-p.pid!, 'SIGKILL')
        } catch {
          // gone
        }
      }
    }
  }
}
