// A by-election through the pages: the desk sets it up (the surplus warning, then a fixed list),
// the chair cannot open it without a quorum, then opens it; a delegate fills in the ballot on the
// tablet (the over-seats warning, a write-in, the review screen) while the rest vote over sockets;
// the chair closes it, the scrutineers confirm (one on the tablet, one over a socket), the chair
// publishes, the hall display shows the result and the chair prints the count report.
import fs from 'node:fs'
import path from 'node:path'
import { compareNamesByStrokes } from '../../server/strokes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { ARTIFACTS, assertBuilt, launchBrowser, SIZES, testIdText, type BrowserSession } from '../helpers/browser'
import { checkInDirect, idemKey, send, startHall, type Hall } from '../helpers/server'

/** Picks a person in a roster picker by typing the name and clicking their row. */
async function pick(page: Page, picker: string, name: string, personId: string): Promise<void> {
  await page.getByTestId(`${picker}-input`).fill(name)
  await page.locator(`[data-testid="${picker}-option"][data-person="${personId}"]`).click()
}

describe('an election in the browser', () => {
  let hall: Hall
  let browser: BrowserSession

  beforeAll(async () => {
    assertBuilt()
    hall = await startHall('sqlite')
    browser = await launchBrowser()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await hall?.close()
  })

  it('runs from the desk to the printed count report', async () => {
    const url = hall.server.url
    const [candA, candB] = hall.delegates
    const [s1, s2] = hall.delegates.slice(240, 242)
    const tabletVoter = hall.delegates[10]
    const writeIn = hall.delegates[50]
    const socketVoters = hall.delegates.slice(11, 140)
    const sec2 = hall.codes.find((c) => c.personId === 'sec2')!

    // --- The desk sets up the election.
    const desk = await browser.open(url, '/desk', hall.secretariat.code, SIZES.desk)
    await desk.page.getByTestId('desk-tab-polls').click()
    await desk.page.getByTestId('poll-new').click()
    await desk.page.getByTestId('editor-title').fill('补选县委委员')
    await desk.page.getByTestId('editor-seats').fill('2')
    await pick(desk.page, 'cand-picker', candA.name, candA.personId)
    await pick(desk.page, 'cand-picker', candB.name, candB.personId)
    await pick(desk.page, 'scrutineer-picker', s1.name, s1.personId)
    await pick(desk.page, 'scrutineer-picker', s2.name, s2.personId)
    await pick(desk.page, 'teller-picker', sec2.name, 'sec2')
    await desk.page.getByTestId('editor-timelimit').fill('10')
    expect(await desk.page.getByTestId('editor-surplus-check').getAttribute('data-ok')).toBe('false')
    await browser.screenshot(desk.page, 'election-desk-editor', { fullPage: true })
    await desk.page.getByTestId('editor-save').click()
    // Two candidates for two committee seats: below the 10% surplus, which the server warns about.
    await desk.page.locator('[data-testid="poll-warnings"] [data-warning="SURPLUS_BELOW_MIN"]').waitFor()
    expect(await testIdText(desk.page, 'poll-warnings')).toContain('差额比例不足')
    await browser.screenshot(desk.page, 'election-desk-warning')
    // Fixed: a third candidate from outside the roster.
    await desk.page.getByTestId('poll-edit').click()
    await desk.page.getByTestId('cand-picker-input').fill('丁一')
    await desk.page.getByTestId('cand-picker-outside').click()
    await desk.page.getByTestId('editor-save').click()
    await desk.page.getByTestId('desk-poll-detail').waitFor()
    await expect.poll(() => desk.page.getByTestId('poll-warnings').count()).toBe(0)
    const pollId = (await desk.page.getByTestId('desk-poll-detail').getAttribute('data-poll'))!

    // --- The chair cannot open it without a quorum, and says why.
    const chair = await browser.open(url, '/chair', hall.chair.code, SIZES.chair)
    const detail = chair.page.getByTestId('poll-detail')
    await expect.poll(() => detail.getAttribute('data-poll')).toBe(pollId)
    await chair.page.getByTestId('poll-open').click()
    await expect.poll(() => chair.page.getByTestId('poll-error').getAttribute('data-code')).toBe('QUORUM_NOT_MET')
    expect(await testIdText(chair.page, 'poll-error')).toContain('未达到规定人数')
    await browser.screenshot(chair.page, 'election-chair-no-quorum')

    await checkInDirect(hall.server.app, [...hall.delegates.slice(0, 140), s1, s2].map((d) => d.personId))
    await chair.page.getByTestId('poll-open').click()
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('open')
    await expect.poll(() => chair.page.getByTestId('chair-turnout').getAttribute('data-issued')).toBe('142')
    expect(await chair.page.getByTestId('countdown').count()).toBe(1)

    // --- A late arrival: checked in after the opening, admitted at the desk into the round.
    const late = hall.delegates[145]
    await checkInDirect(hall.server.app, [late.personId])
    await desk.page.locator(`[data-testid="desk-poll-item"][data-poll="${pollId}"]`).click()
    await desk.page.locator(`[data-testid="admit-late"][data-person="${late.personId}"] [data-testid="admit-button"]`).click()
    await expect.poll(() => testIdText(desk.page, 'notice')).toContain(late.name)
    await expect.poll(() => chair.page.getByTestId('chair-turnout').getAttribute('data-issued')).toBe('143')
    await browser.shot(desk.page.getByTestId('desk-poll-detail'), 'election-desk-open-admit')

    // --- The display shows the round, turnout only.
    const display = await browser.open(url, '/display', hall.display.code, SIZES.display)
    await expect.poll(() => display.page.getByTestId('display-poll').getAttribute('data-phase')).toBe('open')

    // --- A delegate fills in the ballot on the tablet.
    const tablet = await browser.open(url, '/delegate', tabletVoter.code, SIZES.tablet)
    const card = tablet.page.getByTestId('ballot-card')
    await card.waitFor()
    const row = (name: string) => tablet.page.locator(`[data-testid="candidate"][data-name="${name}"]`)
    await row(candA.name).getByTestId('mark-for').click()
    await row(candB.name).getByTestId('mark-for').click()
    await row('丁一').getByTestId('mark-for').click()
    // Three "for" for two seats: the tablet says plainly that the ballot would be invalid.
    expect(await tablet.page.getByTestId('for-counter').getAttribute('data-for')).toBe('3')
    await tablet.page.getByTestId('over-warning').waitFor()
    await browser.screenshot(tablet.page, 'election-tablet-over-seats', { fullPage: true })
    await row(candB.name).getByTestId('mark-against').click()
    await row('丁一').getByTestId('mark-abstain').click()
    await tablet.page.getByTestId('writein-search').fill(writeIn.name)
    await tablet.page.locator(`[data-testid="writein-option"][data-person="${writeIn.personId}"]`).click()
    expect(await tablet.page.getByTestId('for-counter').getAttribute('data-for')).toBe('2')
    expect(await tablet.page.getByTestId('over-warning').count()).toBe(0)
    await browser.screenshot(tablet.page, 'election-tablet-ballot', { fullPage: true })
    await tablet.page.getByTestId('ballot-review').click()
    await tablet.page.getByTestId('ballot-review-screen').waitFor()
    expect(await testIdText(tablet.page, 'ballot-summary')).toContain(writeIn.name)
    await browser.screenshot(tablet.page, 'election-tablet-review', { fullPage: true })
    await tablet.page.getByTestId('ballot-submit').click()
    await tablet.page.getByTestId('ballot-received').waitFor()
    expect(await testIdText(tablet.page, 'ballot-received')).toContain('您的选票已收到')
    await browser.screenshot(tablet.page, 'election-tablet-received')

    // --- Everyone else votes over sockets: two over-vote (invalid), the rest elect candA.
    const listed = (await hall.server.app.engine.state.polls.get(pollId)!.rounds[0].spec) as { candidates: Array<{ id: string; personId: string | null; name: string }> }
    const idOf = (name: string) => listed.candidates.find((c) => c.name === name)!.id
    for (let i = 0; i < socketVoters.length; i += 25) {
      const batch = socketVoters.slice(i, i + 25)
      const acks = await Promise.all(
        batch.map(async (v, j) => {
          const n = i + j
          const t = await hall.connect(v.code)
          const marks =
            n < 2
              ? { [idOf(candA.name)]: 'for', [idOf(candB.name)]: 'for', [idOf('丁一')]: 'for' }
              : { [idOf(candA.name)]: 'for', [idOf(candB.name)]: n % 2 ? 'for' : 'against', [idOf('丁一')]: 'abstain' }
          const ack = await send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks, writeIns: [] }, idempotencyKey: idemKey() })
          t.socket.disconnect()
          return ack
        }),
      )
      expect(acks.every((a) => a.ok)).toBe(true)
    }
    await expect.poll(() => chair.page.getByTestId('chair-turnout').getAttribute('data-cast'), { timeout: 10_000 }).toBe('130')
    await expect.poll(() => testIdText(display.page, 'display-turnout-cast')).toBe('130')
    // A secret ballot shows turnout only while open: no result bars on the display.
    expect(await display.page.getByTestId('result-bars').count()).toBe(0)
    await browser.screenshot(display.page, 'election-display-voting')
    await browser.screenshot(chair.page, 'election-chair-voting')
    await browser.shot(chair.page.getByTestId('poll-console'), 'election-chair-console-voting')

    // --- The chair closes; the count is the chair's before anyone else's.
    await chair.page.getByTestId('poll-close').click()
    await chair.page.getByTestId('confirm-ok').click()
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('counted')
    expect(await chair.page.getByTestId('poll-publish').isDisabled()).toBe(true)
    expect(await testIdText(chair.page, 'count-returned')).toBe('130')
    expect(await testIdText(chair.page, 'count-invalid')).toBe('2')
    await expect.poll(() => display.page.getByTestId('display-poll').getAttribute('data-phase')).toBe('counting')

    // --- The desk downloads the anonymised ballots (fetched with the token, saved as a file).
    await expect.poll(() => desk.page.getByTestId('download-json').count()).toBe(1)
    const [download] = await Promise.all([desk.page.waitForEvent('download'), desk.page.getByTestId('download-json').click()])
    expect(download.suggestedFilename()).toBe(`ballots-${pollId}-1.json`)
    const file = path.join(ARTIFACTS, download.suggestedFilename())
    await download.saveAs(file)
    const exported = JSON.parse(fs.readFileSync(file, 'utf8')) as { ballots: unknown[]; format: string }
    expect(exported.format).toBe('congress-ballots/1')
    expect(exported.ballots).toHaveLength(130)
    await browser.screenshot(chair.page, 'election-chair-counted')
    await browser.shot(chair.page.getByTestId('poll-console'), 'election-chair-console-counted')

    // --- Scrutineers confirm: one on the tablet, one over a socket.
    const scrutineer = await browser.open(url, '/delegate', s1.code, SIZES.tablet)
    await scrutineer.page.getByTestId('scrutineer-panel').waitFor()
    expect(await testIdText(scrutineer.page, 'count-valid')).toBe('128')
    await browser.screenshot(scrutineer.page, 'election-scrutineer-tablet', { fullPage: true })
    await scrutineer.page.getByTestId('scrutineer-confirm').click()
    await scrutineer.page.getByTestId('confirm-ok').click()
    await scrutineer.page.getByTestId('confirmed-tag').waitFor()
    const other = await hall.connect(s2.code)
    expect((await send(other.socket, 'poll:confirm', { pollId })).ok).toBe(true)

    // --- The chair publishes.
    await expect.poll(() => chair.page.getByTestId('poll-publish').isDisabled()).toBe(false)
    await chair.page.getByTestId('poll-publish').click()
    await chair.page.getByTestId('confirm-ok').click()
    // candA elected, candB short of the threshold: a further round waits.
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('next')
    await chair.page.getByTestId('next-round').waitFor()
    await browser.shot(chair.page.getByTestId('poll-console'), 'election-chair-console-published')

    // --- The display shows the result.
    await expect.poll(() => display.page.getByTestId('display-poll').getAttribute('data-phase')).toBe('results')
    const elected = display.page.locator(`[data-testid="result-row"][data-name="${candA.name}"]`)
    expect(await elected.getAttribute('data-elected')).toBe('true')
    expect(await display.page.locator(`[data-testid="result-row"][data-name="${candB.name}"]`).getAttribute('data-elected')).toBe('false')
    expect(await display.page.locator(`[data-testid="result-row"][data-name="${writeIn.name}"]`).getAttribute('data-for')).toBe('1')
    await browser.screenshot(display.page, 'election-display-results')

    // --- The count report, printed.
    await chair.page.getByTestId('poll-report').click()
    const sheet = chair.page.getByTestId('count-report')
    await sheet.waitFor()
    expect(await sheet.textContent()).toContain('计票结果报告单')
    await browser.screenshot(chair.page, 'election-count-report-screen')
    // As printed: A4 width at 96 dpi, print styles (only the sheet), and the PDF chromium prints.
    await chair.page.setViewportSize({ width: 794, height: 1123 })
    await chair.page.emulateMedia({ media: 'print' })
    await browser.screenshot(chair.page, 'election-count-report-print', { fullPage: true })
    const pdf = path.join(ARTIFACTS, 'election-count-report.pdf')
    await chair.page.pdf({ path: pdf, preferCSSPageSize: true })
    const bytes = fs.readFileSync(pdf).toString('latin1')
    // One A4 page (595 x 842 pt).
    expect(bytes.match(/\/Type \/Page\b/g)).toHaveLength(1)
    expect(bytes).toMatch(/\/MediaBox \[0 0 59[45]\.\d+ 84[12]\.\d+\]/)
    await chair.page.emulateMedia({ media: 'screen' })
    await chair.page.setViewportSize(SIZES.chair)

    // --- The presidium decides the further round: one seat between candB and the written-in
    // delegate (丁一 dropped), listed by strokes once saved; then it decides against holding it.
    await chair.page.getByTestId('report-close').click()
    await chair.page.getByTestId('report-layer').waitFor({ state: 'detached' })
    await chair.page.getByTestId('next-round-adjust').click()
    const form = chair.page.getByTestId('next-round-form')
    await form.waitFor()
    const person = (id: string) => form.locator(`[data-testid="next-round-person"][data-id="${id}"] input`)
    expect(await person(idOf('丁一')).isChecked()).toBe(true)
    expect(await person(`w:${writeIn.personId}`).isChecked()).toBe(false)
    await person(idOf('丁一')).uncheck()
    await person(`w:${writeIn.personId}`).check()
    await expect.poll(() => form.getByTestId('next-round-surplus').getAttribute('data-ok')).toBe('true')
    await browser.shot(chair.page.getByTestId('poll-console'), 'election-chair-next-round-editor')
    await form.getByTestId('next-round-save').click()
    await form.waitFor({ state: 'detached' })
    const names = [candB.name, writeIn.name].sort(compareNamesByStrokes).join('、')
    await expect.poll(() => chair.page.getByTestId('next-round').textContent()).toContain(names)
    expect(await chair.page.getByTestId('next-round').textContent()).not.toContain('丁一')
    await chair.page.getByTestId('next-round-finish').click()
    expect(await chair.page.getByTestId('confirm-dialog').textContent()).toContain('已当选1名，原应选2名')
    await chair.page.getByTestId('confirm-ok').click()
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('published')
    await chair.page.getByTestId('poll-ended-short').waitFor()
    await browser.shot(chair.page.getByTestId('poll-console'), 'election-chair-console-ended')

    // --- After the round the tablet holds nothing of the ballot.
    await expect.poll(() => tablet.page.getByTestId('ballot-card').count()).toBe(0)

    for (const p of [desk, chair, display, tablet, scrutineer]) expect(p.errors).toEqual([])
  }, 240_000)
})
