// Turns the demo meeting into a hall of any size: a generated roster imported by the secretariat
// (replacing the 251 demo delegates), extra display accounts, and fresh login codes for everyone,
// issued with the desk's own command. Also paced mass login for the clients.
import { performance } from 'node:perf_hooks'
import type { Ack } from '../../../shared/errors'
import type { Cluster, ServerNode } from './cluster'
import { connect, login, must, type BenchClient } from './client'
import { log, sleep } from './log'

export interface Credential {
  personId: string
  code: string
}

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程'.split('')
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰国建文辉志红春海波鹏宇浩晨'.split('')

export function delegateId(i: number): string {
  return `b${String(i + 1).padStart(5, '0')}`
}

/** A UTF-8 roster of n voting delegates in `delegations` delegations, seated 50 to a row. */
export function rosterCsv(n: number, delegations = 30): string {
  const lines = ['编号,姓名,性别,代表团,座位,身份,状态,表决权']
  for (let i = 0; i < n; i++) {
    const name = SURNAMES[i % SURNAMES.length] + GIVEN[Math.floor(i / SURNAMES.length) % GIVEN.length] + GIVEN[(i * 7) % GIVEN.length]
    const gender = i % 3 === 0 ? '女' : '男'
    const delegation = `第${(i % delegations) + 1}代表团`
    const seat = `${Math.floor(i / 50) + 1}排${(i % 50) + 1}座`
    lines.push([delegateId(i), name, gender, delegation, seat, '代表', '正常', '是'].join(','))
  }
  return lines.join('\r\n') + '\r\n'
}

export interface PreparedHall {
  delegates: Credential[]
  displays: Credential[]
  secretariat: BenchClient
  /** Log version once the roster and codes are in, on every node. */
  version: number
}

/** Imports `delegates` delegates, adds displays up to `displays`, issues codes; waits for every node. */
export async function prepareHall(cluster: Cluster, opts: { delegates: number; displays: number }): Promise<PreparedHall> {
  const node1 = cluster.nodes[0]
  const sec = cluster.credentials.find((c) => c.role === 'secretariat')
  const display1 = cluster.credentials.find((c) => c.role === 'display')
  if (!sec || !display1) throw new Error('demo credentials lack a secretariat or display account')
  const secLogin = await login(node1.url, sec.code)
  const secretariat = await connect(node1.url, secLogin.token, sec.personId)

  const t0 = performance.now()
  const res = await fetch(`${node1.url}/api/roster/import?mode=replace`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secLogin.token}`, 'content-type': 'text/csv; charset=utf-8' },
    body: Buffer.from(rosterCsv(opts.delegates), 'utf8'),
    signal: AbortSignal.timeout(60_000),
  })
  const imported = (await res.json()) as Ack<{ delegations: number; persons: number }>
  if (!imported.ok) throw new Error(`roster import refused: ${imported.code} ${JSON.stringify(imported.details ?? '').slice(0, 500)}`)
  if (imported.data.persons !== opts.delegates) throw new Error(`roster import counted ${imported.data.persons} delegates, expected ${opts.delegates}`)
  log(`roster: ${imported.data.persons} delegates in ${imported.data.delegations} delegations imported in ${Math.round(performance.now() - t0)} ms`)

  const extraDisplays: string[] = []
  for (let i = 2; i <= opts.displays; i++) {
    const id = `display${i}`
    await must(secretariat.socket, 'person:save', {
      id,
      name: `会场大屏${i}`,
      gender: '',
      role: 'display',
      delegationId: null,
      seat: '',
      status: 'active',
      votingRight: false,
    })
    extraDisplays.push(id)
  }

  const ids = [...Array.from({ length: opts.delegates }, (_, i) => delegateId(i)), ...extraDisplays]
  const codes = new Map<string, string>()
  const t1 = performance.now()
  for (let i = 0; i < ids.length; i += 5000) {
    const r = await must<{ issued: Array<{ personId: string; code: string }> }>(secretariat.socket, 'credential:issue', {
      personIds: ids.slice(i, i + 5000),
    })
    for (const c of r.issued) codes.set(c.personId, c.code)
  }
  log(`codes: ${codes.size} issued in ${Math.round(performance.now() - t1)} ms`)

  const version = (await cluster.health(node1)).events
  await cluster.waitForVersion(version)
  return {
    delegates: ids.slice(0, opts.delegates).map((personId) => ({ personId, code: codes.get(personId)! })),
    displays: [{ personId: display1.personId, code: display1.code }, ...extraDisplays.map((personId) => ({ personId, code: codes.get(personId)! }))],
    secretariat,
    version,
  }
}

export interface ConnectOutcome {
  index: number
  client: BenchClient | null
  /** From the start of the login request to the first state:snapshot. */
  connectMs: number | null
  loginMs: number | null
  error: string | null
}

/** Logs in and connects many clients, starting `rate` per second with at most `concurrency` in flight. */
export async function connectMany(
  targets: Array<{ node: ServerNode; cred: Credential }>,
  opts: { rate: number; concurrency: number; timeoutMs?: number; label?: string; skip?: string[] },
): Promise<ConnectOutcome[]> {
  const out: ConnectOutcome[] = new Array(targets.length)
  let inFlight = 0
  const waiter: { wake: (() => void) | null } = { wake: null }
  let done = 0
  let failed = 0
  const start = performance.now()
  const progress = setInterval(() => log(`${opts.label ?? 'clients'}: ${done - failed}/${targets.length} connected, ${failed} failed, ${inFlight} in flight`), 2000)
  const pending: Promise<void>[] = []
  try {
    for (let i = 0; i < targets.length; i++) {
      const wait = start + (i * 1000) / opts.rate - performance.now()
      if (wait > 1) await sleep(wait)
      while (inFlight >= opts.concurrency) await new Promise<void>((r) => (waiter.wake = r))
      inFlight++
      const { node, cred } = targets[i]
      pending.push(
        (async () => {
          const t0 = performance.now()
          let loginMs: number | null = null
          try {
            const l = await login(node.url, cred.code, opts.timeoutMs)
            loginMs = performance.now() - t0
            const client = await connect(node.url, l.token, cred.personId, { timeoutMs: opts.timeoutMs, skip: opts.skip })
            out[i] = { index: i, client, connectMs: performance.now() - t0, loginMs, error: null }
          } catch (err) {
            failed++
            out[i] = { index: i, client: null, connectMs: null, loginMs, error: (err as Error).message }
          } finally {
            done++
            inFlight--
            const w = waiter.wake
            waiter.wake = null
            w?.()
          }
        })(),
      )
    }
    await Promise.all(pending)
  } finally {
    clearInterval(progress)
  }
  return out
}
