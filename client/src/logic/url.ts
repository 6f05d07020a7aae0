// A card's QR code or a link may carry the login code as ?code=…; it is used once and then removed
// from the address bar so it is neither bookmarked nor left on a shared screen.

export interface CodeInUrl {
  code: string | null
  /** The same address without the code, for history.replaceState. */
  cleanUrl: string
}

export function takeCodeFromUrl(href: string): CodeInUrl {
  const url = new URL(href)
  let code = url.searchParams.get('code')
  url.searchParams.delete('code')
  const hash = /^#?code=([^&]*)$/.exec(url.hash)
  if (hash) {
    code = code ?? decodeURIComponent(hash[1])
    url.hash = ''
  }
  const clean = url.pathname + url.search + url.hash
  return { code: code && code.trim() ? code.trim() : null, cleanUrl: clean }
}

/** The page each role works on. */
const PAGE_OF: Record<string, string> = {
  delegate: '/delegate',
  observer: '/delegate',
  staff: '/desk',
  secretariat: '/desk',
  chair: '/chair',
  display: '/display',
}

/**
 * What a card's QR code carries: the page of the card holder's role on this server, with the code in
 * the fragment (never sent to the server, taken off the address on login). A tablet's camera opens it
 * and logs in; a desk scanner types it, and the server reads the code out of it (normalizeCode).
 */
export function cardUrl(origin: string, role: string, code: string): string {
  return `${origin.replace(/\/+$/, '')}${PAGE_OF[role] ?? '/delegate'}#code=${encodeURIComponent(code)}`
}
