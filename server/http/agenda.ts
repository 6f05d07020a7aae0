// HTTP routes of the agenda: document upload at the desk, document download for everyone who may see
// the item (Bearer token, or a short-lived signed link for <iframe> and <a>), and the speech record as
// CSV. The bytes go to the DocumentStore; the log records only the metadata.
import express, { type NextFunction, type Request, type Response } from 'express'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { canSeeItem, decideAttachDocument, findDocument, type DocumentMime } from '../../shared/domain/agenda'
import type { Role } from '../../shared/domain/types'
import type { ErrorCode, Params } from '../../shared/errors'
import type { Config } from '../config'
import type { Engine } from '../engine'
import { exportSpeechesCsv, exportSpeechStatsCsv } from '../speeches/csv'
import type { DocumentStore } from '../store/documents'

type Auth = (req: Request, res: Response, roles: readonly Role[]) => Promise<{ personId: string; role: Role } | null>
type Fail = (res: Response, req: Request, code: ErrorCode, params?: Params, details?: unknown) => void

const ALL_ROLES: readonly Role[] = ['delegate', 'observer', 'staff', 'chair', 'secretariat', 'display']
/** How long a signed document link works: long enough to read, short enough not to matter if shared. */
export const DOCUMENT_LINK_TTL_MS = 30 * 60_000

/** Names as shown on tablets: no path, no control characters, at most 200 characters. */
export function cleanFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim()
  return [...clean].slice(0, 200).join('') || 'document'
}

/** What the bytes are: a PDF (by its header) or Markdown text (valid UTF-8, no NULs, named .md or
 * sent as text). Anything else is refused: tablets show only these two. */
export function detectDocument(bytes: Buffer, name: string, contentType: string | undefined): { mime: DocumentMime } | { reason: string } {
  const lower = name.toLowerCase()
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return { mime: 'application/pdf' }
  if (lower.endsWith('.pdf') || /application\/pdf/i.test(contentType ?? '')) return { reason: 'not a PDF file' }
  const markdownName = /\.(md|markdown|txt)$/.test(lower)
  const textType = /^text\/(markdown|plain|x-markdown)/i.test(contentType ?? '')
  if (!markdownName && !textType) return { reason: 'neither .pdf nor .md' }
  if (bytes.includes(0)) return { reason: 'binary content' }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return { reason: 'not UTF-8 text' }
  }
  return { mime: 'text/markdown' }
}

function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_')
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

export function signDocumentLink(key: Buffer, documentId: string, personId: string, exp: number): string {
  return createHmac('sha256', key).update(`${documentId}\n${personId}\n${exp}`).digest('base64url')
}

