// npm run verify -- <ballots.json>: recounts an exported round and checks it against the log. Exits 0
// when the ballots hash to the digest the closing event recorded, that event hashes to its recorded
// hash, and counting the ballots again gives the recorded count; 1 otherwise.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { verifyExport, type BallotExport } from '../../shared/domain/ballot-export'

const file = process.argv[2]
if (!file) {
  console.error('usage: npm run verify -- <ballots.json>')
  process.exit(2)
}
let x: BallotExport
try {
  x = JSON.parse(fs.readFileSync(file, 'utf8')) as BallotExport
} catch (err) {
  console.error(`cannot read ${file}: ${(err as Error).message}`)
  process.exit(2)
}
const r = verifyExport(x, (s) => createHash('sha256').update(s).digest('hex'))
console.log(`${x.meeting} · ${x.poll.title} · 第${x.round}轮 · ${x.ballots.length} ballots · digest ${x.digest}`)
if (r.ok) {
  console.log('OK: the ballots match the digest in the log, and the recount matches the recorded count')
  process.exit(0)
}
for (const p of r.problems) console.log(`FAIL: ${p}`)
process.exit(1)
