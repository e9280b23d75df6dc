/**
 * Heuristics that tell gene identifiers from cell barcodes, used to pick the var symbol column of an
 * `.h5ad` and the orientation of a CSV table. They only suggest: the user confirms in the wizard.
 */

const ENSEMBL = /^ENS[A-Z]*[GT]\d{6,}(\.\d+)?$/
/** 10x barcodes (`AAACCTGAGAAGGCCT-1`), optionally with a sample prefix or suffix. */
const BARCODE = /(^|[_:-])[ACGTN]{10,}([_:.-]\w+)?$/
/** HGNC / MGI-like symbols: a letter, then letters, digits, dots, dashes (`STAT1`, `HLA-DRA`, `Stat1`, `C1orf43`). */
const SYMBOL = /^[A-Za-z][A-Za-z0-9]*([-.@][A-Za-z0-9]+)*$/

export function isEnsemblId(name: string): boolean {
  return ENSEMBL.test(name)
}

export function looksLikeBarcode(name: string): boolean {
  return BARCODE.test(name)
}

export function looksLikeGeneSymbol(name: string): boolean {
  return name.length <= 24 && SYMBOL.test(name) && !looksLikeBarcode(name) && !isEnsemblId(name) && !/^(cell|barcode|sample)/i.test(name)
}

function sample(names: readonly string[], n = 500): string[] {
  if (names.length <= n) return names.slice()
  const step = names.length / n
  return Array.from({ length: n }, (_, i) => names[Math.floor(i * step)])
}

export function fractionMatching(names: readonly string[], test: (s: string) => boolean): number {
  const s = sample(names)
  if (s.length === 0) return 0
  return s.filter(test).length / s.length
}

/**
 * Names such as `cell1, cell2, …` or `sample_001, …`: one shared prefix followed by a number.
 * Gene symbols share prefixes too (RPL10, RPL11) but spread over many prefixes.
 */
export function sharedPrefixFraction(names: readonly string[]): number {
  const s = sample(names)
  if (s.length < 2) return 0
  const counts = new Map<string, number>()
  for (const n of s) {
    if (isEnsemblId(n)) continue // ENSG000… share a prefix by design
    const m = /^(.*?)[_-]?\d+$/.exec(n)
    if (m) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1)
  }
  let best = 0
  for (const c of counts.values()) best = Math.max(best, c)
  // one name alone (STAT1 → 'STAT') says nothing about a shared pattern
  return best >= 2 ? best / s.length : 0
}

/** How gene-like a list of names is, in [-1, 1]: gene ids and symbols count up, barcodes and numbered names down. */
export function geneLikeScore(names: readonly string[]): number {
  const genes = fractionMatching(names, (n) => isEnsemblId(n) || looksLikeGeneSymbol(n))
  const cells = Math.max(fractionMatching(names, looksLikeBarcode), sharedPrefixFraction(names))
  return genes - cells
}
