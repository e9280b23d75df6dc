import type { GeneMatch } from '../../../src-shared/contract/channels/knowledge'

/**
 * Gene-name resolution against one knowledge release: exact symbol, then Ensembl id, then a
 * unique alias (`TMEM173` → `STING1`), then the same ignoring case. Ambiguous aliases are
 * reported, never guessed.
 */
export type Resolution =
  | { kind: 'found'; gene: number; via: GeneMatch }
  | { kind: 'ambiguous'; candidates: number[] }
  | { kind: 'unknown' }

export interface ResolverTables {
  symbols: string[]
  /** alias → genes that list it among their synonyms */
  aliases: Map<string, number[]>
  /** Ensembl gene id (no version) → genes */
  ensembl: Map<string, number[]>
}

const ENSEMBL = /^ENS[A-Z]*G\d{6,}(\.\d+)?$/i

export class GeneResolver {
  private readonly bySymbol: Map<string, number>
  private readonly byUpper = new Map<string, number[]>()
  private readonly aliasUpper = new Map<string, number[]>()

  constructor(private readonly t: ResolverTables) {
    this.bySymbol = new Map(t.symbols.map((s, i) => [s, i]))
    t.symbols.forEach((s, i) => push(this.byUpper, s.toUpperCase(), i))
    for (const [a, genes] of t.aliases) for (const g of genes) push(this.aliasUpper, a.toUpperCase(), g)
  }

  symbolIndex(symbol: string): number | undefined {
    return this.bySymbol.get(symbol)
  }

  resolve(query: string): Resolution {
    const q = query.trim()
    const exact = this.bySymbol.get(q)
    if (exact !== undefined) return { kind: 'found', gene: exact, via: 'symbol' }
    if (ENSEMBL.test(q)) {
      const hits = this.t.ensembl.get(q.toUpperCase().replace(/\.\d+$/, ''))
      if (hits) return pick(hits, 'ensembl')
    }
    const alias = this.t.aliases.get(q)
    if (alias) return pick(alias, 'alias')
    const upper = q.toUpperCase()
    const ci = this.byUpper.get(upper)
    if (ci) return pick(ci, 'case')
    const ciAlias = this.aliasUpper.get(upper)
    if (ciAlias) return pick(ciAlias, 'alias')
    return { kind: 'unknown' }
  }

  /** Up to `n` symbols closest to a name nothing matched: shared prefix first, then edit distance. */
  closest(query: string, n = 5): string[] {
    const q = query.trim().toUpperCase()
    const maxDist = Math.max(1, Math.min(3, Math.floor(q.length / 3)))
    const scored: { s: string; score: number }[] = []
    for (const s of this.t.symbols) {
      const u = s.toUpperCase()
      if (q.length >= 2 && u.startsWith(q)) {
        scored.push({ s, score: (u.length - q.length) / 100 })
        continue
      }
      if (Math.abs(u.length - q.length) > maxDist) continue
      const d = boundedLevenshtein(q, u, maxDist)
      if (d <= maxDist) scored.push({ s, score: d })
    }
    scored.sort((a, b) => a.score - b.score || a.s.length - b.s.length || (a.s < b.s ? -1 : 1))
    return scored.slice(0, n).map((x) => x.s)
  }
}

function pick(genes: number[], via: GeneMatch): Resolution {
  const uniq = [...new Set(genes)]
  return uniq.length === 1 ? { kind: 'found', gene: uniq[0], via } : { kind: 'ambiguous', candidates: uniq.sort((a, b) => a - b) }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/** Levenshtein distance, giving up (returning max + 1) once every path exceeds `max`. */
export function boundedLevenshtein(a: string, b: string, max: number): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
      cur.push(v)
      if (v < rowMin) rowMin = v
    }
    if (rowMin > max) return max + 1
    prev = cur
  }
  return prev[b.length]
}