function sameSig(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export function mountAgendaRoutes(
  app: express.Express,
  deps: { config: Config; engine: Engine; documents: DocumentStore; auth: Auth; fail: Fail },
): void {
  const { config, engine, documents, auth, fail } = deps
  const maxBytes = config.maxDocumentBytes

  /** Authenticates before the body is read, so nobody without a login can make us read 20 MB. */
  const uploader = async (req: Request, res: Response, next: NextFunction) => {
    const actor = await auth(req, res, ['secretariat', 'chair'])
    if (!actor) return
    const itemId = String(req.params.itemId ?? '')
    if (!engine.state.agenda.has(itemId)) return fail(res, req, 'ITEM_NOT_FOUND', { itemId })
    res.locals.actor = actor
    next()
  }

  app.post(
    '/api/agenda/:itemId/documents',
    uploader,
    express.raw({ type: () => true, limit: maxBytes }),
    async (req: Request, res: Response) => {
      const actor = res.locals.actor as { personId: string; role: Role }
      const itemId = String(req.params.itemId)
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      if (bytes.length === 0) return fail(res, req, 'INVALID_PAYLOAD', { details: 'empty file' })
      const rawName = typeof req.query.name === 'string' ? req.query.name : decodeURIComponentSafe(req.get('x-file-name') ?? '')
      const name = cleanFileName(rawName)
      const kind = detectDocument(bytes, name, req.get('content-type'))
      if ('reason' in kind) return fail(res, req, 'UNSUPPORTED_DOCUMENT', { reason: kind.reason })
      let sha256: string
      try {
        sha256 = await documents.put(bytes)
      } catch {
        return fail(res, req, 'STORE_UNAVAILABLE')
      }
      const r = await engine.submit(
        (s, ctx) => decideAttachDocument(s, itemId, { name, mime: kind.mime, size: bytes.length, sha256 }, ctx.now),
        actor,
      )
      if (!r.ok) return fail(res, req, r.error, r.params ?? {}, r.details)
      res.json({ ok: true, data: r.result })
    },
  )

  /** The document if this role may see it; hidden items' documents are not served to the hall. */
  function documentFor(id: string, role: Role) {
    const found = findDocument(engine.state, id)
    if (!found || !canSeeItem(role, found.item)) return null
    return found
  }

  app.get('/api/documents/:id/link', async (req, res) => {
    const actor = await auth(req, res, ALL_ROLES)
    if (!actor) return
    const id = String(req.params.id)
    if (!documentFor(id, actor.role)) return fail(res, req, 'DOCUMENT_NOT_FOUND')
    let key: Buffer
    try {
      key = await documents.signingKey()
    } catch {
      return fail(res, req, 'STORE_UNAVAILABLE')
    }
    const exp = engine.now() + DOCUMENT_LINK_TTL_MS
    const sig = signDocumentLink(key, id, actor.personId, exp)
    const url = `/api/documents/${encodeURIComponent(id)}?p=${encodeURIComponent(actor.personId)}&exp=${exp}&sig=${sig}`
    res.json({ ok: true, data: { url, expiresAt: exp } })
  })

  app.get('/api/documents/:id', async (req, res) => {
    const id = String(req.params.id)
    let role: Role
    if (typeof req.query.sig === 'string') {
      const personId = typeof req.query.p === 'string' ? req.query.p : ''
      const exp = Number(req.query.exp)
      let key: Buffer
      try {
        key = await documents.signingKey()
      } catch {
        return fail(res, req, 'STORE_UNAVAILABLE')
      }
      const person = engine.state.persons.get(personId)
      if (!person || !Number.isFinite(exp) || exp < engine.now() || !sameSig(req.query.sig, signDocumentLink(key, id, personId, exp)))
        return fail(res, req, 'UNAUTHENTICATED')
      role = person.role
    } else {
      const actor = await auth(req, res, ALL_ROLES)
      if (!actor) return
      role = actor.role
    }
    const found = documentFor(id, role)
    if (!found) return fail(res, req, 'DOCUMENT_NOT_FOUND')
    const { document } = found
    const etag = `"${document.sha256}"`
    res.setHeader('ETag', etag)
    res.setHeader('Cache-Control', 'private, max-age=3600')
    if (req.get('if-none-match') === etag) return void res.status(304).end()
    let bytes: Buffer | null
    try {
      bytes = await documents.get(document.sha256)
    } catch {
      return fail(res, req, 'STORE_UNAVAILABLE')
    }
    if (!bytes) return fail(res, req, 'DOCUMENT_NOT_FOUND')
    res.setHeader('Content-Type', document.mime === 'application/pdf' ? 'application/pdf' : 'text/markdown; charset=utf-8')
    res.setHeader('Content-Disposition', contentDisposition(req.query.download === '1' ? 'attachment' : 'inline', document.name))
    if (document.mime === 'application/pdf') {
      // The browser's own PDF viewer shows it inside the page's frame; a PDF runs no script of ours.
      res.setHeader('Content-Security-Policy', "frame-ancestors 'self'")
    } else {
      // Markdown is rendered by the client from text; opened directly it must stay inert text.
      res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'self'; sandbox")
    }
    res.send(bytes)
  })

  /** Who may be put on a list of speakers (the chair's console has no roster): active delegates and
   * observers whose name or seat contains `q`, or whose id is `q`; at most 20, in roster order. */
  app.get('/api/speakers/candidates', async (req, res) => {
    if (!(await auth(req, res, ['secretariat', 'chair']))) return
    const q = String(req.query.q ?? '').trim().toLowerCase().slice(0, 50)
    const s = engine.state
    const out: Array<{ personId: string; name: string; role: string; delegationId: string | null; delegation: string; seat: string }> = []
    if (q) {
      for (const p of s.persons.values()) {
        if ((p.role !== 'delegate' && p.role !== 'observer') || p.status !== 'active') continue
        if (!p.name.toLowerCase().includes(q) && !p.seat.toLowerCase().includes(q) && p.id.toLowerCase() !== q) continue
        const delegation = p.delegationId ? (s.delegations.get(p.delegationId)?.name ?? '') : ''
        out.push({ personId: p.id, name: p.name, role: p.role, delegationId: p.delegationId, delegation, seat: p.seat })
        if (out.length >= 20) break
      }
    }
    res.json({ ok: true, data: out })
  })

  app.get('/api/speeches/export.csv', async (req, res) => {
    if (!(await auth(req, res, ['secretariat', 'chair']))) return
    res.setHeader('Content-Type', 'text/csv; charset=utf-8')
    res.setHeader('Content-Disposition', `attachment; filename="speeches-${new Date().toISOString().slice(0, 10)}.csv"`)
    res.send(exportSpeechesCsv(engine.state, { timeZone: config.timeZone }))
  })

  app.get('/api/speeches/delegations.csv', async (req, res) => {
    if (!(await auth(req, res, ['secretariat', 'chair']))) return
    res.setHeader('Content-Type', 'text/csv; charset=utf-8')
    res.setHeader('Content-Disposition', `attachment; filename="speeches-by-delegation-${new Date().toISOString().slice(0, 10)}.csv"`)
    res.send(exportSpeechStatsCsv(engine.state))
  })
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
