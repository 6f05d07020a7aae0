// A small Markdown renderer for meeting documents, safe by construction: the source is HTML-escaped
// first and only the tags made here are ever produced, so a document cannot inject markup or script.
// Covers what reports use: headings, paragraphs, lists, quotes, code, rules, emphasis, links, tables.

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

/** Only web and mail links, and links within the same site; anything else (javascript:, data:) is
 * shown as text. */
function safeHref(raw: string): string | null {
  const href = raw.trim()
  if (/^(https?:|mailto:)/i.test(href)) return href
  if (/^[/#?.]/.test(href) || /^[\w\-./%?#=&]+$/.test(href)) return /^[a-z][\w+.-]*:/i.test(href) ? null : href
  return null
}

/** Inline markup on already escaped text. */
function inline(escaped: string): string {
  const codes: string[] = []
  let s = escaped.replace(/`([^`]+)`/g, (_, c: string) => {
    codes.push(`<code>${c}</code>`)
    return `\u0000${codes.length - 1}\u0000`
  })
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, text: string, href: string) => {
    // href is escaped text; the entities it may hold are harmless inside a quoted attribute.
    const h = safeHref(href.replace(/&amp;/g, '&'))
    return h ? `<a href="${escapeHtml(h)}" target="_blank" rel="noopener noreferrer">${text}</a>` : m
  })
  // Underscores only around whole words, as in CommonMark, so `snake__case__names` stay as they are.
  s = s.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').replace(/(^|[^\w])__(?=\S)([^_]*?\S)__(?!\w)/g, '$1<strong>$2</strong>')
  s = s.replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>').replace(/(^|[^\w_])_([^_\s][^_]*)_(?!\w)/g, '$1<em>$2</em>')
  s = s.replace(/~~([^~]+)~~/g, '<del>$1</del>')
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u0000(\d+)\u0000/g, (_, i: string) => codes[Number(i)])
}

function tableRow(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim())
}

export function renderMarkdown(source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n')
  const out: string[] = []
  let para: string[] = []
  const flush = () => {
    if (para.length) out.push(`<p>${inline(escapeHtml(para.join('\n'))).replace(/\n/g, '<br>')}</p>`)
    para = []
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (/^\s*```/.test(line)) {
      flush()
      const code: string[] = []
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) code.push(lines[i])
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`)
      continue
    }
    if (/^\s*$/.test(line)) {
      flush()
      continue
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line)
    if (h) {
      flush()
      out.push(`<h${h[1].length}>${inline(escapeHtml(h[2]))}</h${h[1].length}>`)
      continue
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush()
      out.push('<hr>')
      continue
    }
    if (/^\s*>/.test(line)) {
      flush()
      const quote: string[] = []
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) quote.push(lines[i].replace(/^\s*>\s?/, ''))
      i--
      out.push(`<blockquote>${renderMarkdown(quote.join('\n'))}</blockquote>`)
      continue
    }
    const list = /^\s*([-*+]|\d+[.)、])\s+/.exec(line)
    if (list) {
      flush()
      const ordered = /\d/.test(list[1])
      const items: string[] = []
      for (; i < lines.length; i++) {
        const m = /^\s*([-*+]|\d+[.)、])\s+(.*)$/.exec(lines[i])
        if (m && /\d/.test(m[1]) === ordered) items.push(m[2])
        else if (items.length && /^\s{2,}\S/.test(lines[i])) items[items.length - 1] += `\n${lines[i].trim()}`
        else break
      }
      i--
      const tag = ordered ? 'ol' : 'ul'
      out.push(`<${tag}>${items.map((it) => `<li>${inline(escapeHtml(it)).replace(/\n/g, '<br>')}</li>`).join('')}</${tag}>`)
      continue
    }
    if (line.includes('|') && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(lines[i + 1])) {
      flush()
      const head = tableRow(line)
      const body: string[][] = []
      for (i += 2; i < lines.length && lines[i].includes('|') && lines[i].trim() !== ''; i++) body.push(tableRow(lines[i]))
      i--
      const cell = (tag: string, c: string) => `<${tag}>${inline(escapeHtml(c))}</${tag}>`
      out.push(
        `<table><thead><tr>${head.map((c) => cell('th', c)).join('')}</tr></thead><tbody>${body
          .map((r) => `<tr>${r.map((c) => cell('td', c)).join('')}</tr>`)
          .join('')}</tbody></table>`,
      )
      continue
    }
    para.push(line)
  }
  flush()
  return out.join('\n')
}
