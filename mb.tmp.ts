import { checkBallot } from './shared/domain/counting'
import { canonicalBallots } from './shared/domain/digest'
import { emptyState } from './shared/domain/types'
import { createHash, hash } from 'node:crypto'
const ids = Array.from({length:20},(_,i)=>'p'+String(i*37).padStart(5,'0'))
const spec: any = { kind:'election', seats:15, candidates: ids.map(id=>({id, personId:id, name:'x'})) }
function mk(){ const marks: Record<string,string> = {}; for (const id of ids) marks[id] = ['for','against','abstain'][Math.floor(Math.random()*3)]; return JSON.parse(JSON.stringify({ marks, writeIns: [] as string[] })) }
const bs = Array.from({length:3000}, mk)
const s = emptyState()
function t(name: string, f: (i:number) => unknown, n = 30000) { for (let i=0;i<3000;i++) f(i); const st=process.hrtime.bigint(); for (let i=0;i<n;i++) f(i%3000); console.log(name, (Number(process.hrtime.bigint()-st)/n/1000).toFixed(2), 'µs') }
t('checkBallot', (i) => checkBallot(spec, bs[i], s))
const checked = bs.map(b => (checkBallot(spec, b, s) as any).ballot)
t('canonical', (i) => canonicalBallots([checked[i]])[0])
t('createHash', (i) => createHash('sha256').update('idem:abcdefabcdef1234'+i).digest('hex').slice(0,32))
t('hash', (i) => hash('sha256', 'idem:abcdefabcdef1234'+i).slice(0,32))
