// The ballot box port: where secret ballots live, apart from the event log. Entries carry no voter
// id and no time and are kept in an order unrelated to casting; the voter roll (who has voted) is
// kept apart from them. Casting is one atomic step: the round is open, the voter is on the roll and
// has not voted, the voter is marked, the ballot is added.

/** What a cast came to. 'repeat' is a retry with the same idempotency key: the same ack again. */
export type CastOutcome = 'accepted' | 'repeat' | 'already-voted' | 'not-eligible' | 'closed'

export interface ClosedRound {
  /** Ballot contents in storage order (random, unrelated to casting). */
  ballots: string[]
  /** How many voters are marked as having voted. */
  voters: number
}

export interface BallotBox {
  /** Opens a round for this electorate, or brings an open round's roll up to it (voters admitted
   * late). Idempotent, so every node can call it for every open round it sees in the log; voters
   * are never removed once a ballot is in the box; a closed round stays closed. */
  openRound(roundKey: string, electorate: string[]): Promise<void>
  cast(roundKey: string, voterId: string, idempotencyKey: string, ballot: string): Promise<CastOutcome>
  /** Closes the round (no cast succeeds afterwards) and returns its contents. Idempotent. */
  closeRound(roundKey: string): Promise<ClosedRound>
  /** Ballots cast so far (turnout): a count, nothing more. */
  turnout(roundKey: string): Promise<number>
  /** Which of these voters have voted in the round. */
  voted(roundKey: string, voterIds: string[]): Promise<Set<string>>
  /** The idempotency key (as stored) a voter cast with, or null: lets a retry whose ack was lost
   * before the round closed get its ack after all. */
  castKey(roundKey: string, voterId: string): Promise<string | null>
  /** The stored ballot contents of a closed round (for the export and recounts). */
  ballots(roundKey: string): Promise<string[]>
}

/** A uniformly random order of 0..n-1 (Fisher–Yates), from 4 bytes of crypto randomness per step
 * taken from the start of `rnd` (at least 4n bytes): both boxes store a batch in such an order, so
 * that the order ballots are written in is not the order they were cast in. */
export function randomOrder(n: number, rnd: Buffer): number[] {
  const a = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = rnd.readUInt32LE(i * 4) % (i + 1)
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}
