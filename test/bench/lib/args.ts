// `--key value`, `--key=value` and bare `--flag`; everything else is positional.
export class Args {
  readonly positional: string[] = []
  private readonly values = new Map<string, string | true>()

  constructor(argv: string[]) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]
      if (!a.startsWith('--')) {
        this.positional.push(a)
        continue
      }
      const eq = a.indexOf('=')
      if (eq > 0) this.values.set(a.slice(2, eq), a.slice(eq + 1))
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) this.values.set(a.slice(2), argv[++i])
      else this.values.set(a.slice(2), true)
    }
  }

  has(name: string): boolean {
    return this.values.has(name)
  }

  str(name: string, def: string): string
  str(name: string, def: null): string | null
  str(name: string, def: string | null): string | null {
    const v = this.values.get(name)
    return v === undefined || v === true ? def : v
  }

  num(name: string, def: number): number {
    const v = this.values.get(name)
    if (v === undefined) return def
    const n = Number(v)
    if (v === true || !Number.isFinite(n)) throw new Error(`--${name} needs a number`)
    return n
  }

  bool(name: string): boolean {
    const v = this.values.get(name)
    return v === true || v === 'true' || v === '1'
  }

  /** Names given that the scenario does not know, to catch typos. */
  unknown(known: string[]): string[] {
    return [...this.values.keys()].filter((k) => !known.includes(k))
  }
}
