// A small TCP proxy standing in for the hall's nginx (server/deploy/nginx.conf) in fault tests: each
// client connection goes to the upstream its address hashes to (ip_hash), or to the next one when that
// upstream refuses the connection (proxy_next_upstream error); an upstream that failed is skipped for
// a while (max_fails=1 fail_timeout=5s). It pipes bytes only, so HTTP, WebSocket upgrades and
// socket.io all pass through untouched. For faults it can also stall a client (stop reading what the
// server sends it, as a tablet that stopped reading would) and drop every connection at once.
//
// Clients are told apart by their source address: bind them to different loopback addresses
// (127.0.0.2, 127.0.0.3, ...; socket.io-client passes `localAddress` on to ws) to spread them over
// the upstreams as ip_hash spreads tablets by their IP address.
import net from 'node:net'

export interface Upstream {
  host?: string
  port: number
}

export interface ProxyConnection {
  id: number
  /** The client's address (what ip_hash hashes). */
  clientAddress: string
  /** Index of the upstream this connection was piped to. */
  upstream: number
  /** Upstreams tried before this one and refused. */
  failovers: number
  openedAt: number
  client: net.Socket
  server: net.Socket
  /** Bytes from the server the proxy read (and passed on, unless stalled). */
  bytesDown: number
  bytesUp: number
  stalled: boolean
}

export interface TcpProxy {
  url: string
  port: number
  /** Live connections. */
  connections: Set<ProxyConnection>
  /** Every connection ever made, live or closed, in order. */
  history: ProxyConnection[]
  /** Stops reading from the server side for every connection of this client address, now and in
   * future (the server's writes then pile up in its socket buffers, as for a frozen tablet). */
  stall(clientAddress: string): void
  unstall(clientAddress: string): void
  /** Destroys every live connection (both sides), or those matching `filter`. */
  dropAll(filter?: (c: ProxyConnection) => boolean): number
  /** Which upstream a client address goes to first. */
  preferred(clientAddress: string): number
  close(): Promise<void>
}

export interface ProxyOptions {
  upstreams: Upstream[]
  /** How long an upstream that refused a connection is skipped (nginx fail_timeout; default 5000). */
  failTimeoutMs?: number
  /** Give up on an upstream that does not answer a connect in this time (default 2000). */
  connectTimeoutMs?: number
}

/** FNV-1a of the address: stable, and spreads 127.0.0.x addresses evenly. */
function hash(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

function normalize(addr: string | undefined): string {
  return (addr ?? '').replace(/^::ffff:/, '')
}

export async function startProxy(opts: ProxyOptions): Promise<TcpProxy> {
  const upstreams = opts.upstreams.map((u) => ({ host: u.host ?? '127.0.0.1', port: u.port }))
  const failTimeoutMs = opts.failTimeoutMs ?? 5000
  const connectTimeoutMs = opts.connectTimeoutMs ?? 2000
  const downUntil = new Array<number>(upstreams.length).fill(0)
  const connections = new Set<ProxyConnection>()
  const history: ProxyConnection[] = []
  const stalledAddrs = new Set<string>()
  let nextId = 1

  const preferred = (addr: string) => hash(addr) % upstreams.length

  /** The order to try upstreams in: the hashed one first, then the next ones; those that failed
   * recently go last (tried only if every other one fails too). */
  function order(addr: string): number[] {
    const start = preferred(addr)
    const all = upstreams.map((_, i) => (start + i) % upstreams.length)
    const now = Date.now()
    return [...all.filter((i) => downUntil[i] <= now), ...all.filter((i) => downUntil[i] > now)]
  }

  function connectUpstream(i: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: upstreams[i].host, port: upstreams[i].port })
      s.setNoDelay(true)
      const timer = setTimeout(() => {
        s.destroy()
        reject(new Error('connect timeout'))
      }, connectTimeoutMs)
      const onError = (err: Error) => {
        clearTimeout(timer)
        s.destroy()
        reject(err)
      }
      s.once('connect', () => {
        clearTimeout(timer)
        s.off('error', onError)
        // Later errors (a reset by a dying node) end the connection through 'close'.
        s.on('error', () => {})
        resolve(s)
      })
      s.once('error', onError)
    })
  }

  async function handle(client: net.Socket): Promise<void> {
    client.setNoDelay(true)
    // Hold what the client sends until an upstream is connected.
    client.pause()
    let clientGone = false
    client.on('error', () => {})
    client.once('close', () => {
      clientGone = true
    })
    const addr = normalize(client.remoteAddress)
    let server: net.Socket | null = null
    let failovers = 0
    let chosen = -1
    for (const i of order(addr)) {
      try {
        server = await connectUpstream(i)
        chosen = i
        break
      } catch {
        downUntil[i] = Date.now() + failTimeoutMs
        failovers++
      }
    }
    if (!server || clientGone) {
      server?.destroy()
      client.destroy()
      return
    }
    const conn: ProxyConnection = {
      id: nextId++,
      clientAddress: addr,
      upstream: chosen,
      failovers,
      openedAt: Date.now(),
      client,
      server,
      bytesDown: 0,
      bytesUp: 0,
      stalled: stalledAddrs.has(addr),
    }
    connections.add(conn)
    history.push(conn)
    const up = server
    // Manual piping with backpressure, so a stall is not undone by a pipe's drain handler.
    client.on('data', (d: Buffer) => {
      conn.bytesUp += d.length
      if (!up.write(d)) client.pause()
    })
    up.on('drain', () => client.resume())
    up.on('data', (d: Buffer) => {
      conn.bytesDown += d.length
      if (!client.write(d)) up.pause()
    })
    client.on('drain', () => {
      if (!conn.stalled) up.resume()
    })
    const end = () => {
      connections.delete(conn)
      client.destroy()
      up.destroy()
    }
    client.once('close', end)
    up.once('close', end)
    if (conn.stalled) up.pause()
    client.resume()
  }

  const server = net.createServer((c) => void handle(c))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections,
    history,
    preferred,
    stall(addr) {
      stalledAddrs.add(addr)
      for (const c of connections) {
        if (c.clientAddress !== addr) continue
        c.stalled = true
        c.server.pause()
      }
    },
    unstall(addr) {
      stalledAddrs.delete(addr)
      for (const c of connections) {
        if (c.clientAddress !== addr) continue
        c.stalled = false
        c.server.resume()
      }
    },
    dropAll(filter) {
      let n = 0
      for (const c of [...connections]) {
        if (filter && !filter(c)) continue
        c.client.destroy()
        c.server.destroy()
        connections.delete(c)
        n++
      }
      return n
    },
    async close() {
      for (const c of connections) {
        c.client.destroy()
        c.server.destroy()
      }
      connections.clear()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
