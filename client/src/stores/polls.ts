// Elections, votes, appointment votes and evaluations as this page sees them (from the meeting view),
// the person's own part in them (eligible rounds, counts to confirm), and the poll commands.
import { defineStore } from 'pinia'
import { computed } from 'vue'
import type { PollView } from '@shared/domain/poll-views'
import { useMeetingStore } from './meeting'
import { useSessionStore } from './session'
import { download } from '../api'
import type { PollPayload } from '../logic/pollEditor'
import type { Result } from '../logic/errors'

export type BallotFile = 'ballots.json' | 'ballots.csv' | 'named.csv'

export const usePollsStore = defineStore('polls', () => {
  const meeting = useMeetingStore()
  const session = useSessionStore()

  const polls = computed<PollView[]>(() => (meeting.view?.polls ?? []) as PollView[])
  const byId = computed(() => new Map(polls.value.map((p) => [p.id, p])))
  /** Polls with a round open now, most recently opened first. */
  const openPolls = computed(() =>
    polls.value.filter((p) => p.round?.status === 'open').sort((a, b) => b.round!.openedAt - a.round!.openedAt),
  )
  const toConfirm = computed(() => meeting.me?.toConfirm ?? [])
  /** The open rounds (`pollId:n`) this person is on the roll of; null before the first status. */
  const eligible = computed<Set<string> | null>(() => {
    const e = meeting.me?.eligibleIn
    return Array.isArray(e) ? new Set(e) : null
  })

  function get(id: string): PollView | undefined {
    return byId.value.get(id)
  }

  const create = (p: PollPayload) => meeting.send('poll:create', p)
  const update = (pollId: string, p: PollPayload) => meeting.send('poll:update', { pollId, ...p })
  const cancel = (pollId: string) => meeting.send('poll:cancel', { pollId })
  const open = (pollId: string) => meeting.send('poll:open', { pollId })
  const close = (pollId: string) => meeting.send('poll:close', { pollId })
  const admit = (pollId: string, personId: string) => meeting.send('poll:admit', { pollId, personId })
  const confirm = (pollId: string) => meeting.send('poll:confirm', { pollId })
  const publish = (pollId: string) => meeting.send('poll:publish', { pollId })
  const setNextRound = (pollId: string, seats: number, candidateIds: string[]) => meeting.send('poll:setNextRound', { pollId, seats, candidateIds })
  const finish = (pollId: string) => meeting.send('poll:finish', { pollId })
  const setLiveResults = (pollId: string, live: boolean) => meeting.send('poll:setLiveResults', { pollId, live })

  /** The ballots of a closed round, fetched with the token and saved as a file. */
  function downloadBallots(pollId: string, n: number, file: BallotFile): Promise<Result<null>> {
    const name = `${file.startsWith('named') ? 'named' : 'ballots'}-${pollId}-${n}.${file.split('.').pop()}`
    return download(`/api/polls/${encodeURIComponent(pollId)}/rounds/${n}/${file}`, session.token ?? '', name)
  }

  return { polls, byId, openPolls, toConfirm, eligible, get, create, update, cancel, open, close, admit, confirm, publish, setNextRound, finish, setLiveResults, downloadBallots }
})
