// Server messages come in both languages: show the one the interface is in now.
import { useSessionStore } from '../stores/session'

export function useServerText() {
  const session = useSessionStore()
  return (m: { zh: string; en: string } | undefined | null): string => (m ? (m[session.lang] ?? m.zh) : '')
}
