// Resolution (named, with live results), appointment and evaluation ballots in the browser: the
// tablet's ballot and review, the display during and after the vote, the chair's count and the
// printed report of each kind. The chair works in the console; set-up and the other voters go over
// sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { assertBuilt, launchBrowser, SIZES, testIdText, type BrowserSession, type OpenPage } from '../helpers/browser'
import { checkInDirect, idemKey, send, startHall, type Client, type Hall } from '../helpers/server'

describe('votes, appointments and evaluations in the browser', () => {
  let hall: Hall
  let browser: BrowserSession
  let deskSocket: Client
  let voters: Client[]
  let tablet: OpenPage
  let display: OpenPage
  let chair: OpenPage

  beforeAll(async () => {
    assertBuilt()
    hall = await startHall('sqlite')
    browser = await launchBrowser()
    await checkInDirect(hall.server.app, hall.delegates.slice(0, 180).map((d) => d.personId))
    deskSocket = (await hall.connect(hall.codes.find((c) => c.personId === 'sec2')!.code)).socket
    voters = []
    for (const d of hall.delegates.slice(1, 141)) voters.push((await hall.connect(d.code)).socket)
    tablet = await browser.open(hall.server.url, '/delegate', hall.delegates[0].code, SIZES.tablet)
    display = await browser.open(hall.server.url, '/display', hall.display.code, SIZES.display)
    chair = await browser.open(hall.server.url, '/chair', hall.chair.code, SIZES.chair)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await hall?.close()
  })

  async function create(payload: unknown): Promise<string> {
    const r = await send<{ pollId: string }>(deskSocket, 'poll:create', payload)
    if (!r.ok) throw new Error(JSON.stringify(r))
    return r.data.pollId
  }

  async function everyoneVotes(pollId: string, ballot: (i: number) => unknown): Promise<void> {
    const acks = await Promise.all(voters.map((s, i) => send(s, 'ballot:cast', { pollId, round: 1, ballot: ballot(i), idempotencyKey: idemKey() })))
    expect(acks.filter((a) => !a.ok)).toEqual([])
  }

  /** The chair opens the poll in the console (one chair session: the console, not a socket). */
  async function open(pollId: string): Promise<void> {
    await chair.page.locator(`[data-testid="poll-item"][data-poll="${pollId}"]`).click()
    await chair.page.getByTestId('poll-open').click()
    await expect.poll(() => chair.page.getByTestId('poll-detail').getAttribute('data-phase')).toBe('open')
  }

  async function closeAndPublish(pollId: string): Promise<void> {
    const detail = chair.page.getByTestId('poll-detail')
    expect(await detail.getAttribute('data-poll')).toBe(pollId)
    await chair.page.getByTestId('poll-close').click()
    await chair.page.getByTestId('confirm-ok').click()
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('counted')
    await chair.page.getByTestId('poll-publish').click()
    await chair.page.getByTestId('confirm-ok').click()
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('published')
    await expect.poll(() => display.page.getByTestId('display-poll').getAttribute('data-phase')).toBe('results')
  }

  /** A share of ballots as the bars print it: one decimal, half up. */
  const pctText = (n: number, of: number) => `${(Math.floor((n * 2000 + of) / (2 * of)) / 10).toFixed(1)}%`

  /** The count and share written under a result row's bar for one mark or grade. */
  async function barFigure(page: Page, row: string, key: string): Promise<{ count: string; pct: string }> {
    const fig = page.locator(`[data-testid="result-row"][data-name="${row}"] [data-testid="bar-figure"][data-key="${key}"]`)
    const text = async (id: string) => ((await fig.getByTestId(id).textContent()) ?? '').trim()
    return { count: await text('bar-figure-count'), pct: await text('bar-figure-pct') }
  }

  async function reviewAndCast(page: Page): Promise<void> {
    await page.getByTestId('ballot-review').click()
    await page.getByTestId('ballot-review-screen').waitFor()
    await page.getByTestId('ballot-submit').click()
    await page.getByTestId('ballot-received').waitFor()
  }

  async function printReport(name: string): Promise<void> {
    await chair.page.getByTestId('poll-report').click()
    await chair.page.getByTestId('count-report').waitFor()
    await chair.page.setViewportSize({ width: 794, height: 1123 })
    await chair.page.emulateMedia({ media: 'print' })
    await browser.screenshot(chair.page, name, { fullPage: true })
    await chair.page.emulateMedia({ media: 'screen' })
    await chair.page.setViewportSize(SIZES.chair)
    await chair.page.getByTestId('report-close').click()
  }

  it('a named resolution with live results', async () => {
    const pollId = await create({
      title: '关于县委工作报告的决议',
      spec: { kind: 'resolution', question: '中共芦溪县第十五次代表大会第二次会议关于县委工作报告的决议（草案）' },
      secret: false,
      liveResults: true,
      timeLimitS: 300,
    })
    await open(pollId)
    await tablet.page.getByTestId('ballot-card').waitFor()
    await tablet.page.getByTestId('vote-for').click()
    await browser.screenshot(tablet.page, 'votes-tablet-resolution')
    await reviewAndCast(tablet.page)
    const mark = (i: number) => (i % 20 === 0 ? 'against' : i % 23 === 0 ? 'abstain' : 'for')
    await everyoneVotes(pollId, (i) => ({ mark: mark(i) }))
    const forVotes = 1 + voters.filter((_, i) => mark(i) === 'for').length
    // Live bars on the display while the named vote is open.
    await expect.poll(() => testIdText(display.page, 'display-turnout-cast')).toBe('141')
    await display.page.getByTestId('result-bars').waitFor()
    await browser.screenshot(display.page, 'votes-display-resolution-live')
    // The chair sees the named vote live, by delegation too.
    await expect.poll(() => chair.page.getByTestId('delegation-tally-row').count()).toBeGreaterThan(1)
    await browser.shot(chair.page.getByTestId('poll-console'), 'votes-chair-resolution-live')
    // The chair takes the running tally off the hall display, and puts it back.
    const live = chair.page.getByTestId('poll-live-toggle')
    expect(await live.getAttribute('data-live')).toBe('true')
    await live.locator('input').uncheck()
    await display.page.getByTestId('result-bars').waitFor({ state: 'detached' })
    expect(await testIdText(display.page, 'display-turnout-cast')).toBe('141')
    await live.locator('input').check()
    await display.page.getByTestId('result-bars').waitFor()
    await closeAndPublish(pollId)
    expect(await display.page.getByTestId('vote-for').getAttribute('data-count')).toBe(String(forVotes))
    // More "for" than half of the 251 who should attend.
    expect(await display.page.getByTestId('vote-verdict').getAttribute('data-passed')).toBe(String(forVotes > 125))
    await browser.screenshot(display.page, 'votes-display-resolution')
    await browser.shot(chair.page.getByTestId('poll-console'), 'votes-chair-resolution')
    await printReport('votes-report-resolution')
  }, 120_000)

  it('an appointment vote', async () => {
    const pollId = await create({
      title: '全委会票决拟任人选',
      spec: {
        kind: 'appointment',
        nominees: [
          { name: '张建华', position: '县发展和改革委员会主任' },
          // A delegate of the hall: nominated, she leaves the deliberation (回避) and still votes.
          { name: hall.delegates[60].name, personId: hall.delegates[60].personId, position: '县教育体育局局长' },
          { name: '王志强', position: '县财政局局长' },
        ],
        thirdOption: 'defer',
      },
    })
    await open(pollId)
    await tablet.page.locator(`[data-testid="ballot-card"][data-poll="${pollId}"]`).waitFor()
    const rows = tablet.page.getByTestId('nominee')
    await rows.nth(0).getByTestId('mark-agree').click()
    await rows.nth(1).getByTestId('mark-disagree').click()
    await browser.screenshot(tablet.page, 'votes-tablet-appointment')
    await tablet.page.getByTestId('mark-rest').click()
    expect(await rows.nth(2).getByTestId('mark-defer').getAttribute('aria-pressed')).toBe('true')
    await reviewAndCast(tablet.page)
    const spec = hall.server.app.engine.state.polls.get(pollId)!.spec as { nominees: Array<{ id: string }> }
    await everyoneVotes(pollId, (i) => ({
      marks: Object.fromEntries(spec.nominees.map((n, j) => [n.id, j === 2 ? (i % 3 ? 'defer' : 'agree') : i % 7 === 0 ? 'disagree' : 'agree'])),
    }))
    await expect.poll(() => display.page.getByTestId('display-poll').getAttribute('data-poll')).toBe(pollId)
    await browser.screenshot(display.page, 'votes-display-appointment-open')
    expect(await display.page.getByTestId('result-bars').count()).toBe(0)
    await closeAndPublish(pollId)
    // Every mark of a row with its count and its share of the 141 valid ballots, 0 included: the
    // tablet marked 王志强 缓议 like two thirds of the others.
    const agree = voters.filter((_, i) => i % 3 === 0).length
    const defer = voters.length + 1 - agree
    for (const page of [display.page, chair.page]) {
      expect(await barFigure(page, '王志强', 'agree')).toEqual({ count: String(agree), pct: pctText(agree, 141) })
      expect(await barFigure(page, '王志强', 'disagree')).toEqual({ count: '0', pct: '0.0%' })
      expect(await barFigure(page, '王志强', 'third')).toEqual({ count: String(defer), pct: pctText(defer, 141) })
    }
    // The recused nominee is marked on the display and in the chair's count table, the others not.
    const recusedName = hall.delegates[60].name
    expect(await display.page.locator(`[data-testid="result-row"][data-name="${recusedName}"] [data-testid="bar-recused"]`).count()).toBe(1)
    expect(await display.page.getByTestId('bar-recused').count()).toBe(1)
    expect(await chair.page.locator(`[data-testid="count-row"][data-name="${recusedName}"] [data-testid="count-recused"]`).count()).toBe(1)
    await browser.screenshot(display.page, 'votes-display-appointment')
    await browser.shot(chair.page.getByTestId('poll-console'), 'votes-chair-appointment')
    await printReport('votes-report-appointment')
  }, 120_000)

  it('a democratic evaluation', async () => {
    const subjects = ['县委常委会', '县纪委常委会', '县委书记', '县长', '县纪委书记', '县委副书记']
    const pollId = await create({
      title: '民主测评',
      spec: { kind: 'evaluation', subjects: subjects.map((name) => ({ name })), scale: ['满意', '比较满意', '基本满意', '不满意'] },
    })
    await open(pollId)
    await tablet.page.locator(`[data-testid="ballot-card"][data-poll="${pollId}"]`).waitFor()
    const rows = tablet.page.getByTestId('subject')
    await rows.nth(0).getByTestId('grade-0').click()
    await rows.nth(1).getByTestId('grade-1').click()
    await rows.nth(2).getByTestId('grade-0').click()
    await browser.screenshot(tablet.page, 'votes-tablet-evaluation', { fullPage: true })
    await reviewAndCast(tablet.page)
    const spec = hall.server.app.engine.state.polls.get(pollId)!.spec as { subjects: Array<{ id: string }> }
    await everyoneVotes(pollId, (i) => ({
      grades: Object.fromEntries(spec.subjects.map((s, j) => [s.id, (i + j) % 11 === 0 ? null : Math.min(3, Math.floor(((i * (j + 1)) % 10) / 3))])),
    }))
    await closeAndPublish(pollId)
    // 县委书记 (the third subject): the tablet graded it 满意; the others as above. Every grade and
    // abstain shows its count and share of the 141 returned, a grade too small for a number inside
    // its segment (under 9% of the bar) included.
    const grades = [1, 0, 0, 0]
    let abstain = 0
    voters.forEach((_, i) => {
      if ((i + 2) % 11 === 0) abstain++
      else grades[Math.min(3, Math.floor(((i * 3) % 10) / 3))]++
    })
    const figures = [...grades.map((n, g) => ({ key: `grade-${g}`, n })), { key: 'abstain', n: abstain }]
    const small = figures.filter((f) => f.n > 0).sort((a, b) => a.n - b.n)[0]
    expect((small.n * 100) / 141).toBeLessThan(9)
    expect(await barFigure(display.page, '县委书记', small.key)).toEqual({ count: String(small.n), pct: pctText(small.n, 141) })
    for (const f of figures) expect(await barFigure(display.page, '县委书记', f.key)).toEqual({ count: String(f.n), pct: pctText(f.n, 141) })
    expect(await barFigure(chair.page, '县委书记', small.key)).toEqual({ count: String(small.n), pct: pctText(small.n, 141) })
    await browser.screenshot(display.page, 'votes-display-evaluation')
    await browser.shot(chair.page.getByTestId('poll-console'), 'votes-chair-evaluation')
    await printReport('votes-report-evaluation')
    for (const p of [tablet, display, chair]) expect(p.errors).toEqual([])
  }, 120_000)
})
