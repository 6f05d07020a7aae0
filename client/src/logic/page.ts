// Which role page the one app shows, chosen from location.pathname, and who may log in on it.
import type { Role } from '../../../shared/domain/types'

export const ROLE_PAGES = ['delegate', 'desk', 'chair', 'display'] as const
export type RolePage = (typeof ROLE_PAGES)[number]
export type PageName = RolePage | 'index'

export function pageFromPath(pathname: string): PageName {
  const first = pathname.split('/').filter(Boolean)[0]?.toLowerCase() ?? ''
  const clean = first.replace(/\.html$/, '')
  return (ROLE_PAGES as readonly string[]).includes(clean) ? (clean as RolePage) : 'index'
}

/** The server gives each role its own view; a page refuses logins whose view lacks what it shows.
 * The secretariat's desk view contains the chair's, which contains the public one. */
export const PAGE_ROLES: Record<RolePage, readonly Role[]> = {
  delegate: ['delegate', 'observer'],
  desk: ['secretariat'],
  chair: ['chair', 'secretariat'],
  display: ['display', 'chair', 'secretariat'],
}

export function roleAllowed(page: RolePage, role: Role): boolean {
  return PAGE_ROLES[page].includes(role)
}

export function tokenKey(page: RolePage): string {
  return `congress.session.${page}`
}
