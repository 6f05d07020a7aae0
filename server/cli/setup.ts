// npm run setup -- --name "中共××县第×次代表大会第×次会议" [--type congress|plenary|grassroots] [--json]
// Sets up a real meeting in an empty store (the one REDIS_URL or DATA_DIR points at): the meeting
// with its name and type, and the staff accounts (执行主席 chair, 秘书处 sec1 and sec2, 大屏 display1)
// with fresh login codes, printed and written to the credentials file. Then start the server
// (npm start: it seeds no demo once a meeting exists), log in at /desk with sec1's code, import the
// roster and print the cards. Refuses when the store already holds a meeting.
import { MEETING_TYPES, type MeetingType } from '../../shared/domain/types'
import { openStore } from '../app'
import { loadConfig, type Config } from '../config'
import { Engine } from '../engine'
import { decideNewMeeting, writeCredentialsFile, type IssuedCode } from '../seed'

export interface SetupResult {
  meeting: string
  codes: IssuedCode[]
  file: string
}

/** Creates the meeting in the configured store; throws, changing nothing, when one exists. */
export async function setupMeeting(config: Config, name: string, type: MeetingType): Promise<SetupResult> {
  const title = name.trim()
  if (!title || title.length > 200) throw new Error('--name: the meeting name, 1 to 200 characters')
  if (!MEETING_TYPES.includes(type)) throw new Error(`--type: one of ${MEETING_TYPES.join(', ')}`)
  const store = await openStore(config)
  const engine = new Engine(store.log)
  try {
    await engine.start()
    const r = await engine.submit((s, ctx) => decideNewMeeting(s, ctx, title, type), null)
    if (!r.ok) {
      if (r.error === 'MEETING_EXISTS') throw new Error(`the store already holds a meeting (${engine.state.meeting?.name ?? '?'}): nothing changed`)
      throw new Error(`could not set up the meeting: ${r.error}`)
    }
    const codes = (r.result as { codes: IssuedCode[] }).codes
    return { meeting: title, codes, file: writeCredentialsFile(config.dataDir, codes, title) }
  } finally {
    engine.stop()
    await store.close()
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const arg = (k: string) => (args.includes(k) ? (args[args.indexOf(k) + 1] ?? '') : null)
  const name = arg('--name')
  if (name === null) throw new Error('usage: npm run setup -- --name "会议名称" [--type congress|plenary|grassroots] [--json]')
  const r = await setupMeeting(loadConfig(), name, (arg('--type') ?? 'congress') as MeetingType)
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify({ meeting: r.meeting, codes: r.codes }) + '\n')
    return
  }
  console.log(`meeting set up: ${r.meeting}`)
  for (const c of r.codes) console.log(`${c.role.padEnd(12)} ${c.personId.padEnd(10)} ${c.name.padEnd(8)} ${c.code}`)
  console.log(`codes also written to ${r.file}. Next: npm start, log in at /desk with sec1's code, import the roster, print the cards.`)
}

// Run as a script (not when a test imports setupMeeting).
if (process.argv[1] && /setup\.ts$/.test(process.argv[1])) {
  main().catch((err) => {
    console.error(`setup: ${(err as Error).message}`)
    process.exit(1)
  })
}
