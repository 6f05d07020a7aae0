// Voting bodies and paper election rounds through the pages.
// 1. The desk sets up a voting body (县委全体委员: a whole delegation picked at once, one more member
//    found by search) and a full-committee appointment vote of that body; the chair console and the
//    count report name the body, and should attend (应到) is the body's members.
// 2. A paper by-election: the desk creates it on paper, the chair issues the ballots (poll:open),
//    the two secretariat accounts (sec1, sec2: two pages, two people) enter the counts blind to each
//    other, first with a difference (shown to the tellers; the chair's close is refused), then
//    agreeing; the chair closes, sees the count, publishes, and prints the report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { assertBuilt, launchBrowser, SIZES, testIdText, type BrowserSession, type OpenPage } from '../helpers/browser'
import { checkInDirect, idemKey, send, startHall, type Hall } from '../helpers/server'

async function pick(page: Page, picker: string, name: string, personId: string): Promise<void> {
  await page.getByTestId(`${picker}-input`).fill(name)
  await page.locator(`[data-testid="${picker}-option"][data-person="${personId}"]`).click()
}

/** Types one teller's count into the paper form of the open round. */
async function enterCounts(
  page: Page,
  counts: { returned: number; invalid: number; rows: Record<string, [number, number, number]> },
): Promise<void> {
  await page.getByTestId('paper-returned').fill(String(counts.returned))
  await page.getByTestId('paper-invalid').fill(String(counts.invalid))
  for (const [name, [f, a, x]] of Object.entries(counts.rows)) {
    const row = page.locator(`[data-testid="paper-row"][data-name="${name}"]`)
    await row.getByTestId('paper-for').fill(String(f))
    await row.getByTestId('paper-against').fill(String(a))
    await row.getByTestId('paper-abstain').fill(String(x))
  }
}

