// What a scenario module exports, and the options every scenario shares.
import fs from 'node:fs'
import path from 'node:path'
import type { Args } from './args'
import type { Cleanup } from './cleanup'
import type { StoreKind } from './cluster'

export interface ScenarioContext {
  args: Args
  cleanup: Cleanup
  /** Fields to report if the run fails half way (counts so far, the phase it was in). */
  partial: Record<string, unknown>
}

export interface Scenario {
  /** One line for the usage text. */
  summary: string
  /** Options it reads besides the common ones (without the leading --). */
  options: string[]
  /** The time limit when --timeout is not given, in seconds. */
  defaultTimeoutS(args: Args): number
  /** Runs the scenario; returns the result fields (scenario and duration_s are added by run.ts). */
  run(ctx: ScenarioContext): Promise<Record<string, unknown>>
}

/** Options run.ts handles for every scenario. */
export const COMMON_OPTIONS = ['store', 'nodes', 'timeout', 'cpu-prof', 'keep', 'broadcast-interval', 'server-root', 'wait-quiet']

export interface Topology {
  store: StoreKind
  nodes: number
  /** Environment passed to every server node. */
  env: Record<string, string>
  /** Directory for V8 CPU profiles of the server nodes, or null. */
  cpuProfDir: string | null
  /** --server-root DIR: run the server from another checkout (with server/, shared/, node_modules). */
  serverRoot: string | undefined
}

/** --store sqlite|redis (default sqlite; redis when --nodes > 1), --nodes N, --broadcast-interval MS,
 * --cpu-prof [DIR]. */
export function topology(args: Args, defaultProfDir: () => string): Topology {
  const nodes = args.num('nodes', 1)
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8) throw new Error('--nodes must be 1..8')
  const store = args.str('store', nodes > 1 ? 'redis' : 'sqlite')
  if (store !== 'sqlite' && store !== 'redis') throw new Error('--store must be sqlite or redis')
  if (nodes > 1 && store !== 'redis') throw new Error('--nodes > 1 needs --store redis (SQLite is one node)')
  const env: Record<string, string> = {}
  if (args.has('broadcast-interval')) env.BROADCAST_INTERVAL_MS = String(args.num('broadcast-interval', 100))
  let cpuProfDir: string | null = null
  if (args.has('cpu-prof')) cpuProfDir = args.str('cpu-prof', null) ?? defaultProfDir()
  const root = args.str('server-root', null)
  const serverRoot = root ? path.resolve(root) : undefined
  if (serverRoot && !fs.existsSync(path.join(serverRoot, 'server', 'index.ts'))) throw new Error(`--server-root ${root}: no server/index.ts there`)
  return { store, nodes, env, cpuProfDir, serverRoot }
}
