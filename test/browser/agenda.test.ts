// The agenda in Debian's chromium against a real server and the built pages (npx vite build first):
// the chair reorders the queue by dragging, the tablet asks to speak and sees its place, the hall
// display's countdown turns amber then red, a display whose clock is minutes off shows the same time,
// documents open on the tablet (a Markdown one as inert text) and on the display. Screenshots go to
// test-artifacts/agenda-*.png.
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commands } from '../../shared/domain/commands'
import type { Actor } from '../../shared/domain/types'
import type { CommandName, CommandPayload } from '../../shared/schemas'
import { launchBrowser, SIZES, testIdText, type BrowserSession } from '../helpers/browser'
import { send, startHall, type Client, type Hall } from '../helpers/server'

async function must<T = any>(socket: Client, event: string, payload: unknown): Promise<T> {
  const r = await send<T>(socket, event, payload)
  if (!r.ok) throw new Error(`${event} refused: ${r.code} ${r.message}`)
  return r.data
}

/** A small valid one-page PDF (a real xref table), so the browser's viewer can open it. */
function pdf(text: string): Buffer {
  const content = `BT /F1 36 Tf 72 720 Td (${text}) Tj ET`
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]
  let out = '%PDF-1.4\n'
  const offsets: number[] = []
  objs.forEach((o, i) => {
    offsets.push(out.length)
    out += `${i + 1} 0 obj\n${o}\nendobj\n`
  })
  const xref = out.length
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}

/** Seconds shown by a countdown text such as `7:59` or `-0:03`. */
function seconds(text: string): number {
  const m = /^(-?)(\d+):(\d\d)/.exec(text.trim())
  if (!m) throw new Error(`not a countdown: ${text}`)
  const s = Number(m[2]) * 60 + Number(m[3])
  return m[1] ? -s : s
}

