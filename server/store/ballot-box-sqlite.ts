// The embedded ballot box: a SQLite file of its own (ballot-file.ts says how it is laid out and why)
// served by a thread of its own (ballot-thread.ts). A commit's fsyncs take 6-10 ms; on the event
// loop they held up every other ballot being read (about 80 ms per 3000-ballot burst). On the
// thread, the loop goes on reading while a batch is committed, and the casts read meanwhile make up
// the next batch: one transaction (one set of fsyncs) per batch, at most one batch on the thread at
// a time, so batches grow with the load. A cast resolves only after its batch has committed.
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { BallotBox, CastOutcome } from './ballot-box'
import { openBallotFile, type BallotFile, type CastColumns } from './ballot-file'
import { StoreUnavailableError } from './types'

/** Casts in one batch at most: their acks all wait for its commit. */
const CAST_CHUNK = 512
/** With the thread idle, this many casts read go at once, without waiting for the end of the
 * event loop's turn: a hall's burst is read in turns of up to a thousand sockets, and the thread
 * would otherwise wait for the whole turn (tens of milliseconds) before writing the first of them. */
const EAGER_CHUNK = 128

type Ops = Omit<BallotFile, 'close'>
type Call = { [K in keyof Ops]: { op: K; args: Parameters<Ops[K]> } }[keyof Ops] | { op: 'shutdown' }
/** A request to the ballot box's thread; the reply carries the same id. */
export type BallotRequest = Call & { id: number }
export type BallotReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string }

interface PendingCast {
  roundKey: string
  voterId: string
  idem: string
  ballot: string
  resolve: (o: CastOutcome) => void
  reject: (e: Error) => void
}

const THREAD_URL = new URL('./ballot-thread.ts', import.meta.url).href

/** The server runs its TypeScript through tsx; a worker thread does not inherit the loader, so the
 * thread's first step loads it (by absolute path: the thread resolves nothing relative to us). */
function threadSource(): string {
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'))
  const api = pathToFileURL(path.join(tsxRoot, 'dist/esm/api/index.mjs')).href
  return `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(THREAD_URL)}, ${JSON.stringify(THREAD_URL)}))`
}

export function openSqliteBallotBox(file: string): BallotBox & { close(): Promise<void> } {
  // Opened here once, so that a file that cannot be opened stops the server at start, with its
  // reason, rather than at the first ballot; the tables are made before the thread starts.
  if (file !== ':memory:') openBallotFile(file).close()

  let worker: Worker | null = null
  let nextId = 1
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let closed = false

  const unavailable = (message: string, cause?: unknown) => new StoreUnavailableError(`ballot box: ${message}`, { cause })

  function failAll(err: Error): void {
    const all = [...waiting.values()]
    waiting.clear()
    for (const w of all) w.reject(err)
  }

  function thread(): Worker {
    if (worker) return worker
    const w = new Worker(threadSource(), { eval: true, workerData: { file }, name: 'ballot-box' })
    w.on('message', (reply: BallotReply) => {
      const entry = waiting.get(reply.id)
      if (!entry) return
      waiting.delete(reply.id)
      if (waiting.size === 0) w.unref()
      if (reply.ok) entry.resolve(reply.value)
      else entry.reject(unavailable(reply.message))
    })
    // The thread died (it should not): what it was asked is refused, and the next request starts
    // a new one on the same file; SQLite's journal has rolled back whatever was not committed.
    // Once per thread: its 'exit' follows its 'error', by when a new thread may have requests.
    let gone = false
    const lost = (err: Error) => {
      if (gone) return
      gone = true
      if (worker === w) worker = null
      failAll(unavailable(err.message, err))
    }
    w.on('error', lost)
    w.on('exit', (code) => lost(new Error(`thread exited (${code})`)))
    w.unref()
    worker = w
    return w
  }

  function call<T>(req: Call): Promise<T> {
    if (closed) return Promise.reject(unavailable('closed'))
    return new Promise<T>((resolve, reject) => {
      const id = nextId++
      const w = thread()
      if (waiting.size === 0) w.ref()
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      w.postMessage({ ...req, id })
    })
  }

  let queue: PendingCast[] = []
  let inFlight = false
  let scheduled = false
  /** Hands the thread the casts read so far (up to CAST_CHUNK), unless a batch is still on it:
   * then they go when it is done. */
  const flush = () => {
    scheduled = false
    if (inFlight || queue.length === 0) return
    const batch = queue.length <= CAST_CHUNK ? queue : queue.slice(0, CAST_CHUNK)
    queue = batch === queue ? [] : queue.slice(CAST_CHUNK)
    const cols: CastColumns = { roundKeys: [], voters: [], idems: [], ballots: [] }
    for (const c of batch) {
      cols.roundKeys.push(c.roundKey)
      cols.voters.push(c.voterId)
      cols.idems.push(c.idem)
      cols.ballots.push(c.ballot)
    }
    inFlight = true
    call<CastOutcome[]>({ op: 'cast', args: [cols] }).then(
      (outcomes) => {
        inFlight = false
        batch.forEach((c, i) => c.resolve(outcomes[i]))
        flush()
      },
      (err: Error) => {
        inFlight = false
        for (const c of batch) c.reject(err)
        flush()
      },
    )
  }

  return {
    openRound(roundKey, electorate) {
      return call({ op: 'openRound', args: [roundKey, electorate] })
    },
    cast(roundKey, voterId, idempotencyKey, ballot) {
      return new Promise((resolve, reject) => {
        queue.push({ roundKey, voterId, idem: idempotencyKey, ballot, resolve, reject })
        if (inFlight) return
        if (queue.length >= EAGER_CHUNK) return flush()
        // The casts read in one turn of the event loop go together (or with those read while the
        // thread was busy with the previous batch).
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
    },
    closeRound(roundKey) {
      return call({ op: 'closeRound', args: [roundKey] })
    },
    turnout(roundKey) {
      return call({ op: 'turnout', args: [roundKey] })
    },
    async voted(roundKey, voterIds) {
      return new Set(await call<string[]>({ op: 'voted', args: [roundKey, voterIds] }))
    },
    castKey(roundKey, voterId) {
      return call({ op: 'castKey', args: [roundKey, voterId] })
    },
    ballots(roundKey) {
      return call({ op: 'ballots', args: [roundKey] })
    },
    async close() {
      if (closed) return
      const w = worker
      if (w) {
        // Whatever was handed over is finished first (the thread answers in order).
        await call({ op: 'shutdown' }).catch(() => {})
        await w.terminate()
      }
      closed = true
      worker = null
      for (const c of queue) c.reject(unavailable('closed'))
      queue = []
    },
  }
}
