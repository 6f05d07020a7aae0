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
