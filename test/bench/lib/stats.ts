// Percentiles (nearest rank) and a compact summary of latency samples.
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export function round(n: number | null, digits = 1): number | null {
  if (n === null || !Number.isFinite(n)) return null
  const f = 10 ** digits
  return Math.round(n * f) / f
}

export interface Summary {
  n: number
  min: number | null
  p50: number | null
  p90: number | null
  p99: number | null
  max: number | null
  mean: number | null
}

export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b)
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : null
  return {
    n: s.length,
    min: round(s[0] ?? null),
    p50: round(percentile(s, 50)),
    p90: round(percentile(s, 90)),
    p99: round(percentile(s, 99)),
    max: round(s[s.length - 1] ?? null),
    mean: round(mean),
  }
}
