// HTTP routes: health, login, roster import/export for the desk, and the built pages. Every reply to
// a refused request is the same AckError shape the sockets use.
import express, { type NextFunction, type Request, type Response } from 'express'
import fs from 'node:fs'
import path from 'node:path'
import { decideRosterImport } from '../../shared/domain/commands'
import type { Role } from '../../shared/domain/types'
import { ackError, type ErrorCode, type Lang } from '../../shared/errors'
import { loginSchema, describeIssues } from '../../shared/schemas'
import type { Config } from '../config'
import type { Engine } from '../engine'
import type { Sessions } from '../gateway/sessions'
import { exportRosterCsv, parseRoster, rosterTemplateCsv } from '../roster/csv'
import type { Store } from '../store/types'
import { isOriginAllowed } from './origin'
import { mountPollRoutes } from './polls'
import { mountAgendaRoutes } from './agenda'
import type { DocumentStore } from '../store/documents'

const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_PAYLOAD: 400,
  ROSTER_INVALID: 400,
  UNAUTHENTICATED: 401,
  INVALID_CODE: 401,
  SESSION_REPLACED: 401,
  FORBIDDEN: 403,
  ORIGIN_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  STORE_UNAVAILABLE: 503,
  ITEM_NOT_FOUND: 404,
  DOCUMENT_NOT_FOUND: 404,
  UNSUPPORTED_DOCUMENT: 415,
}

function langOf(req: Request): Lang {
  const q = req.query.lang
  if (q === 'en') return 'en'
  if (q === 'zh') return 'zh'
  return /^en\b/i.test(req.get('accept-language') ?? '') ? 'en' : 'zh'
}

function fail(res: Response, req: Request, code: ErrorCode, params = {}, details?: unknown): void {
  res.status(STATUS[code] ?? (code === 'INTERNAL' ? 500 : 409)).json(ackError(code, params, langOf(req), details))
}

export const PAGES = ['delegate', 'desk', 'chair', 'display'] as const

