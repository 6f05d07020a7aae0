// Attendance in a real browser: the desk scans a card (the scanner types the code and Enter into
// the scanner field) and the hall display's 实到 changes, and so does a delegate's tablet (which gets
// counts as patches of the view it holds, state:patched).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, launchBrowser, SIZES, testIdText, type BrowserSession } from '../helpers/browser'
import { startHall, type Hall } from '../helpers/server'

describe('attendance in the browser', () => {
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

  it('a desk scan raises the display\'s present count', async () => {
    const url = hall.server.url
    const display = await browser.open(url, '/display', hall.display.code, SIZES.display)
    const desk = await browser.open(url, '/desk', hall.secretariat.code, SIZES.desk)
    const tablet = await browser.open(url, '/delegate', hall.delegates[200].code, SIZES.tablet)
    await expect.poll(() => testIdText(display.page, 'display-present')).toBe('0')
    await expect.poll(() => testIdText(tablet.page, 'count-present')).toBe('0')
    expect(await testIdText(display.page, 'display-should')).toBe('251')

    const delegate = hall.delegates[7]
    await desk.page.getByTestId('desk-tab-checkin').click()
    const input = desk.page.getByTestId('scanner-input')
    await input.fill(delegate.code)
    await input.press('Enter')
    await expect.poll(() => desk.page.getByTestId('scan-feedback').getAttribute('data-kind')).toBe('ok')
    expect(await testIdText(desk.page, 'scan-name')).toBe(delegate.name)
    await expect.poll(() => testIdText(display.page, 'display-present')).toBe('1')
    await browser.screenshot(display.page, 'attendance-display')
    await browser.screenshot(desk.page, 'attendance-desk')

    // A second scan of the same card is refused and changes nothing.
    await input.fill(delegate.code)
    await input.press('Enter')
    await expect.poll(() => desk.page.getByTestId('scan-feedback').getAttribute('data-kind')).toBe('error')
    expect(await testIdText(display.page, 'display-present')).toBe('1')
    await browser.screenshot(desk.page, 'attendance-desk-duplicate')

    // Two more scans: the tablet follows (counts reach tablets at most once a second).
    for (const d of [hall.delegates[8], hall.delegates[9]]) {
      await input.fill(d.code)
      await input.press('Enter')
      await expect.poll(() => desk.page.getByTestId('scan-feedback').getAttribute('data-kind')).toBe('ok')
      await expect.poll(() => testIdText(desk.page, 'scan-name')).toBe(d.name)
    }
    await expect.poll(() => testIdText(display.page, 'display-present')).toBe('3')
    await expect.poll(() => testIdText(tablet.page, 'count-present'), { timeout: 5000 }).toBe('3')
    await browser.screenshot(tablet.page, 'attendance-tablet')

    // The chair puts the opening announcement on the display, with the live numbers, and takes it off.
    const chair = await browser.open(url, '/chair', hall.chair.code, SIZES.chair)
    await chair.page.getByTestId('announcement-display').click()
    await display.page.getByTestId('display-announcement').waitFor()
    expect(await testIdText(display.page, 'display-announcement')).toBe('应到会代表251名，因事因病请假0名，实到会代表3名，未超过应到会人数的半数，不符合规定人数，不能开会。')
    await browser.screenshot(display.page, 'attendance-display-announcement')
    await expect.poll(() => chair.page.getByTestId('announcement-display').getAttribute('data-shown')).toBe('true')
    await chair.page.getByTestId('announcement-display').click()
    await display.page.getByTestId('display-present').waitFor()
    expect(chair.errors).toEqual([])
    expect(display.errors).toEqual([])
    expect(desk.errors).toEqual([])
    expect(tablet.errors).toEqual([])
  }, 120_000)

  it('choosing the meeting type in the settings fills in that type\'s quorum rules', async () => {
    const url = hall.server.url
    const desk = await browser.open(url, '/desk', hall.secretariat.code, SIZES.desk)
    await desk.page.getByTestId('desk-tab-settings').click()
    const election = desk.page.getByTestId('settings-rule-election')
    const rule = async () => (await election.locator('input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).join('/')
    await expect.poll(rule).toBe('1/2')
    // 全委会 (plenary): more than two thirds for elections.
    await desk.page.getByTestId('settings-type').selectOption('plenary')
    expect(await rule()).toBe('2/3')
    expect(await testIdText(desk.page, 'settings-type-note')).toContain('全委会')
    await browser.screenshot(desk.page, 'attendance-desk-settings-type')
    await desk.page.getByTestId('settings-save').click()
    await expect.poll(() => hall.server.app.engine.state.meeting?.quorum.election).toEqual({ num: 2, den: 3, op: 'gt' })
    expect(hall.server.app.engine.state.meeting?.type).toBe('plenary')
    expect(desk.errors).toEqual([])
  }, 60_000)

  it('the desk adds a second hall display and suspends a delegate, who no longer counts as should attend', async () => {
    const url = hall.server.url
    const desk = await browser.open(url, '/desk', hall.secretariat.code, SIZES.desk)
    const display = await browser.open(url, '/display', hall.display.code, SIZES.display)
    await expect.poll(() => testIdText(display.page, 'display-should')).toBe('251')
    await desk.page.getByTestId('desk-tab-roster').click()

    // A second screen: its own account, so it does not sign the first one out.
    await desk.page.getByTestId('roster-add').click()
    const editor = desk.page.getByTestId('person-editor')
    await editor.getByTestId('person-role').selectOption('display')
    expect(await editor.getByTestId('person-id').inputValue()).toBe('display2')
    await editor.getByTestId('person-name').fill('会场副屏')
    await browser.screenshot(desk.page, 'attendance-desk-add-person')
    await editor.getByTestId('person-save').click()
    await editor.waitFor({ state: 'detached' })
    expect(hall.server.app.engine.state.persons.get('display2')).toMatchObject({ name: '会场副屏', role: 'display', votingRight: false, delegationId: null })

    // A delegate's mandate suspended: 应到 falls by one on the display.
    const d = hall.delegates[20]
    await desk.page.getByTestId('roster-search').fill(d.name)
    const row = desk.page.locator(`[data-testid="roster-row"][data-person-id="${d.personId}"]`)
    await row.getByTestId('row-edit').click()
    expect(await editor.getByTestId('person-id').inputValue()).toBe(d.personId)
    await editor.getByTestId('person-status').selectOption('suspended')
    await editor.getByTestId('person-save').click()
    await editor.waitFor({ state: 'detached' })
    await expect.poll(() => testIdText(display.page, 'display-should')).toBe('250')
    expect(hall.server.app.engine.state.persons.get(d.personId)).toMatchObject({ status: 'suspended', name: d.name, role: 'delegate' })
    await expect.poll(() => row.innerText()).toContain('停止执行职务')
    expect(desk.errors).toEqual([])
  }, 60_000)
})
