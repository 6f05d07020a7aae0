// The roster import preview as the server returns it, made uniform for the screen: counts may come
// as numbers or as the parsed lists themselves, and the sample table takes whichever rows exist.

export interface ImportIssue {
  line: number
  column: string
  message: { zh: string; en: string }
}

export interface PreviewTable {
  columns: string[]
  rows: string[][]
}

/** A parsed person as the desk checks it, with the delegation's name instead of its id. */
export interface PreviewPerson {
  id: string
  name: string
  gender: string
  role: string
  delegation: string
  seat: string
  status: string
  votingRight: boolean
}

export interface ImportPreview {
  encoding: string
  rowCount: number
  delegationCount: number
  personCount: number
  errors: ImportIssue[]
  /** The first parsed persons, when the server sends them. */
  people: PreviewPerson[] | null
  /** Otherwise whatever rows it sent, as a generic table. */
  sample: PreviewTable
  /** The file has no id column: the server makes ids from row numbers, so it can only replace. */
  idsGenerated: boolean
}

export const SAMPLE_ROWS = 20

function isPersonLike(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && typeof (x as Record<string, unknown>).name === 'string' && 'role' in x
}

function people(persons: unknown, delegations: unknown): PreviewPerson[] | null {
  if (!Array.isArray(persons) || persons.length === 0 || !persons.every(isPersonLike)) return null
  const names = new Map<string, string>()
  if (Array.isArray(delegations))
    for (const d of delegations) if (d && typeof d === 'object') names.set(cell((d as Record<string, unknown>).id), cell((d as Record<string, unknown>).name))
  return persons.slice(0, SAMPLE_ROWS).map((p) => {
    const did = cell(p.delegationId)
    return {
      id: cell(p.id),
      name: cell(p.name),
      gender: cell(p.gender),
      role: cell(p.role),
      delegation: names.get(did) ?? did,
      seat: cell(p.seat),
      status: cell(p.status),
      votingRight: p.votingRight !== false,
    }
  })
}

function count(x: unknown): number {
  if (Array.isArray(x)) return x.length
  return typeof x === 'number' && Number.isFinite(x) ? x : 0
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

/** First rows as a table: arrays of cells, or records whose keys become the columns. */
export function sampleTable(list: unknown, max = SAMPLE_ROWS): PreviewTable {
  if (!Array.isArray(list) || list.length === 0) return { columns: [], rows: [] }
  const first = list.slice(0, max)
  if (first.every(Array.isArray)) {
    const width = Math.max(...first.map((r) => (r as unknown[]).length))
    return {
      columns: Array.from({ length: width }, (_, i) => String(i + 1)),
      rows: first.map((r) => Array.from({ length: width }, (_, i) => cell((r as unknown[])[i]))),
    }
  }
  const columns: string[] = []
  for (const r of first)
    if (r && typeof r === 'object') for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k)
  return {
    columns,
    rows: first.map((r) => columns.map((c) => cell((r as Record<string, unknown>)?.[c]))),
  }
}

function issue(x: unknown): ImportIssue {
  const o = (x && typeof x === 'object' ? x : {}) as Record<string, unknown>
  const m = o.message
  const message =
    m && typeof m === 'object'
      ? { zh: cell((m as Record<string, unknown>).zh), en: cell((m as Record<string, unknown>).en) }
      : { zh: cell(m), en: cell(m) }
  return { line: typeof o.line === 'number' ? o.line : 0, column: cell(o.column), message }
}

export function normalizePreview(data: unknown): ImportPreview {
  const o = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>
  const errors = Array.isArray(o.errors) ? o.errors.map(issue) : []
  const sampleSource = Array.isArray(o.rows) ? o.rows : Array.isArray(o.persons) ? o.persons : []
  return {
    encoding: cell(o.encoding),
    rowCount: count(o.rows),
    delegationCount: count(o.delegations),
    personCount: count(o.persons),
    errors,
    people: people(o.persons, o.delegations),
    sample: sampleTable(sampleSource),
    idsGenerated: o.idsGenerated === true,
  }
}

/** Errors from a refused import (ROSTER_INVALID puts them in details.errors). */
export function importErrors(details: unknown): ImportIssue[] {
  const errs = (details as { errors?: unknown } | undefined)?.errors
  return Array.isArray(errs) ? errs.map(issue) : []
}
