// How a person's attendance reads on screen: one label key and one colour tone per state.
import type { LeaveReason, Presence } from '../../../shared/domain/types'

export type PresenceLabel = 'absent' | 'present' | 'left' | 'leaveBusiness' | 'leaveIllness' | 'leave'
export type Tone = 'ok' | 'warn' | 'muted' | 'info'

export function presenceLabel(presence: Presence, reason: LeaveReason | null): PresenceLabel {
  if (presence !== 'leave') return presence
  if (reason === 'business') return 'leaveBusiness'
  if (reason === 'illness') return 'leaveIllness'
  return 'leave'
}

export function presenceTone(presence: Presence): Tone {
  switch (presence) {
    case 'present':
      return 'ok'
    case 'leave':
      return 'info'
    case 'left':
      return 'warn'
    default:
      return 'muted'
  }
}

/** What the delegate's tablet offers: check in when not present, check out only when present. */
export function selfActions(presence: Presence, selfCheckIn: boolean): { checkIn: boolean; checkOut: boolean } {
  if (!selfCheckIn) return { checkIn: false, checkOut: false }
  return { checkIn: presence !== 'present', checkOut: presence === 'present' }
}

/** Which desk actions make sense for a roster row (the server still decides). */
export function rowActions(r: { presence: Presence; leaveReason: LeaveReason | null; role: string; status: string; hasCredential: boolean; undoable: boolean }) {
  const attendee = (r.role === 'delegate' || r.role === 'observer') && r.status === 'active'
  return {
    checkIn: attendee && r.presence !== 'present',
    checkOut: r.presence === 'present',
    undo: r.undoable,
    leaveBusiness: attendee && r.presence !== 'present' && !(r.presence === 'leave' && r.leaveReason === 'business'),
    leaveIllness: attendee && r.presence !== 'present' && !(r.presence === 'leave' && r.leaveReason === 'illness'),
    cancelLeave: r.presence === 'leave',
    reissue: true,
    revoke: r.hasCredential,
  }
}
