// The origin allow-list: browsers send Origin, and only the server's own pages (same host) or the
// configured origins may talk to it. Clients without an Origin (keypads, scripts) are not browsers
// and cannot be tricked by a foreign page, so they pass to authentication.
export function isOriginAllowed(origin: string | undefined, host: string | undefined, allowed: string[]): boolean {
  if (!origin) return true
  if (allowed.includes('*') || allowed.includes(origin)) return true
  try {
    return !!host && new URL(origin).host === host
  } catch {
    return false
  }
}
