// npx tsx test/bench/tools/prof-top.ts FILE.cpuprofile [N] [--from US --to US]: where a V8 CPU
// profile (node --cpu-prof, or the bench's --cpu-prof) spent its time: self time by function and by
// package/file, and the idle and GC shares. --from/--to (CLOCK_MONOTONIC µs, as the bench reports in
// checkin_window_mono_us) keep only the samples of that window.
import fs from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

const argv = process.argv.slice(2)
const opt = (name: string): number | null => {
  const i = argv.indexOf(`--${name}`)
  if (i < 0) return null
  const v = Number(argv[i + 1])
  argv.splice(i, 2)
  return v
}
const from = opt('from') ?? -Infinity
const to = opt('to') ?? Infinity
const [file, nArg] = argv
if (!file) {
  console.error('usage: tsx test/bench/tools/prof-top.ts FILE.cpuprofile [N]')
  process.exit(2)
}
const top = Number(nArg ?? 25)
const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile
const byId = new Map(p.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
let t = p.startTime
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i] ?? 0
  if (t < from || t > to) continue
  self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0))
}
const total = [...self.values()].reduce((a, b) => a + b, 0)

function where(url: string): string {
  if (!url) return '(native)'
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]
  if (url.startsWith('node:')) return url
  return url.replace(/^file:\/\/.*?\/(server|shared|test)\//, '$1/')
}

const fn = new Map<string, number>()
const pkg = new Map<string, number>()
for (const [id, us] of self) {
  const n = byId.get(id)!
  const f = n.callFrame
  const key = `${f.functionName || '(anonymous)'}  ${where(f.url)}:${f.lineNumber + 1}`
  fn.set(key, (fn.get(key) ?? 0) + us)
  const k2 = f.url ? where(f.url) : f.functionName
  pkg.set(k2, (pkg.get(k2) ?? 0) + us)
}
const pct = (us: number) => ((us / total) * 100).toFixed(1).padStart(5) + '%'
const ms = (us: number) => (us / 1000).toFixed(0).padStart(7) + ' ms'
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`)
console.log('\nby package / file (self time):')
for (const [k, v] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)} ${ms(v)}  ${k}`)
console.log('\nby function (self time):')
for (const [k, v] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)} ${ms(v)}  ${k}`)
