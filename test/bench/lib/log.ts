// Progress goes to stderr; the result is one JSON object, the last line on stdout.
const started = Date.now()

export function log(msg: string): void {
  process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`)
}

export function emitResult(result: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(result) + '\n')
}

export function elapsedS(): number {
  return (Date.now() - started) / 1000
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
