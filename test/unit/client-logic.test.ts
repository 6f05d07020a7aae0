// Pure client logic: page routing, URL codes, clock offset, version gating, scans, presence, cards,
// import preview, quorum text and error shapes.
import { describe, expect, it } from 'vitest'
import { pageFromPath, roleAllowed } from '../../client/src/logic/page'
import { cardUrl, takeCodeFromUrl } from '../../client/src/logic/url'
import { normalizeCode } from '../../shared/credentials'
import { addSample, bestOffset, formatClock, sampleFromPing, sampleFromPush } from '../../client/src/logic/clock'
import { acceptChange, acceptSnapshot, initialGate } from '../../client/src/logic/versions'
import { cleanScan, markUndone, pushScan, type ScanEntry } from '../../client/src/logic/scans'
import { presenceLabel, rowActions, selfActions } from '../../client/src/logic/presence'
import { paginate } from '../../client/src/logic/cards'
import { importErrors, normalizePreview } from '../../client/src/logic/importPreview'
import { percent, ruleText, validRule } from '../../client/src/logic/quorum'
import { isAckError, messageIn, timeoutError, toClientError } from '../../client/src/logic/errors'
import { ackError } from '../../shared/errors'

describe('page', () => {
  it('picks the page from the first path segment', () => {
    expect(pageFromPath('/delegate')).toBe('delegate')
    expect(pageFromPath('/desk/')).toBe('desk')
    expect(pageFromPath('/Chair')).toBe('chair')
    expect(pageFromPath('/display/index.html')).toBe('display')
    expect(pageFromPath('/')).toBe('index')
    expect(pageFromPath('/nope')).toBe('index')
  })
  it('lets only the right roles log in on each page', () => {
    expect(roleAllowed('desk', 'secretariat')).toBe(true)
    expect(roleAllowed('desk', 'delegate')).toBe(false)
    expect(roleAllowed('delegate', 'observer')).toBe(true)
    expect(roleAllowed('chair', 'chair')).toBe(true)
    expect(roleAllowed('display', 'display')).toBe(true)
    expect(roleAllowed('display', 'delegate')).toBe(false)
  })
})

describe('cardUrl', () => {
  const code = 'ABCD0EFGH1JKMNPQ'
  it('opens the page of the holder’s role with the code in the fragment', () => {
    expect(cardUrl('http://192.168.1.10:3000', 'delegate', code)).toBe(`http://192.168.1.10:3000/delegate#code=${code}`)
    expect(cardUrl('http://h:3000/', 'observer', code)).toBe(`http://h:3000/delegate#code=${code}`)
    expect(cardUrl('http://h', 'chair', code)).toBe(`http://h/chair#code=${code}`)
    expect(cardUrl('http://h', 'secretariat', code)).toBe(`http://h/desk#code=${code}`)
    expect(cardUrl('http://h', 'display', code)).toBe(`http://h/display#code=${code}`)
  })

  it('logs in when a tablet opens it, and checks in when a desk scanner types it', () => {
    const url = cardUrl('http://h:3000', 'delegate', code)
    expect(takeCodeFromUrl(url)).toEqual({ code, cleanUrl: '/delegate' })
    expect(normalizeCode(url)).toBe(code)
  })
})

describe('takeCodeFromUrl', () => {
  it('takes ?code= and leaves the rest of the address', () => {
    expect(takeCodeFromUrl('http://h/delegate?x=1&code=ABCD-EFGH&y=2#top')).toEqual({
      code: 'ABCD-EFGH',
      cleanUrl: '/delegate?x=1&y=2#top',
    })
  })
  it('takes #code= too, and reports none when absent or empty', () => {
    expect(takeCodeFromUrl('http://h/display#code=XYZ')).toEqual({ code: 'XYZ', cleanUrl: '/display' })
    expect(takeCodeFromUrl('http://h/desk').code).toBeNull()
    expect(takeCodeFromUrl('http://h/desk?code=').code).toBeNull()
  })
})

describe('clock', () => {
  it('puts the server stamp halfway through the round trip', () => {
    expect(sampleFromPing(1000, 1100, 5050)).toEqual({ offset: 4000, rtt: 100 })
  })
  it('prefers the sample with the shortest round trip, and pushes only when nothing better', () => {
    let s = addSample([], sampleFromPush(10_000, 1000))
    expect(bestOffset(s)).toBe(9000)
    s = addSample(s, { offset: 8000, rtt: 300 })
    s = addSample(s, { offset: 8500, rtt: 20 })
    expect(bestOffset(s)).toBe(8500)
    expect(bestOffset([])).toBe(0)
  })
  it('keeps only the last few samples', () => {
    let s: ReturnType<typeof addSample> = []
    for (let i = 0; i < 9; i++) s = addSample(s, { offset: i, rtt: 10 - i }, 5)
    expect(s.map((x) => x.offset)).toEqual([4, 5, 6, 7, 8])
  })
  it('formats HH:mm:ss', () => {
    const d = new Date(2024, 0, 1, 9, 5, 7).getTime()
    expect(formatClock(d)).toBe('09:05:07')
  })
})

describe('version gate', () => {
  it('accepts any snapshot after a (re)connect, then only newer or equal messages', () => {
    const g = initialGate()
    expect(acceptChange(g, 5)).toBe(false)
    expect(acceptSnapshot(g, 3)).toBe(true)
    const after = { version: 10, resync: false }
    expect(acceptSnapshot(after, 9)).toBe(false)
    expect(acceptChange(after, 10)).toBe(true)
    expect(acceptChange(after, 9)).toBe(false)
    expect(acceptSnapshot({ version: 10, resync: true }, 2)).toBe(true)
  })
})

