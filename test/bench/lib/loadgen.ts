// How busy the load generator itself is: if its event loop lags, every latency it measures is
// inflated by that much, so each phase reports it next to the server's numbers.
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks'
import { round } from './stats'

export class LoadgenMonitor {
  private h: IntervalHistogram
  private cpu0 = process.cpuUsage()
  private t0 = performance.now()

  private static readonly RESOLUTION_MS = 10

  constructor() {
    this.h = monitorEventLoopDelay({ resolution: LoadgenMonitor.RESOLUTION_MS })
    this.h.enable()
  }

  /** Event-loop delay percentiles (ms, beyond the sampling timer's own period) and CPU use (% of
   * one core) since construction. */
  read(): { eld_p50_ms: number | null; eld_p99_ms: number | null; eld_max_ms: number | null; cpu_pct: number | null } {
    const cpu = process.cpuUsage(this.cpu0)
    const wall = performance.now() - this.t0
    return {
      eld_p50_ms: this.late(this.h.percentile(50)),
      eld_p99_ms: this.late(this.h.percentile(99)),
      eld_max_ms: this.late(this.h.max),
      cpu_pct: round(((cpu.user + cpu.system) / 1000 / wall) * 100, 0),
    }
  }

  /** The histogram holds whole timer periods (ns); what counts is how late the timer fired. */
  private late(ns: number): number | null {
    return round(Math.max(0, ns / 1e6 - LoadgenMonitor.RESOLUTION_MS))
  }

  stop(): void {
    this.h.disable()
  }
}
