// The shape of a login code (登录码) printed on a card: 16 Crockford base-32 characters (80 bits),
// shown in groups of four. Scanners and people type it with dashes, spaces, a URL around it or in
// lower case; normalizeCode accepts all of those.

export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
export const CODE_LENGTH = 16

/** Canonical form of a typed or scanned code, or null when it cannot be one. */
export function normalizeCode(input: string): string | null {
  let s = input.trim()
  // A QR code may carry a page address with the code in its fragment or query.
  const m = /[#?&]code=([^&#\s]+)/i.exec(s)
  if (m) s = decodeURIComponent(m[1])
  s = s.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1')
  if (s.length !== CODE_LENGTH) return null
  for (const ch of s) if (!CODE_ALPHABET.includes(ch)) return null
  return s
}

/** XXXX-XXXX-XXXX-XXXX, for printing. */
export function formatCode(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code
}
