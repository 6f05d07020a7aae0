// Everything a bench starts is registered here and torn down in reverse order: on success, on
// failure, on Ctrl-C and on the time limit. Child processes run in process groups of their own and
// are killed by group id, never by name. A small detached reaper process watches the bench: if the
// bench dies without cleaning up (SIGKILL, OOM) or outlives its hard limit, the reaper kills the
// registered groups and removes the registered directories.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { log } from './log'

type Step = { name: string; fn: () => Promise<void> | void }

const REAPER = `
const fs = require('fs')
const [parent, file, hardDeadline] = process.argv.slice(1)
const alive = (pid) => { try { process.kill(pid, 0); return true } catch (e) { return e.code === 'EPERM' } }
const timer = setInterval(() => {
  if (!fs.existsSync(file)) process.exit(0)
  if (alive(Number(parent)) && Date.now() < Number(hardDeadline)) return
  clearInterval(timer)
  let reg = { groups: [], dirs: [] }
  try { reg = JSON.parse(fs.readFileSync(file, 'utf8')) } catch {}
  for (const g of reg.groups) { try { process.kill(-g, 'SIGTERM') } catch {} }
  setTimeout(() => {
    for (const g of reg.groups) { try { process.kill(-g, 'SIGKILL') } catch {} }
    for (const d of reg.dirs) { try { fs.rmSync(d, { recursive: true, force: true }) } catch {} }
    try { fs.unlinkSync(file) } catch {}
    process.exit(0)
  }, 3000)
}, 1000)
`

export class Cleanup {
  private steps: Step[] = []
  private readonly groups = new Set<number>()
  private readonly dirs = new Set<string>()
  private readonly registry: string
  private running: Promise<void> | null = null

  /** hardLimitMs: when the reaper stops waiting for the bench and reaps anyway. */
  constructor(hardLimitMs: number) {
    this.registry = path.join(os.tmpdir(), `congress-bench-${process.pid}-${Date.now()}.reap.json`)
    this.save()
    const reaper = spawn(process.execPath, ['-e', REAPER, String(process.pid), this.registry, String(Date.now() + hardLimitMs)], {
      detached: true,
      stdio: 'ignore',
    })
    reaper.unref()
  }

  private save(): void {
    try {
      fs.writeFileSync(this.registry, JSON.stringify({ groups: [...this.groups], dirs: [...this.dirs] }))
    } catch {
      // /tmp full: the in-process cleanup still knows everything.
    }
  }

  /** Registers a teardown step; returns a function that unregisters it (once done by hand). */
  add(name: string, fn: () => Promise<void> | void): () => void {
    const step = { name, fn }
    this.steps.push(step)
    return () => {
      this.steps = this.steps.filter((s) => s !== step)
    }
  }

  trackGroup(pid: number): void {
    this.groups.add(pid)
    this.save()
  }

  untrackGroup(pid: number): void {
    this.groups.delete(pid)
    this.save()
  }

  /** A temp directory removed at the end (unless keep). */
  tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
    this.dirs.add(dir)
    this.save()
    return dir
  }

  /** Runs every step (newest first, each bounded), then kills whatever group is left. Idempotent. */
  run(opts: { keepDirs?: boolean } = {}): Promise<void> {
    if (!this.running) this.running = this.doRun(opts)
    return this.running
  }

  private async doRun(opts: { keepDirs?: boolean }): Promise<void> {
    const steps = this.steps.reverse()
    this.steps = []
    for (const s of steps) {
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([
          Promise.resolve().then(s.fn),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out')), 15_000)
          }),
        ])
      } catch (err) {
        log(`cleanup: ${s.name}: ${(err as Error).message}`)
      } finally {
        clearTimeout(timer)
      }
    }
    this.finalSync(opts)
  }

  /** Synchronous last resort (process 'exit'): SIGKILL the groups left, remove the directories. */
  finalSync(opts: { keepDirs?: boolean } = {}): void {
    for (const g of this.groups) {
      try {
        process.kill(-g, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    this.groups.clear()
    if (opts.keepDirs) {
      if (this.dirs.size) log(`kept: ${[...this.dirs].join(' ')}`)
    } else {
      for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true })
    }
    this.dirs.clear()
    try {
      fs.unlinkSync(this.registry)
    } catch {
      // already removed
    }
    // The reaper notices the registry is gone and exits by itself within a second.
  }
}
