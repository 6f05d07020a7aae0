// Browser test helpers: Debian's chromium driven by playwright-core (never a downloaded browser),
// one isolated context per page (each person its own localStorage, as on separate devices), login
// through the card's ?code= address, screenshots into test-artifacts/ (gitignored), and one close
// that ends everything started here.
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const ARTIFACTS = path.resolve('test-artifacts')
export const BUILT_INDEX = path.resolve('dist/client/index.html')

export const SIZES = {
  display: { width: 1920, height: 1080 },
  desk: { width: 1440, height: 900 },
  chair: { width: 1440, height: 900 },
  tablet: { width: 1280, height: 800 },
} as const

/** The pages are served from dist/client: `npm test` builds them first (vite build). */
export function assertBuilt(): void {
  if (!fs.existsSync(BUILT_INDEX)) {
    throw new Error(
      `The browser tests need the built pages, but ${BUILT_INDEX} does not exist. ` +
        'Run `npx vite build` (or `npm test`, which builds before running vitest).',
    )
  }
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No chromium at ${CHROMIUM} (Debian: apt-get install chromium fonts-noto-cjk)`)
}

export interface OpenPage {
  page: Page
  context: BrowserContext
  /** Console errors and uncaught exceptions seen on the page, for assertions and debugging. */
  errors: string[]
}

export interface BrowserSession {
  browser: Browser
  /** Opens `path` on the server logged in with `code` (via ?code=) and waits until it is online. */
  open(baseUrl: string, pagePath: string, code: string, size: { width: number; height: number }): Promise<OpenPage>
  /** Saves a PNG into test-artifacts/ and returns its path. */
  screenshot(page: Page, name: string, opts?: { fullPage?: boolean }): Promise<string>
  /** Saves a PNG of one element (a panel, at full resolution) into test-artifacts/. */
  shot(element: Locator, name: string): Promise<string>
  close(): Promise<void>
}

export async function launchBrowser(): Promise<BrowserSession> {
  assertBuilt()
  fs.mkdirSync(ARTIFACTS, { recursive: true })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
  const contexts: BrowserContext[] = []
  return {
    browser,
    async open(baseUrl, pagePath, code, size) {
      const context = await browser.newContext({ viewport: size, deviceScaleFactor: 1, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
      contexts.push(context)
      const page = await context.newPage()
      const errors: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text())
      })
      page.on('pageerror', (e) => errors.push(String(e)))
      await page.goto(`${baseUrl}${pagePath}?code=${encodeURIComponent(code)}`)
      await page.waitForSelector('.top__conn--online, .display__conn--online', { timeout: 15_000 })
      return { page, context, errors }
    },
    async screenshot(page, name, opts = {}) {
      const file = path.join(ARTIFACTS, `${name}.png`)
      // Transitions finished (a bar mid-animation would show a width its number does not have).
      await page.screenshot({ path: file, fullPage: opts.fullPage ?? false, animations: 'disabled' })
      return file
    },
    async shot(element, name) {
      const file = path.join(ARTIFACTS, `${name}.png`)
      await element.screenshot({ path: file })
      return file
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {})
      await browser.close().catch(() => {})
    },
  }
}

/** The text of the first element with this data-testid, trimmed. */
export async function testIdText(page: Page, id: string): Promise<string> {
  return ((await page.getByTestId(id).first().textContent()) ?? '').trim()
}