export function buildHttp(deps: {
  config: Config
  engine: Engine
  store: Store
  sessions: Sessions
  version: string
  documents: DocumentStore
}): express.Express {
  const { config, engine, store, sessions } = deps
  const app = express()
  app.disable('x-powered-by')
  if (config.trustProxy) app.set('trust proxy', true)

  app.use((req, res, next) => {
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; object-src 'none'; frame-ancestors 'self'",
    )
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Referrer-Policy', 'no-referrer')
    if (req.method !== 'GET' && req.method !== 'HEAD' && !isOriginAllowed(req.get('origin'), req.get('host'), config.allowedOrigins)) {
      return fail(res, req, 'ORIGIN_NOT_ALLOWED')
    }
    next()
  })

  app.get('/healthz', async (_req, res) => {
    const h = await store.health()
    const body = {
      ok: h.ok,
      store: h.kind,
      durable: h.durable,
      detail: h.detail,
      events: engine.version,
      engineStats: engine.stats,
      head: engine.state.head,
      meeting: engine.state.meeting?.name ?? null,
      version: deps.version,
      node: config.nodeId,
      uptimeS: Math.round(process.uptime()),
    }
    res.status(h.ok ? 200 : 503).json(body)
  })

  app.post('/api/login', express.json({ limit: '4kb' }), async (req, res) => {
    const parsed = loginSchema.safeParse(req.body ?? {})
    if (!parsed.success) return fail(res, req, 'INVALID_PAYLOAD', { details: describeIssues(parsed.error).join('; ') })
    const r = await sessions.login(parsed.data.code, parsed.data.lang ?? langOf(req))
    if (!r.ok) return void res.status(STATUS[r.code] ?? 400).json(r)
    res.json(r)
  })

  /** Resolves the bearer token to a person, or replies with the refusal. */
  async function auth(req: Request, res: Response, roles: readonly Role[]): Promise<{ personId: string; role: Role } | null> {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')
    if (!m) {
      fail(res, req, 'UNAUTHENTICATED')
      return null
    }
    let found
    try {
      found = await sessions.resolve(m[1])
    } catch {
      fail(res, req, 'STORE_UNAVAILABLE')
      return null
    }
    if (!found || found.replaced) {
      fail(res, req, found?.replaced ? 'SESSION_REPLACED' : 'UNAUTHENTICATED')
      return null
    }
    const person = engine.state.persons.get(found.personId)
    if (!person) {
      fail(res, req, 'UNAUTHENTICATED')
      return null
    }
    if (!roles.includes(person.role)) {
      fail(res, req, 'FORBIDDEN')
      return null
    }
    return { personId: person.id, role: person.role }
  }

  app.post('/api/logout', async (req, res) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')
    if (m) await sessions.logout(m[1]).catch(() => {})
    res.json({ ok: true, data: null })
  })

  const rawBody = express.raw({ type: () => true, limit: '5mb' })

  app.post('/api/roster/preview', rawBody, async (req, res) => {
    if (!(await auth(req, res, ['secretariat']))) return
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
    const parsed = parseRoster(bytes, [...engine.state.delegations.values()])
    res.json({ ok: true, data: parsed })
  })

  app.post('/api/roster/import', rawBody, async (req, res) => {
    const actor = await auth(req, res, ['secretariat'])
    if (!actor) return
    const mode = req.query.mode === 'replace' ? 'replace' : 'merge'
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
    const parsed = parseRoster(bytes, [...engine.state.delegations.values()])
    if (parsed.errors.length) return fail(res, req, 'ROSTER_INVALID', {}, { errors: parsed.errors })
    // Merging matches people by id: ids made from row numbers would overwrite whoever holds them
    // (their check-in and card passing to someone else), so a file without ids only replaces.
    const attendees = [...engine.state.persons.values()].some((p) => p.role === 'delegate' || p.role === 'observer')
    if (mode === 'merge' && parsed.idsGenerated && attendees) {
      const errors = [
        {
          line: 1,
          column: '编号',
          message: {
            zh: '名单没有“编号”列：合并导入按编号对应已有人员，没有编号会覆盖名单中的其他人。请加上编号列（可先导出名单取得编号），或选择“替换”导入',
            en: 'The roster has no id (编号) column: a merge matches people by id, and without ids it would overwrite others on the roster. Add the id column (export the roster for the ids) or choose replace',
          },
        },
      ]
      return fail(res, req, 'ROSTER_INVALID', {}, { errors })
    }
    const before = new Set(engine.state.persons.keys())
    const r = await engine.submit((s) => decideRosterImport(s, mode, parsed.delegations, parsed.persons), actor)
    if (!r.ok) return fail(res, req, r.error, r.params ?? {}, r.details)
    // People a replacing import removed are signed out of their tablets, as if their cards were revoked.
    for (const id of before) if (!engine.state.persons.has(id)) void sessions.endAll(id, 'CREDENTIAL_REVOKED')
    res.json({ ok: true, data: r.result })
  })

  app.get('/api/roster/export.csv', async (req, res) => {
    if (!(await auth(req, res, ['secretariat', 'chair']))) return
    res.setHeader('Content-Type', 'text/csv; charset=utf-8')
    res.setHeader('Content-Disposition', `attachment; filename="roster-${new Date().toISOString().slice(0, 10)}.csv"`)
    res.send(exportRosterCsv(engine.state, { timeZone: config.timeZone }))
  })

  app.get('/api/roster/template.csv', (_req, res) => {
    res.setHeader('Content-Type', 'text/csv; charset=utf-8')
    res.setHeader('Content-Disposition', 'attachment; filename="roster-template.csv"')
    res.send(rosterTemplateCsv())
  })

  mountAgendaRoutes(app, { config, engine, documents: deps.documents, auth, fail })

  mountPollRoutes(app, { engine, store, auth, fail })

  app.use('/api', (req, res) => fail(res, req, 'NOT_FOUND'))

  // The built pages: one app, one index.html, the page chosen by the path.
  const indexFile = path.join(config.staticDir, 'index.html')
  app.use(express.static(config.staticDir, { index: false, maxAge: '1h' }))
  const sendIndex = (_req: Request, res: Response) => {
    if (!fs.existsSync(indexFile)) {
      res.status(503).type('text/plain; charset=utf-8').send('页面尚未构建，请先运行 npm run build / The pages are not built: run npm run build')
      return
    }
    res.setHeader('Cache-Control', 'no-cache')
    res.sendFile(indexFile)
  }
  app.get('/', sendIndex)
  for (const p of PAGES) app.get(`/${p}`, sendIndex)

  app.use((req: Request, res: Response) => fail(res, req, 'NOT_FOUND'))
  // Malformed JSON, bodies over the limit: a clear refusal, never a stack trace.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number }
    if (e?.type === 'entity.too.large') return fail(res, req, 'PAYLOAD_TOO_LARGE')
    if (e?.status && e.status < 500) return fail(res, req, 'INVALID_PAYLOAD', { details: e.type ?? 'body' })
    console.error('[http] unexpected error', err)
    fail(res, req, 'INTERNAL')
  })
  return app
}