describe('scans', () => {
  const e = (seq: number, over: Partial<ScanEntry> = {}): ScanEntry => ({ seq, at: seq, ok: true, personId: `p${seq}`, ...over })
  it('keeps the newest ten, newest first', () => {
    let list: ScanEntry[] = []
    for (let i = 1; i <= 12; i++) list = pushScan(list, e(i))
    expect(list.map((x) => x.seq)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3])
  })
  it('marks only the latest successful scan of that person undone', () => {
    const list = [e(3, { personId: 'p1' }), e(2, { personId: 'p1' }), e(1, { personId: 'p1', ok: false })]
    const out = markUndone(list, 'p1')
    expect(out.map((x) => !!x.undone)).toEqual([true, false, false])
  })
  it('cleans what the scanner typed', () => {
    expect(cleanScan('  ABCD\r\n')).toBe('ABCD')
    expect(cleanScan(' \n')).toBeNull()
  })
})

describe('presence', () => {
  it('labels leave by reason', () => {
    expect(presenceLabel('leave', 'illness')).toBe('leaveIllness')
    expect(presenceLabel('leave', 'business')).toBe('leaveBusiness')
    expect(presenceLabel('present', null)).toBe('present')
  })
  it('offers self check-in only when allowed and not present', () => {
    expect(selfActions('absent', true)).toEqual({ checkIn: true, checkOut: false })
    expect(selfActions('present', true)).toEqual({ checkIn: false, checkOut: true })
    expect(selfActions('absent', false)).toEqual({ checkIn: false, checkOut: false })
  })
  it('offers desk actions by state', () => {
    const base = { role: 'delegate', status: 'active', hasCredential: true, undoable: false, leaveReason: null }
    const present = rowActions({ ...base, presence: 'present', undoable: true })
    expect(present).toMatchObject({ checkIn: false, checkOut: true, undo: true, leaveBusiness: false, cancelLeave: false })
    const onLeave = rowActions({ ...base, presence: 'leave', leaveReason: 'business' })
    expect(onLeave).toMatchObject({ checkIn: true, leaveBusiness: false, leaveIllness: true, cancelLeave: true })
    const staff = rowActions({ ...base, role: 'secretariat', presence: 'absent', hasCredential: false })
    expect(staff).toMatchObject({ checkIn: false, leaveBusiness: false, revoke: false, reissue: true })
  })
})

describe('cards', () => {
  it('paginates 8 per page', () => {
    const pages = paginate(Array.from({ length: 17 }, (_, i) => i))
    expect(pages.map((p) => p.length)).toEqual([8, 8, 1])
    expect(paginate([])).toEqual([])
  })
})

describe('import preview', () => {
  it('accepts counts as numbers or lists and builds a sample table', () => {
    const p = normalizePreview({
      encoding: 'gbk',
      rows: 3,
      delegations: [{ id: 'd1', name: 'A', order: 0 }],
      persons: [
        { id: '1', name: '王', seat: '1' },
        { id: '2', name: '李', seat: '2', role: 'observer' },
      ],
      errors: [{ line: 4, column: '座位', message: { zh: '座位重复', en: 'Duplicate seat' } }],
    })
    expect(p).toMatchObject({ encoding: 'gbk', rowCount: 3, delegationCount: 1, personCount: 2 })
    expect(p.sample.columns).toEqual(['id', 'name', 'seat', 'role'])
    expect(p.sample.rows[0]).toEqual(['1', '王', '1', ''])
    expect(p.errors[0]).toEqual({ line: 4, column: '座位', message: { zh: '座位重复', en: 'Duplicate seat' } })
    // Ids the server made from row numbers: the desk warns that such a file only replaces.
    expect(p.idsGenerated).toBe(false)
    expect(normalizePreview({ rows: 1, persons: [], errors: [], idsGenerated: true }).idsGenerated).toBe(true)
  })
  it('reads the errors of a refused import', () => {
    expect(importErrors({ errors: [{ line: 2, column: 'name', message: 'empty' }] })).toEqual([
      { line: 2, column: 'name', message: { zh: 'empty', en: 'empty' } },
    ])
    expect(importErrors(undefined)).toEqual([])
  })
})

describe('quorum text', () => {
  it('states and validates rules', () => {
    expect(ruleText({ num: 1, den: 2, op: 'gt' })).toBe('> 1/2')
    expect(ruleText({ num: 2, den: 3, op: 'gte' })).toBe('≥ 2/3')
    expect(validRule({ num: 2, den: 3, op: 'gt' })).toBe(true)
    expect(validRule({ num: 3, den: 3, op: 'gt' })).toBe(false)
    expect(validRule({ num: 1.5, den: 3, op: 'gt' })).toBe(false)
    expect(percent(126, 251)).toBe(50)
    expect(percent(1, 0)).toBe(0)
  })
})

describe('errors', () => {
  it('passes server errors through and hides unknown shapes', () => {
    const e = ackError('UNKNOWN_CARD', {}, 'en')
    expect(isAckError(e)).toBe(true)
    expect(toClientError(e)).toBe(e)
    expect(toClientError(new Error('boom')).code).toBe('INTERNAL')
    expect(messageIn(e, 'zh')).toBe('无法识别的证件，请核对')
    expect(timeoutError().messages.zh).toBe('网络超时，请重试')
  })
})
