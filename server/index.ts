// The process entry: the only place that reads the environment and listens.
import os from 'node:os'
import { createApp, openStore } from './app'
import { loadConfig } from './config'
import { credentialsFile, seedDemoIfEmpty, writeCredentialsFile } from './seed'
import { startIdleGc } from './idle-gc'

async function main(): Promise<void> {
  const config = loadConfig()
  const store = await openStore(config)
  const health = await store.health()
  if (!health.durable) console.warn(`[store] WARNING: ${health.kind} is not durable: ${health.detail ?? ''}`)
  const app = await createApp({ config, store })
  let seeded = false
  if (config.seedDemo) {
    const codes = await seedDemoIfEmpty(app.engine)
    if (codes) {
      writeCredentialsFile(config.dataDir, codes)
      seeded = true
    }
  }
  const idleGc = startIdleGc(app.engine, { quietS: Number(process.env.IDLE_GC_S ?? 3) })
  const url = await app.listen()
  const port = new URL(url).port
  const addrs = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address)
  const hosts = ['localhost', ...addrs]
  console.log(`[server] ${config.nodeId} on ${store.kind}, ${app.engine.version} events, meeting: ${app.engine.state.meeting?.name ?? '(none)'}`)
  for (const h of hosts) {
    console.log(`  delegate tablets  http://${h}:${port}/delegate`)
    console.log(`  check-in desk     http://${h}:${port}/desk`)
    console.log(`  chair console     http://${h}:${port}/chair`)
    console.log(`  hall display      http://${h}:${port}/display`)
  }
  if (seeded || (config.seedDemo && !config.redisUrl)) console.log(`  demo login codes  ${credentialsFile(config.dataDir)}  (fresh ones: npm run credentials)`)

  let stopping = false
  const stop = async (sig: string) => {
    if (stopping) return
    stopping = true
    console.log(`[server] ${sig}: closing`)
    idleGc.stop()
    await app.close().catch(() => {})
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((err) => {
  console.error('[server] failed to start:', err)
  process.exit(1)
})
