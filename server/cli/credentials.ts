// npm run credentials [-- --json] [-- --role delegate]: issues fresh login codes for the meeting's
// people (all, or one role) through the store, exactly as the desk's card printing does. The old
// codes stop working. Prints the codes (JSON with --json) and refreshes the demo credentials file.
import { commands } from '../../shared/domain/commands'
import { ROLES, type Role } from '../../shared/domain/types'
import { openStore } from '../app'
import { loadConfig } from '../config'
import { Engine } from '../engine'
import { writeCredentialsFile, type IssuedCode } from '../seed'

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const json = args.includes('--json')
  const roleArg = args.includes('--role') ? args[args.indexOf('--role') + 1] : null
  if (roleArg && !ROLES.includes(roleArg as Role)) throw new Error(`unknown role ${roleArg}`)
  const config = loadConfig()
  const store = await openStore(config)
  const engine = new Engine(store.log)
  await engine.start()
  if (!engine.state.meeting) throw new Error('no meeting in the store: start the server once first (npm start)')
  const ids = [...engine.state.persons.values()].filter((p) => !roleArg || p.role === roleArg).map((p) => p.id)
  const r = await engine.submit(
    (s, ctx) => commands['credential:issue'].decide(s, { personIds: ids }, { personId: 'cli', role: 'secretariat' }, ctx),
    null,
  )
  engine.stop()
  await store.close()
  if (!r.ok) throw new Error(`could not issue codes: ${r.error}`)
  const codes = (r.result as { issued: IssuedCode[] }).issued
  const file = writeCredentialsFile(config.dataDir, codes, engine.state.meeting.name)
  if (json) {
    process.stdout.write(JSON.stringify({ meeting: engine.state.meeting.name, codes }) + '\n')
  } else {
    for (const c of codes) console.log(`${c.role.padEnd(12)} ${c.personId.padEnd(10)} ${c.name.padEnd(8)} ${c.code}`)
    console.log(`${codes.length} codes issued; also written to ${file}`)
  }
}

main().catch((err) => {
  console.error(`credentials: ${(err as Error).message}`)
  process.exit(1)
})
