// Nothing acknowledged is lost: the embedded server is killed with SIGKILL while check-ins stream
// in; after a restart every acked check-in is there, and the log replays with its chain intact.
import { afterEach, describe, expect, it } from 'vitest'
import type { DeskView } from '../../shared/protocol'
import { readDemoCodes, startNode, startRedis, type NodeProcess, type RedisProcess } from '../helpers/processes'
import { connectAt, send, type Client } from '../helpers/server'

describe.each(['sqlite', 'redis'] as const)('a crash of the %s server during check-in', (kind) => {
  let node: NodeProcess | null = null
  let redis: RedisProcess | null = null
  const sockets: Client[] = []

  afterEach(async () => {
    for (const s of sockets) s.disconnect()
    sockets.length = 0
    await node?.kill()
    await redis?.stop()
    node = null
    redis = null
  })

  it('keeps every acked check-in', async () => {
    const env: Record<string, string> = {}
    if (kind === 'redis') {
      redis = await startRedis({ aof: true })
      env.REDIS_URL = redis.url
    }
    node = await startNode(env)
    const demo = readDemoCodes(node.dataDir)
    const sec = demo.codes.filter((c) => c.role === 'secretariat')
    const delegates = demo.codes.filter((c) => c.role === 'delegate')
    // Two desks, so the rate limit of one socket does not pace the stream.
    const desks = await Promise.all(sec.map((s) => connectAt(node!.url, s.code)))
    desks.forEach((d) => sockets.push(d.socket))

    const acked = new Set<string>()
    let sent = 0
    const inflight: Promise<void>[] = []
    const killAt = 60 + Math.floor(Math.random() * 120)
    for (const d of delegates) {
      const desk = desks[sent % desks.length].socket
      sent++
      inflight.push(
        send(desk, 'attendance:checkIn', { personId: d.personId }, 2000)
          .then((a) => {
            if (a.ok) acked.add(d.personId)
          })
          .catch(() => {}),
      )
      if (sent === killAt) void node.kill('SIGKILL')
      await new Promise((r) => setTimeout(r, 2))
    }
    await Promise.allSettled(inflight)
    expect(acked.size).toBeGreaterThan(0)
    expect(acked.size).toBeLessThan(delegates.length)
    for (const s of sockets) s.disconnect()
    sockets.length = 0

    await node.restart()
    const desk = await connectAt(node.url, sec[0].code)
    sockets.push(desk.socket)
    const view = desk.snapshot.view as DeskView
    const present = new Set(view.roster.filter((r) => r.presence === 'present').map((r) => r.id))
    for (const id of acked) expect(present.has(id), `acked check-in of ${id} was lost`).toBe(true)
    // Anything present beyond the acked ones was written but its ack was lost with the process.
    expect(view.attendance.present).toBe(present.size)
    const health = await (await fetch(`${node.url}/healthz`)).json()
    expect(health.ok).toBe(true)
    // The restarted node accepts new check-ins.
    const next = delegates.find((d) => !present.has(d.personId))!
    expect((await send(desk.socket, 'attendance:checkIn', { personId: next.personId })).ok).toBe(true)
  })
})
