// Every setting in one place: defaults merged with the environment. Only server/index.ts and the
// command-line tools call loadConfig; everything else receives a Config.
import os from 'node:os'
import path from 'node:path'

export interface Config {
  /** PORT: where the server listens (default 3000). */
  port: number
  /** HOST: the interface to bind (default 0.0.0.0, so tablets on the hall network reach it). */
  host: string
  /** DATA_DIR: the SQLite file and the demo credentials live here (default ./data). */
  dataDir: string
  /** REDIS_URL: when set, Redis replaces SQLite and several nodes may share it. */
  redisUrl: string | null
  /** REDIS_PREFIX: key prefix, so several deployments (or tests) can share one Redis (default cm:). */
  redisPrefix: string
  /** ALLOWED_ORIGINS: comma-separated browser origins allowed besides the server's own; '*' allows any. */
  allowedOrigins: string[]
  /** NODE_ID: this node's name in logs and /healthz (default hostname:port). */
  nodeId: string
  /** SEED_DEMO: create the demo meeting when the log is empty (default true; 'false' to disable). */
  seedDemo: boolean
  /** BROADCAST_INTERVAL_MS: at most one state broadcast per audience per interval (default 100). */
  broadcastIntervalMs: number
  /** TABLET_BROADCAST_INTERVAL_MS: tablets get changes of counts alone (check-ins, turnout) at most
   * once per interval (default 1000); anything else reaches them at once. */
  tabletBroadcastIntervalMs: number
  /** RATE_LIMIT_PER_S / RATE_LIMIT_BURST: commands a socket may send (default 20/s, burst 40). */
  rateLimitPerSecond: number
  rateLimitBurst: number
  /** MAX_MESSAGE_BYTES: the largest socket message accepted (default 64 KiB). */
  maxMessageBytes: number
  /** TRUST_PROXY: set when behind nginx, so client addresses come from X-Forwarded-For. */
  trustProxy: boolean
  /** STATIC_DIR: the built pages (default dist/client). */
  staticDir: string
  /** TIME_ZONE: how times are written in exports and reports (default Asia/Shanghai). */
  timeZone: string
  /** MAX_DOCUMENT_BYTES: the largest meeting document the desk may upload (default 20 MB). */
  maxDocumentBytes: number
}

function int(v: string | undefined, d: number): number {
  const n = v === undefined || v === '' ? NaN : Number(v)
  return Number.isFinite(n) ? n : d
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env.PORT, 3000)
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir: path.resolve(env.DATA_DIR || 'data'),
    redisUrl: env.REDIS_URL || null,
    redisPrefix: env.REDIS_PREFIX || 'cm:',
    allowedOrigins: (env.ALLOWED_ORIGINS || '').split(',').map((s) => s.trim()).filter(Boolean),
    nodeId: env.NODE_ID || `${os.hostname()}:${port}`,
    seedDemo: env.SEED_DEMO !== 'false' && env.SEED_DEMO !== '0',
    broadcastIntervalMs: int(env.BROADCAST_INTERVAL_MS, 100),
    tabletBroadcastIntervalMs: int(env.TABLET_BROADCAST_INTERVAL_MS, 1000),
    rateLimitPerSecond: int(env.RATE_LIMIT_PER_S, 20),
    rateLimitBurst: int(env.RATE_LIMIT_BURST, 40),
    maxMessageBytes: int(env.MAX_MESSAGE_BYTES, 64 * 1024),
    trustProxy: env.TRUST_PROXY === 'true' || env.TRUST_PROXY === '1',
    staticDir: path.resolve(env.STATIC_DIR || 'dist/client'),
    timeZone: env.TIME_ZONE || 'Asia/Shanghai',
    maxDocumentBytes: int(env.MAX_DOCUMENT_BYTES, 20 * 1024 * 1024),
  }
}

/** Defaults for tests and tools: everything loadConfig would give with an empty environment. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), ...overrides }
}
