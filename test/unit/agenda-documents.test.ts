// What the desk may upload: PDFs by their header, Markdown as UTF-8 text, nothing else; file names
// cleaned for display; signed document links that change with every part they cover.
import { describe, expect, it } from 'vitest'
import { cleanFileName, detectDocument, signDocumentLink } from '../../server/http/agenda'

describe('document types', () => {
  it('knows a PDF by its header, whatever it is called or sent as', () => {
    expect(detectDocument(Buffer.from('%PDF-1.7\n…'), 'report', undefined)).toEqual({ mime: 'application/pdf' })
    expect(detectDocument(Buffer.from('%PDF-1.4'), 'x.md', 'text/markdown')).toEqual({ mime: 'application/pdf' })
    expect(detectDocument(Buffer.from('hello'), '报告.pdf', undefined)).toMatchObject({ reason: 'not a PDF file' })
    expect(detectDocument(Buffer.from('hello'), 'x', 'application/pdf')).toMatchObject({ reason: 'not a PDF file' })
  })
  it('takes Markdown only as UTF-8 text named .md (or sent as text)', () => {
    expect(detectDocument(Buffer.from('# 标题'), '说明.md', 'application/octet-stream')).toEqual({ mime: 'text/markdown' })
    expect(detectDocument(Buffer.from('# 标题'), 'notes', 'text/plain; charset=utf-8')).toEqual({ mime: 'text/markdown' })
    expect(detectDocument(Buffer.from([0xd6, 0xd0, 0xb9, 0xfa]), 'gbk.md', undefined)).toMatchObject({ reason: 'not UTF-8 text' })
    expect(detectDocument(Buffer.from('MZ\0\0'), 'a.md', undefined)).toMatchObject({ reason: 'binary content' })
    expect(detectDocument(Buffer.from('<html>'), 'page.html', 'text/html')).toMatchObject({ reason: 'neither .pdf nor .md' })
    expect(detectDocument(Buffer.from('x'), 'a.docx', undefined)).toMatchObject({ reason: 'neither .pdf nor .md' })
  })
  it('cleans names: no path, no control characters or quotes, at most 200 characters', () => {
    expect(cleanFileName('C:\\Users\\秘书处\\县委工作报告.pdf')).toBe('县委工作报告.pdf')
    expect(cleanFileName('../../etc/passwd')).toBe('passwd')
    expect(cleanFileName('a"b\nc.md')).toBe('abc.md')
    expect(cleanFileName('')).toBe('document')
    expect([...cleanFileName('长'.repeat(300))]).toHaveLength(200)
  })
})

describe('signed document links', () => {
  it('cover the document, the person and the expiry', () => {
    const key = Buffer.alloc(32, 7)
    const sig = signDocumentLink(key, 'doc5', 'd0001', 1000)
    expect(signDocumentLink(key, 'doc5', 'd0001', 1000)).toBe(sig)
    for (const other of [
      signDocumentLink(key, 'doc6', 'd0001', 1000),
      signDocumentLink(key, 'doc5', 'd0002', 1000),
      signDocumentLink(key, 'doc5', 'd0001', 1001),
      signDocumentLink(Buffer.alloc(32, 8), 'doc5', 'd0001', 1000),
    ])
      expect(other).not.toBe(sig)
  })
})
