// The embedded ballot box's thread (started by ballot-box-sqlite.ts): owns the ballot file's one
// connection and answers requests one at a time, in the order they were posted. A commit waits for
// the disk here, while the server's event loop goes on reading the next ballots.
import { parentPort, workerData } from 'node:worker_threads'
import { openBallotFile, type BallotFile } from './ballot-file'
import type { BallotReply, BallotRequest } from './ballot-box-sqlite'

const port = parentPort!
let file: BallotFile | null = null
let openError = ''
try {
  file = openBallotFile((workerData as { file: string }).file)
} catch (err) {
  openError = (err as Error).message
}

port.on('message', (req: BallotRequest) => {
  let reply: BallotReply
  if (req.op === 'shutdown') {
    file?.close()
    file = null
    port.postMessage({ id: req.id, ok: true, value: null } satisfies BallotReply)
    port.close()
    return
  }
  try {
    if (!file) throw new Error(openError || 'the ballot file is closed')
    const op = file[req.op] as (...args: unknown[]) => unknown
    reply = { id: req.id, ok: true, value: op(...req.args) }
  } catch (err) {
    reply = { id: req.id, ok: false, message: (err as Error).message }
  }
  port.postMessage(reply)
})