describe('voting bodies and paper rounds in the browser', () => {
  let hall: Hall
  let browser: BrowserSession
  let desk1: OpenPage
  let chair: OpenPage

  beforeAll(async () => {
    assertBuilt()
    hall = await startHall('sqlite')
    browser = await launchBrowser()
    desk1 = await browser.open(hall.server.url, '/desk', hall.secretariat.code, SIZES.desk)
    chair = await browser.open(hall.server.url, '/chair', hall.chair.code, SIZES.chair)
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await hall?.close()
  })

  it('a voting body set up at the desk votes on its own: the chair and the count report show it', async () => {
    const page = desk1.page
    // The engine replaces its state with every event: read it afresh.
    const st = () => hall.server.app.engine.state
    const [first, second] = [...st().delegations.values()].sort((a, b) => a.order - b.order)
    const ofFirst = [...st().persons.values()].filter((p) => p.delegationId === first.id && (p.role === 'delegate' || p.role === 'observer'))
    const extra = [...st().persons.values()].find((p) => p.delegationId === second.id && p.role === 'delegate')!
    const members = [...ofFirst, extra]

    await page.getByTestId('desk-tab-bodies').click()
    await page.getByTestId('bodies-none').waitFor()
    await page.getByTestId('body-new').click()
    // Nothing chosen yet: the form says what is missing before the server is asked.
    await page.getByTestId('body-save').click()
    expect(await page.locator('[data-testid="body-problems"] [data-problem]').evaluateAll((els) => els.map((e) => e.getAttribute('data-problem')))).toEqual([
      'name',
      'members',
    ])
    await page.getByTestId('body-name').fill('县委全体委员')
    // A whole delegation at once, then one more member found by name.
    await page.locator(`[data-testid="body-deleg-chip"][data-delegation="${first.id}"]`).click()
    expect(await page.locator(`[data-testid="body-deleg-chip"][data-delegation="${first.id}"]`).getAttribute('data-state')).toBe('all')
    expect(await page.getByTestId('body-count').getAttribute('data-count')).toBe(String(ofFirst.length))
    await page.getByTestId('body-search').fill(extra.name)
    await page.locator(`[data-testid="body-member-row"][data-person="${extra.id}"] [data-testid="body-member-check"]`).check()
    expect(await page.getByTestId('body-count').getAttribute('data-count')).toBe(String(members.length))
    expect(await page.locator(`[data-testid="body-deleg-chip"][data-delegation="${second.id}"]`).getAttribute('data-state')).toBe('some')
    await page.getByTestId('body-search').fill('')
    await page.getByTestId('body-only-selected').check()
    await expect.poll(() => page.getByTestId('body-member-row').count()).toBe(members.length)
    await browser.screenshot(page, 'paper-01-desk-body-editor')
    await page.getByTestId('body-save').click()
    await expect.poll(() => testIdText(page, 'notice')).toContain('县委全体委员')
    const item = page.getByTestId('body-item').filter({ hasText: '县委全体委员' })
    await item.waitFor()
    expect(await item.getAttribute('data-members')).toBe(String(members.length))
    const bodyId = (await item.getAttribute('data-body'))!
    expect(st().bodies.get(bodyId)?.memberIds).toEqual(members.map((m) => m.id).sort())
    await browser.screenshot(page, 'paper-02-desk-bodies')

    // --- An appointment vote of that body.
    await page.getByTestId('desk-tab-polls').click()
    await page.getByTestId('poll-new').click()
    await page.getByTestId('editor-kind-appointment').click()
    await page.getByTestId('editor-title').fill('全委会票决')
    await page.getByTestId('editor-scope').selectOption(bodyId)
    await page.getByTestId('editor-scope-info').waitFor()
    expect(await testIdText(page, 'editor-scope-info')).toContain(`成员${members.length}名`)
    await page.getByTestId('nominee-picker-input').fill('张某某')
    await page.getByTestId('nominee-picker-outside').click()
    // Scrutineers are voters of the poll: in a body's poll, its members only.
    const outsider = [...st().persons.values()].find((p) => p.delegationId === second.id && p.role === 'delegate' && p.id !== extra.id)!
    await page.getByTestId('scrutineer-picker-input').fill(extra.name)
    await page.locator(`[data-testid="scrutineer-picker-option"][data-person="${extra.id}"]`).waitFor()
    await page.getByTestId('scrutineer-picker-input').fill(outsider.name)
    expect(await page.locator(`[data-testid="scrutineer-picker-option"][data-person="${outsider.id}"]`).count()).toBe(0)
    await page.getByTestId('scrutineer-picker-input').fill('')
    await browser.screenshot(page, 'paper-03-desk-editor-scope', { fullPage: true })
    await page.getByTestId('editor-save').click()
    await page.getByTestId('desk-poll-detail').waitFor()
    const pollId = (await page.getByTestId('desk-poll-detail').getAttribute('data-poll'))!
    expect(await testIdText(page, 'poll-body')).toBe('县委全体委员')

    // --- The chair opens it for the body's members only.
    const delegates = members.filter((m) => m.role === 'delegate')
    await checkInDirect(hall.server.app, [...delegates.map((m) => m.id), outsider.id])
    const cp = chair.page
    await cp.locator(`[data-testid="poll-item"][data-poll="${pollId}"]`).click()
    expect(await testIdText(cp, 'chair-electorate')).toContain('县委全体委员')
    await cp.getByTestId('poll-open').click()
    const detail = cp.getByTestId('poll-detail')
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('open')
    const electorate = cp.getByTestId('chair-electorate')
    expect(await electorate.getAttribute('data-should')).toBe(String(members.length))
    expect(await electorate.getAttribute('data-present')).toBe(String(delegates.length))
    expect(await cp.getByTestId('chair-turnout').getAttribute('data-issued')).toBe(String(delegates.length))
    const spec = st().polls.get(pollId)!.spec
    const nominee = spec.kind === 'appointment' ? spec.nominees[0].id : ''
    for (const m of delegates) {
      const t = await hall.connect(hall.code(m.id))
      expect((await send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks: { [nominee]: 'agree' } }, idempotencyKey: idemKey() })).ok).toBe(true)
      t.socket.disconnect()
    }
    await expect.poll(() => cp.getByTestId('chair-turnout').getAttribute('data-cast')).toBe(String(delegates.length))
    await cp.getByTestId('poll-close').click()
    await cp.getByTestId('confirm-ok').click()
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('counted')
    // 应到 is the body's members, not the congress's 251.
    expect(await testIdText(cp, 'count-should-attend')).toBe(String(members.length))
    expect(await testIdText(cp, 'count-body')).toContain('县委全体委员')
    await browser.shot(cp.getByTestId('poll-console'), 'paper-04-chair-body-count')
    await cp.getByTestId('poll-publish').click()
    await cp.getByTestId('confirm-ok').click()
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('published')
    await cp.getByTestId('poll-report').click()
    const sheet = cp.getByTestId('count-report')
    await sheet.waitFor()
    expect(await sheet.textContent()).toContain('表决机构：县委全体委员')
    expect(await sheet.getByTestId('count-should-attend').textContent()).toBe(String(members.length))
    await browser.screenshot(cp, 'paper-05-body-count-report')
    await cp.getByTestId('report-close').click()

    // A body in use cannot be removed: the server says so on the desk.
    await page.getByTestId('desk-tab-bodies').click()
    await page.locator(`[data-testid="body-item"][data-body="${bodyId}"]`).click()
    await page.getByTestId('body-remove').click()
    await page.getByTestId('confirm-ok').click()
    await expect.poll(() => page.getByTestId('body-error').getAttribute('data-code')).toBe('BODY_IN_USE')
    await page.getByTestId('body-cancel').click()
  }, 180_000)

  it('a paper round: two blind entries by two people, a difference, a recount, then the chair closes and counts', async () => {
    const url = hall.server.url
    const page = desk1.page
    // The engine replaces its state with every event: read it afresh.
    const st = () => hall.server.app.engine.state
    const cand = hall.delegates[30]
    const voters = hall.delegates.slice(0, 200)

    // --- The desk sets up a paper by-election.
    await page.getByTestId('desk-tab-polls').click()
    await page.getByTestId('poll-new').click()
    await page.getByTestId('editor-title').fill('补选县委委员（纸质选票）')
    await page.getByTestId('editor-mode-paper').check()
    await page.getByTestId('editor-paper-hint').waitFor()
    expect(await page.getByTestId('editor-timelimit').count()).toBe(0)
    await pick(page, 'cand-picker', cand.name, cand.personId)
    await page.getByTestId('cand-picker-input').fill('李红梅')
    await page.getByTestId('cand-picker-outside').click()
    await page.getByTestId('editor-save').click()
    await page.getByTestId('desk-poll-detail').waitFor()
    const pollId = (await page.getByTestId('desk-poll-detail').getAttribute('data-poll'))!
    expect(st().polls.get(pollId)?.mode).toBe('paper')

    // --- The chair issues the ballots: the open button works for paper and says so.
    // 200 present (some already are, from the body's vote).
    await checkInDirect(hall.server.app, voters.filter((d) => st().attendance.get(d.personId)?.presence !== 'present').map((d) => d.personId))
    const cp = chair.page
    await cp.locator(`[data-testid="poll-item"][data-poll="${pollId}"]`).click()
    const open = cp.getByTestId('poll-open')
    expect(await open.isDisabled()).toBe(false)
    expect(await open.getAttribute('data-mode')).toBe('paper')
    expect((await open.textContent())?.trim()).toBe('发放选票，开始投票')
    await browser.shot(cp.getByTestId('poll-console'), 'paper-06-chair-before-open')
    await open.click()
    const detail = cp.getByTestId('poll-detail')
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('open')
    await expect.poll(() => cp.getByTestId('chair-turnout').getAttribute('data-issued')).toBe('200')
    expect(await cp.getByTestId('chair-paper-entries').getAttribute('data-stage')).toBe('none')

    // The hall display shows the ballots issued, not a turnout that paper ballots never report.
    const display = await browser.open(url, '/display', hall.display.code, SIZES.display)
    await expect.poll(() => display.page.getByTestId('display-poll').getAttribute('data-phase')).toBe('open')
    expect(await testIdText(display.page, 'display-turnout-issued')).toBe('200')
    expect(await display.page.getByTestId('display-turnout-cast').count()).toBe(0)
    await browser.screenshot(display.page, 'paper-07-display-paper-open')

    // A delegate's tablet has no electronic ballot for a paper round: it says to use the paper one.
    const tablet = await browser.open(url, '/delegate', voters[5].code, SIZES.tablet)
    await tablet.page.locator(`[data-testid="paper-ballot-notice"][data-poll="${pollId}"]`).waitFor()
    expect(await tablet.page.getByTestId('ballot-card').count()).toBe(0)
    await browser.screenshot(tablet.page, 'paper-07-tablet-notice')

    const spec = st().polls.get(pollId)!.rounds[0].spec
    const names = spec.kind === 'election' ? spec.candidates.map((c) => c.name) : []
    expect(names).toContain('李红梅')
    const right = { returned: 198, invalid: 3, rows: { [cand.name]: [130, 40, 25] as [number, number, number], 李红梅: [60, 100, 35] as [number, number, number] } }
    const wrong = { ...right, rows: { ...right.rows, 李红梅: [61, 99, 35] as [number, number, number] } }

    // --- First entry, by sec1. The live check flags what the server would refuse.
    await page.locator(`[data-testid="desk-poll-item"][data-poll="${pollId}"]`).click()
    const form1 = page.getByTestId('paper-entry')
    await form1.waitFor()
    expect(await form1.getAttribute('data-entry')).toBe('1')
    await enterCounts(page, { ...right, invalid: 199 })
    await page.getByTestId('paper-problem').first().waitFor()
    expect(await page.getByTestId('paper-problem').allTextContents()).toContain('无效票多于收回票')
    expect(await page.getByTestId('paper-submit').isDisabled()).toBe(true)
    await browser.shot(form1, 'paper-08-desk1-live-check')
    await page.getByTestId('paper-invalid').fill('3')
    await expect.poll(() => page.getByTestId('paper-check').getAttribute('data-ready')).toBe('true')
    expect(await testIdText(page, 'paper-valid')).toBe('195')
    await page.getByTestId('paper-submit').click()
    await expect.poll(() => page.getByTestId('paper-outcome').getAttribute('data-outcome')).toBe('first')
    await expect.poll(() => cp.getByTestId('chair-paper-entries').getAttribute('data-entered')).toBe('1')
    // The same person cannot make the second entry too.
    await page.getByTestId('paper-entry-2').check()
    await page.getByTestId('paper-submit').click()
    await expect.poll(() => page.getByTestId('paper-error').getAttribute('data-code')).toBe('PAPER_SAME_PERSON')
    expect(await testIdText(page, 'paper-error')).toContain('不同的工作人员')
    await browser.screenshot(page, 'paper-08-desk-same-person')
    // …and the form goes back to this desk's own entry.
    await expect.poll(() => form1.getAttribute('data-entry')).toBe('1')

    // --- Second entry, by sec2 on another page, blind: with one count different.
    const sec2 = hall.codes.find((c) => c.personId === 'sec2')!
    const desk2 = await browser.open(url, '/desk', sec2.code, SIZES.desk)
    const p2 = desk2.page
    await p2.getByTestId('desk-tab-polls').click()
    await p2.locator(`[data-testid="desk-poll-item"][data-poll="${pollId}"]`).click()
    const form2 = p2.getByTestId('paper-entry')
    await form2.waitFor()
    expect(await form2.getAttribute('data-entry')).toBe('2')
    expect(await p2.getByTestId('paper-status').getAttribute('data-entered')).toBe('1')
    // Blind: nothing of the first entry's numbers is on this page.
    expect(await p2.getByTestId('paper-returned').inputValue()).toBe('')
    expect(await p2.getByTestId('paper-valid').textContent()).toBe('—')
    await enterCounts(p2, wrong)
    await p2.getByTestId('paper-submit').click()
    await expect.poll(() => p2.getByTestId('paper-outcome').getAttribute('data-outcome')).toBe('differ')
    expect(await p2.getByTestId('paper-difference').allTextContents()).toEqual(['李红梅'])
    expect(await p2.locator('[data-testid="paper-row"][data-name="李红梅"]').getAttribute('data-differs')).toBe('true')
    expect(await p2.locator(`[data-testid="paper-row"][data-name="${cand.name}"]`).getAttribute('data-differs')).toBe('false')
    await browser.screenshot(p2, 'paper-09-desk2-differ', { fullPage: true })

    // --- The chair cannot close on differing entries, and is told which.
    await expect.poll(() => cp.getByTestId('chair-paper-entries').getAttribute('data-stage')).toBe('both')
    await cp.getByTestId('poll-close').click()
    await cp.getByTestId('confirm-ok').click()
    await expect.poll(() => cp.getByTestId('poll-error').getAttribute('data-code')).toBe('PAPER_MISMATCH')
    expect(await testIdText(cp, 'poll-error')).toContain('李红梅')
    expect(await detail.getAttribute('data-phase')).toBe('open')
    await browser.shot(cp.getByTestId('poll-console'), 'paper-10-chair-mismatch')

    // --- After the recount, sec2 enters again (the same entry, this desk's own).
    expect(await form2.getAttribute('data-entry')).toBe('2')
    const row = p2.locator('[data-testid="paper-row"][data-name="李红梅"]')
    await row.getByTestId('paper-for').fill('60')
    await row.getByTestId('paper-against').fill('100')
    await p2.getByTestId('paper-submit').click()
    await expect.poll(() => p2.getByTestId('paper-outcome').getAttribute('data-outcome')).toBe('agree')
    await browser.shot(form2, 'paper-11-desk2-agree')

    // --- The chair closes: the count is made from the agreeing entries.
    await cp.getByTestId('poll-close').click()
    await cp.getByTestId('confirm-ok').click()
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('counted')
    expect(await cp.getByTestId('poll-error').count()).toBe(0)
    expect(await testIdText(cp, 'count-issued')).toBe('200')
    expect(await testIdText(cp, 'count-returned')).toBe('198')
    expect(await testIdText(cp, 'count-valid')).toBe('195')
    expect(await testIdText(cp, 'count-invalid')).toBe('3')
    // 130 > 125.5 (half of 251 should attend): elected; 60 is not.
    expect(await cp.locator(`[data-testid="count-row"][data-name="${cand.name}"]`).getAttribute('data-elected')).toBe('true')
    expect(await cp.locator('[data-testid="count-row"][data-name="李红梅"]').getAttribute('data-elected')).toBe('false')
    await browser.screenshot(cp, 'paper-12-chair-counted')
    await browser.shot(cp.getByTestId('poll-console'), 'paper-13-chair-console-counted')

    // The desks see the count too; the form is gone with the open round.
    await expect.poll(() => p2.getByTestId('paper-entry').count()).toBe(0)
    await p2.getByTestId('paper-no-downloads').waitFor()
    expect(await p2.getByTestId('download-json').count()).toBe(0)

    // --- Publish and the report, as for an electronic round.
    await cp.getByTestId('poll-publish').click()
    await cp.getByTestId('confirm-ok').click()
    await expect.poll(() => detail.getAttribute('data-phase')).toBe('published')
    await cp.getByTestId('poll-report').click()
    const sheet = cp.getByTestId('count-report')
    await sheet.waitFor()
    expect(await sheet.textContent()).toContain('纸质选票')
    expect(await sheet.textContent()).toContain('录入结果摘要')
    await browser.screenshot(cp, 'paper-14-count-report')
    await cp.getByTestId('report-close').click()

    for (const p of [desk1, chair, desk2, tablet, display]) expect(p.errors).toEqual([])
  }, 240_000)
})