describe('agenda in the browser', () => {
  let hall: Hall
  let session: BrowserSession
  let desk: Client
  let chair: Client
  let itemId: string
  const pageErrors: string[] = []

  async function open(pathname: string, code: string, opts: { width?: number; height?: number; skewMs?: number } = {}): Promise<Page> {
    const size = { width: opts.width ?? SIZES.chair.width, height: opts.height ?? SIZES.chair.height }
    if (!opts.skewMs) {
      const { page, errors } = await session.open(hall.server.url, pathname, code, size)
      page.on('pageerror', (e) => pageErrors.push(`${pathname}: ${e.message}`))
      void errors
      return page
    }
    // This device's clock is wrong by skewMs: everything it reads from Date.now() is off.
    const ctx = await session.browser.newContext({ viewport: size, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
    await ctx.addInitScript(`{ const real = Date.now.bind(Date); Date.now = () => real() + ${opts.skewMs}; }`)
    const page = await ctx.newPage()
    page.on('pageerror', (e) => pageErrors.push(`${pathname}: ${e.message}`))
    await page.goto(`${hall.server.url}${pathname}?code=${code}`)
    await page.waitForSelector('.top__conn--online, .display__conn--online', { timeout: 15_000 })
    return page
  }

  /** A command decided by the engine directly: the browser pages hold the accounts' only sessions
   * (a new login ends the previous one), so the test does not log the same people in again. */
  async function direct<C extends CommandName>(name: C, payload: CommandPayload<C>, actor: Actor): Promise<any> {
    const spec = (commands as unknown as Record<string, { decide: (...a: unknown[]) => unknown }>)[name]
    const r = await hall.server.app.engine.submit((s, ctx) => spec.decide(s, payload, actor, ctx) as never, actor)
    if (!r.ok) throw new Error(`${name} refused: ${r.error}`)
    return r.result
  }
  const CHAIR: Actor = { personId: 'chair', role: 'chair' }

  const shot = (page: Page, name: string) => session.screenshot(page, `agenda-${name}`)

  beforeAll(async () => {
    session = await launchBrowser()
    hall = await startHall('sqlite')
    desk = (await hall.connect(hall.secretariat.code)).socket
    chair = (await hall.connect(hall.chair.code)).socket
    await must(desk, 'agenda:add', { type: 'opening', title: '大会开幕' })
    ;({ itemId } = await must(desk, 'agenda:add', { type: 'speeches', title: '专题发言：推进乡村振兴', speechLimitMs: 8 * 60_000, warnMs: 60_000 }))
    await must(desk, 'agenda:add', { type: 'election', title: '补选县委委员', hidden: true })
    await must(chair, 'agenda:setCurrent', { itemId })
    for (const d of hall.delegates.slice(0, 4)) {
      await must(desk, 'speakers:add', { itemId, personId: d.personId, topic: `${d.name}：关于发展特色产业的建议` })
    }
    const g = hall.codes.find((c) => c.personId === 'd0070')!
    await must(desk, 'speakers:add', { itemId, personId: g.personId, delegationId: 'g02', topic: '芦溪镇代表团：乡村治理' })
  }, 60_000)

  afterAll(async () => {
    await session?.close()
    await hall?.close()
    // No page threw while the tests ran.
    expect(pageErrors).toEqual([])
  })

  const waiting = () => hall.server.app.engine.state.speakerLists.get(itemId)!.waiting.map((id) => hall.server.app.engine.state.speakers.get(id)!.personId)

  it('the chair drags a speaker to the top of the queue', async () => {
    const page = await open('/chair', hall.chair.code)
    const [a, , , d] = hall.delegates
    await page.getByTestId(`queued-${d.personId}`).waitFor()
    await shot(page, '01-chair-before-drag')
    const target = page.getByTestId(`queued-${a.personId}`)
    await page.getByTestId(`queued-${d.personId}`).dragTo(target, { targetPosition: { x: 40, y: 3 } })
    await expect.poll(() => waiting()[0], { timeout: 5000 }).toBe(d.personId)
    expect(waiting()).toEqual([d.personId, a.personId, hall.delegates[1].personId, hall.delegates[2].personId, 'd0070'])
    // The page follows the server's order.
    await expect.poll(async () => (await page.locator('[data-testid="queue"] li').first().getAttribute('data-testid')) ?? '').toBe(`queued-${d.personId}`)
    // And a drag downwards: the first to below the third.
    await page.getByTestId(`queued-${d.personId}`).dragTo(page.getByTestId(`queued-${hall.delegates[1].personId}`), { targetPosition: { x: 40, y: 30 } })
    await expect.poll(() => waiting().slice(0, 3), { timeout: 5000 }).toEqual([a.personId, hall.delegates[1].personId, d.personId])
    await shot(page, '02-chair-after-drag')

    // On a touch screen (no HTML5 drag): the finger takes the grip to the top half of the first row.
    const grip = page.getByTestId(`queued-${d.personId}`).getByTestId('row-grip')
    const first = (await page.getByTestId(`queued-${a.personId}`).boundingBox())!
    const from = (await grip.boundingBox())!
    const touch = { pointerType: 'touch', pointerId: 7, isPrimary: true, bubbles: true }
    await grip.dispatchEvent('pointerdown', { ...touch, clientX: from.x + 4, clientY: from.y + 4 })
    await grip.dispatchEvent('pointermove', { ...touch, clientX: first.x + 200, clientY: first.y + first.height / 2 - 5 })
    await expect.poll(() => page.getByTestId(`queued-${a.personId}`).getAttribute('class')).toContain('row--drop-before')
    await grip.dispatchEvent('pointerup', { ...touch, clientX: first.x + 200, clientY: first.y + first.height / 2 - 5 })
    await expect.poll(() => waiting()[0], { timeout: 5000 }).toBe(d.personId)
    // Back where the tests after this one expect it.
    const sp = hall.server.app.engine.state.speakerLists.get(itemId)!.waiting[0]
    await direct('speakers:move', { speakerId: sp, position: 2 }, CHAIR)
    expect(waiting().slice(0, 3)).toEqual([a.personId, hall.delegates[1].personId, d.personId])
  })

  it('a tablet asks to speak with a topic; the chair approves; the tablet shows its place', async () => {
    const me = hall.delegates[7]
    const tablet = await open('/delegate', me.code, SIZES.tablet)
    await tablet.getByTestId('checkin-button').click()
    await tablet.getByTestId('topic-input').fill('关于加强基层医疗服务的建议')
    await tablet.getByTestId('request-button').click()
    await tablet.getByTestId('my-place').filter({ hasText: '等待主席审核' }).waitFor()
    const page = await open('/chair', hall.chair.code)
    await page.getByTestId(`approve-${me.personId}`).click()
    await tablet.getByTestId('my-place').filter({ hasText: '您排在第 6 位' }).waitFor()
    await shot(tablet, '03-tablet-in-queue')
    await shot(page, '04-chair-after-approve')
  })

  it('a tablet asks to speak on a later item whose list is open, sees its place there, and withdraws', async () => {
    const { itemId: later } = await direct('agenda:add', { type: 'speeches', title: '专题发言：加强基层治理' }, { personId: 'sec1', role: 'secretariat' })
    const me = hall.delegates[9]
    const tablet = await open('/delegate', me.code, SIZES.tablet)
    await tablet.getByTestId('checkin-button').click()
    const others = tablet.getByTestId('other-speeches')
    await others.getByTestId('other-item').selectOption(later)
    await others.getByTestId('other-topic').fill('关于村级议事协商的建议')
    await others.getByTestId('other-request').click()
    const entry = others.locator(`[data-testid="other-mine"][data-item="${later}"]`)
    await expect.poll(() => entry.getAttribute('data-status')).toBe('requested')
    expect(await entry.innerText()).toContain('专题发言：加强基层治理')
    // The item's list on the server holds the request, not the current item's.
    const sp = hall.server.app.engine.state.speakerLists.get(later)!.requested[0]
    expect(hall.server.app.engine.state.speakers.get(sp)).toMatchObject({ personId: me.personId, topic: '关于村级议事协商的建议' })
    await direct('speakers:approve', { speakerId: sp }, CHAIR)
    await expect.poll(() => entry.getAttribute('data-status')).toBe('waiting')
    expect(await entry.innerText()).toContain('您排在第 1 位')
    await shot(tablet, '03b-tablet-other-item')
    await entry.getByTestId('other-withdraw').click()
    await tablet.getByTestId('confirm-ok').click()
    await entry.waitFor({ state: 'detached' })
    expect(hall.server.app.engine.state.speakerLists.get(later)!.waiting).toEqual([])
  })

  it('the chair adds a speaker with an own time limit from the console', async () => {
    const page = await open('/chair', hall.chair.code)
    const who = hall.delegates[30]
    const form = page.getByTestId('chair-add-speaker')
    await form.locator('summary').click()
    await form.getByTestId('speaker-search').fill(who.name)
    await form.getByTestId(`pick-${who.personId}`).click()
    await form.getByTestId('speaker-topic').fill('关于发展林下经济的建议')
    await form.getByTestId('speaker-limit').fill('3')
    await shot(page, '04b-chair-add-speaker')
    await form.getByTestId('speaker-add').click()
    await expect
      .poll(() => [...hall.server.app.engine.state.speakers.values()].find((sp) => sp.personId === who.personId && sp.itemId === itemId)?.limitMs ?? null)
      .toBe(3 * 60_000)
    const sp = [...hall.server.app.engine.state.speakers.values()].find((x) => x.personId === who.personId && x.itemId === itemId)!
    expect(sp).toMatchObject({ topic: '关于发展林下经济的建议', status: 'waiting', addedBy: 'chair' })
    await page.getByTestId(`queued-${who.personId}`).waitFor()
    // Off the list again, so the tests after this one see the queue they expect.
    await direct('speakers:remove', { speakerId: sp.id }, CHAIR)
  })

  it('the display shows the speaker and a countdown that turns amber, then red; a skewed display agrees', async () => {
    const watch = await open('/display', hall.display.code, SIZES.display)
    // A second screen whose clock is 7 minutes slow (the secretariat's second account may watch the
    // display too: one live session per account).
    const skewed = await open('/display', hall.code('sec2'), { ...SIZES.display, skewMs: -7 * 60_000 })
    const chairPage = await open('/chair', hall.chair.code)
    await chairPage.getByTestId('speaker-next').click()
    await chairPage.getByTestId('speech-start').click()
    const first = hall.delegates[0]
    for (const p of [watch, skewed]) {
      await p.getByTestId('display-speaker').filter({ hasText: first.name }).waitFor()
      await p.locator('[data-testid="countdown"][data-phase="normal"]').waitFor()
    }
    await expect.poll(async () => seconds((await watch.getByTestId('countdown').innerText()).split('\n')[0])).toBeLessThanOrEqual(480)
    const a = seconds((await watch.getByTestId('countdown').innerText()).split('\n')[0])
    const b = seconds((await skewed.getByTestId('countdown').innerText()).split('\n')[0])
    // A clock 7 minutes slow still shows the same time left, within a second.
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1)
    expect(await watch.getByTestId('display-item').innerText()).toBe('专题发言：推进乡村振兴')
    expect(await watch.getByTestId('display-next').innerText()).toContain(hall.delegates[1].name)
    await shot(watch, '05-display-normal')

    // 30 seconds left: amber at once (the item warns from 1 minute).
    const sp = hall.server.app.engine.state.speakerLists.get(itemId)!.currentId!
    await direct('speakers:setLimit', { speakerId: sp, limitMs: 30_000 }, CHAIR)
    await watch.locator('[data-testid="countdown"][data-phase="warning"]').waitFor()
    await skewed.locator('[data-testid="countdown"][data-phase="warning"]').waitFor()
    await shot(watch, '06-display-warning')
    await shot(chairPage, '07-chair-speaking')

    // 10 seconds (the shortest limit): red once over, counting up with a minus sign.
    await direct('speakers:setLimit', { speakerId: sp, limitMs: 10_000 }, CHAIR)
    await watch.locator('[data-testid="countdown"][data-phase="overrun"]').waitFor({ timeout: 20_000 })
    await expect.poll(async () => (await watch.getByTestId('countdown').innerText()).trim(), { timeout: 5000 }).toMatch(/^-0:0[1-9]/)
    await skewed.locator('[data-testid="countdown"][data-phase="overrun"]').waitFor({ timeout: 5000 })
    const red = await watch.getByTestId('countdown').evaluate((el) => getComputedStyle(el).backgroundColor)
    expect(red).toBe('rgb(255, 23, 68)')
    await shot(watch, '08-display-overrun')

    // Pause: every screen stops at the same second.
    await chairPage.getByTestId('speech-pause').click()
    await watch.locator('[data-testid="countdown"][data-paused="true"]').waitFor()
    await skewed.locator('[data-testid="countdown"][data-paused="true"]').waitFor()
    const p1 = (await watch.getByTestId('countdown').innerText()).split('\n')[0]
    const p2 = (await skewed.getByTestId('countdown').innerText()).split('\n')[0]
    expect(p1).toBe(p2)
    await shot(chairPage, '09-chair-paused')
    await chairPage.getByTestId('speech-resume').click()
    await chairPage.getByTestId('speech-end').click()
    await watch.getByTestId('display-should').waitFor()
    // Between speeches the numbers come back, with who is waiting to speak next under them.
    await expect.poll(() => watch.getByTestId('display-waiting').innerText()).toContain(hall.delegates[1].name)
    await shot(watch, '10-display-after-speech')
  }, 60_000)

  it('a Markdown document opens on the tablet as text, never as markup', async () => {
    const login = await hall.login(hall.code('sec2'))
    // Long enough to need more than one screenful on the hall display.
    const body = Array.from({ length: 60 }, (_, i) => `${i + 1}. 第${i + 1}条：坚持农业农村优先发展，推进乡村全面振兴。`).join('\n')
    const md = `# 关于推进乡村振兴的报告\n\n- **产业**兴旺\n- 生态宜居\n\n<script>window.__pwned = true</script>\n<img src=x onerror="window.__pwned = true">\n\n${body}\n`
    const res = await fetch(`${hall.server.url}/api/agenda/${itemId}/documents?name=${encodeURIComponent('乡村振兴报告.md')}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${login.token}` },
      body: md,
    })
    expect(res.status).toBe(200)
    const me = hall.delegates[9]
    const tablet = await open('/delegate', me.code, SIZES.tablet)
    await tablet.getByText('MD · 乡村振兴报告.md').click()
    const article = tablet.getByTestId('document-markdown')
    await article.locator('h1').filter({ hasText: '关于推进乡村振兴的报告' }).waitFor()
    expect(await article.locator('strong').innerText()).toBe('产业')
    expect(await article.innerText()).toContain('<script>window.__pwned = true</script>')
    expect(await article.locator('script, img').count()).toBe(0)
    expect(await tablet.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned ?? false)).toBe(false)
    await shot(tablet, '11-tablet-markdown')
  })

  it('the desk adds an item and uploads a PDF; the tablet lists it as done items stay visible', async () => {
    const page = await open('/desk', hall.secretariat.code)
    await page.getByTestId('desk-tab-agenda').click()
    await page.getByTestId('new-title').fill('审议县纪委工作报告')
    await page.getByTestId('new-type').selectOption('report')
    await page.getByTestId('new-submit').click()
    await expect.poll(() => [...hall.server.app.engine.state.agenda.values()].some((i) => i.title === '审议县纪委工作报告')).toBe(true)
    const id = [...hall.server.app.engine.state.agenda.values()].find((i) => i.title === '审议县纪委工作报告')!.id
    await page.getByTestId(`desk-item-${id}`).click()
    await page.getByTestId('doc-upload').setInputFiles({
      name: '纪委工作报告.pdf',
      mimeType: 'application/pdf',
      buffer: pdf('Work Report of the Discipline Commission'),
    })
    await expect.poll(() => hall.server.app.engine.state.agenda.get(id)!.documents.length).toBe(1)
    // Budgets of single delegations: g01 five minutes, g02 twelve; the others none (no item budget).
    const budgets = page.getByTestId('item-budgets')
    await budgets.locator('summary').click()
    await budgets.locator('[data-delegation="g01"] input').fill('5')
    await budgets.locator('[data-delegation="g02"] input').fill('12')
    await page.getByTestId('item-save').click()
    await expect.poll(() => hall.server.app.engine.state.agenda.get(id)!.budgets).toEqual({ g01: 5 * 60_000, g02: 12 * 60_000 })
    await shot(page, '12-desk-agenda')
    await direct('agenda:setCurrent', { itemId: id }, CHAIR)
    const tablet = await open('/delegate', hall.delegates[10].code, SIZES.tablet)
    await tablet.getByTestId(`agenda-item-${id}`).filter({ hasText: 'PDF · 纪委工作报告.pdf' }).waitFor()
    expect(await tablet.getByTestId(`agenda-item-${itemId}`).getAttribute('data-status')).toBe('done')
    // The hidden item is nowhere on the tablet.
    expect(await tablet.getByText('补选县委委员').count()).toBe(0)
    await shot(tablet, '13-tablet-agenda')

    // The PDF opens in the page through a signed link (a frame cannot send the token).
    const served = tablet.waitForResponse((r) => /\/api\/documents\/doc\d+\?p=/.test(r.url()))
    await tablet.getByText('PDF · 纪委工作报告.pdf').click()
    const res = await served
    expect(res.status()).toBe(200)
    expect(res.headers()['content-type']).toBe('application/pdf')
    expect(await tablet.locator('iframe').getAttribute('src')).toMatch(/^\/api\/documents\/doc\d+\?p=d\d+&exp=\d+&sig=/)
    // Only for the screenshot: the built-in viewer paints on its own schedule, with nothing to wait on.
    await tablet.waitForTimeout(1500)
    await shot(tablet, '14-tablet-pdf')

    // The chair puts the Markdown report on the hall display, then takes it off.
    const display = await open('/display', hall.display.code, SIZES.display)
    const chairPage = await open('/chair', hall.chair.code)
    const mdDoc = hall.server.app.engine.state.agenda.get(itemId)!.documents.find((d) => d.mime === 'text/markdown')!
    await chairPage.getByTestId(`show-${mdDoc.id}`).click()
    await display.getByTestId('display-document').locator('h1').filter({ hasText: '关于推进乡村振兴的报告' }).waitFor()
    await shot(display, '15-display-document')
    // The chair turns the page: the display follows (a Markdown text by screenfuls).
    await chairPage.getByTestId('document-page-next').click()
    await expect.poll(() => display.getByTestId('display-document').getAttribute('data-page')).toBe('2')
    await expect.poll(() => display.getByTestId('display-document').evaluate((el) => el.scrollTop)).toBeGreaterThan(300)
    await shot(display, '15b-display-document-page-2')
    expect(await testIdText(chairPage, 'document-page')).toBe('第 2 页')
    // A PDF opens at the page the chair turns to, in the display's built-in viewer.
    const pdfDoc = hall.server.app.engine.state.agenda.get(id)!.documents.find((d) => d.mime === 'application/pdf')!
    await chairPage.getByTestId(`show-${pdfDoc.id}`).click()
    await expect.poll(() => display.getByTestId('document-pdf').getAttribute('src')).not.toMatch(/#page=/)
    await chairPage.getByTestId('document-page-next').click()
    await expect.poll(() => display.getByTestId('document-pdf').getAttribute('src')).toMatch(/#page=2$/)
    await chairPage.getByTestId('unshow-document').click()
    await display.getByTestId('display-should').waitFor()
  })
})
