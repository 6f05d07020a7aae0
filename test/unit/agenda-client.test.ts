// The client's pure agenda logic: the countdown shown from server facts and a clock offset, when to
// redraw it, the queue's drag-and-drop positions, and the safe Markdown renderer for documents.
import { describe, expect, it } from 'vitest'
import { countdown, dropPosition, fromMinutes, minutes, moved, msUntilNextChange } from '../../client/src/logic/speech'
import { renderMarkdown } from '../../client/src/logic/markdown'
import { pauseTiming, startTiming } from '../../shared/domain/speechTime'

const T0 = 1_700_000_000_000
const MIN = 60_000

describe('the countdown on a screen', () => {
  it('shows the full limit before the start, then counts from the facts', () => {
    expect(countdown(null, 8 * MIN, T0)).toEqual({ text: '8:00', phase: 'idle', leftMs: 8 * MIN, paused: false })
    const t = startTiming(T0, 8 * MIN, MIN)
    expect(countdown(t, 8 * MIN, T0 + 7 * MIN + 30_000)).toMatchObject({ text: '0:30', phase: 'warning' })
    expect(countdown(t, 8 * MIN, T0 + 9 * MIN + 1000)).toMatchObject({ text: '-1:01', phase: 'overrun' })
    expect(countdown(pauseTiming(t, T0 + MIN), 8 * MIN, T0 + 5 * MIN)).toMatchObject({ text: '7:00', paused: true })
  })

  it('a tablet with a clock 5 minutes slow shows what the display shows, once it adds its offset', () => {
    const t = startTiming(T0, 8 * MIN, MIN)
    const serverNow = T0 + 100_500
    const display = countdown(t, 8 * MIN, serverNow)
    const tabletLocal = serverNow - 5 * MIN
    const tabletOffset = 5 * MIN
    expect(countdown(t, 8 * MIN, tabletLocal + tabletOffset)).toEqual(display)
  })

  it('redraws exactly when the shown second changes, and not while paused', () => {
    const t = startTiming(T0, 8 * MIN, MIN)
    expect(msUntilNextChange(t, T0)).toBe(1000)
    expect(msUntilNextChange(t, T0 + 300)).toBe(700)
    expect(msUntilNextChange(t, T0 + 8 * MIN + 300)).toBe(700)
    expect(msUntilNextChange(pauseTiming(t, T0 + 10), T0 + 500)).toBeNull()
    expect(msUntilNextChange(null, T0)).toBeNull()
    // After waiting that long, the text has changed.
    const at = T0 + 2300
    const next = at + msUntilNextChange(t, at)!
    expect(countdown(t, 8 * MIN, next).text).not.toBe(countdown(t, 8 * MIN, at).text)
    expect(countdown(t, 8 * MIN, next - 1).text).toBe(countdown(t, 8 * MIN, at).text)
  })
})

describe('drag and drop in the queue', () => {
  const ids = ['a', 'b', 'c', 'd']
  it('drops before a row in its upper half and after it in its lower half', () => {
    expect(dropPosition(ids, 'd', 'a', false)).toBe(0)
    expect(moved(ids, 'd', 0)).toEqual(['d', 'a', 'b', 'c'])
    expect(dropPosition(ids, 'a', 'c', true)).toBe(2)
    expect(moved(ids, 'a', 2)).toEqual(['b', 'c', 'a', 'd'])
    expect(dropPosition(ids, 'a', 'd', true)).toBe(3)
    expect(moved(ids, 'a', 3)).toEqual(['b', 'c', 'd', 'a'])
    expect(dropPosition(ids, 'a', 'c', false)).toBe(1)
    expect(moved(ids, 'a', 1)).toEqual(['b', 'a', 'c', 'd'])
    expect(dropPosition(ids, 'a', 'gone', false)).toBe(3)
  })
  it('converts minutes for the editors', () => {
    expect(minutes(8 * MIN)).toBe(8)
    expect(minutes(90_000)).toBe(1.5)
    expect(fromMinutes(1.5)).toBe(90_000)
  })
})

describe('Markdown documents', () => {
  it('renders headings, lists, emphasis, tables and code', () => {
    const html = renderMarkdown(
      '# 县委工作报告\n\n一、过去一年的工作\n\n- **经济**发展\n- *民生*改善\n\n1. 第一\n2. 第二\n\n| 指标 | 数值 |\n| --- | --- |\n| GDP | 100 |\n\n```\nx < y\n```\n\n> 引言\n\n---',
    )
    expect(html).toContain('<h1>县委工作报告</h1>')
    expect(html).toContain('<ul><li><strong>经济</strong>发展</li><li><em>民生</em>改善</li></ul>')
    expect(html).toContain('<ol><li>第一</li><li>第二</li></ol>')
    expect(html).toContain('<table><thead><tr><th>指标</th><th>数值</th></tr></thead><tbody><tr><td>GDP</td><td>100</td></tr></tbody></table>')
    expect(html).toContain('<pre><code>x &lt; y</code></pre>')
    expect(html).toContain('<blockquote><p>引言</p></blockquote>')
    expect(html).toContain('<hr>')
  })

  it('never lets markup or script through', () => {
    const evil = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[click](javascript:alert(1))',
      '[x](data:text/html,<script>alert(1)</script>)',
      '**<b onmouseover="x">bold</b>**',
      '`<iframe>`',
      '| <svg onload=alert(1)> | a |\n| --- | --- |\n| b | c |',
      '<a href="javascript:alert(1)">x</a>',
    ]
    for (const src of evil) {
      const html = renderMarkdown(src)
      // Only tags the renderer makes itself.
      const tags = [...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => m[1].toLowerCase())
      for (const tag of tags) expect(['p', 'br', 'strong', 'em', 'code', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a']).toContain(tag)
      expect(html).not.toMatch(/<(script|img|iframe|svg|b)\b/i)
      expect(html).not.toMatch(/href="(javascript|data):/i)
      // Event handlers only as inert, escaped text, never inside a tag.
      expect(html).not.toMatch(/<[^>]*\son\w+=/i)
    }
  })

  it('takes underscores inside words literally', () => {
    expect(renderMarkdown('window.__x = 1; snake__case__names and __bold__')).toBe('<p>window.__x = 1; snake__case__names and <strong>bold</strong></p>')
  })

  it('keeps safe links, opened in a new tab', () => {
    expect(renderMarkdown('[政府网站](https://www.gov.cn/)')).toBe(
      '<p><a href="https://www.gov.cn/" target="_blank" rel="noopener noreferrer">政府网站</a></p>',
    )
    expect(renderMarkdown('[附件](/api/documents/doc5)')).toContain('href="/api/documents/doc5"')
  })
})
