/**
 * Target signatures for the phenotype search: genes up / genes down (±1), a differential profile
 * (gene → value), or a table pasted from a CSV/TSV (gene,value or gene,up/down, with or without
 * a header). Every problem is named: the line, the gene, what to write instead.
 */
import { AppError } from '../../../src-shared/contract'

export interface Signature {
  genes: string[]
  values: number[]
  kind: 'up-down' | 'profile'
}

export type SignatureInput = { up: string[]; down: string[] } | { profile: Record<string, number> } | { text: string }

const GENE_COLUMNS = ['gene', 'genes', 'symbol', 'gene_symbol', 'gene_name', 'name', 'feature', 'id']
const VALUE_COLUMNS = ['value', 'logfc', 'log2fc', 'log2foldchange', 'lfc', 'avg_log2fc', 'fold_change', 'score', 'change', 'delta', 't', 'stat', 'z', 'direction', 'sign', 'regulation']
const UP = /^(up|\+|\+1|1|upregulated|up-regulated|increase|increased)$/i
const DOWN = /^(down|-|−|-1|downregulated|down-regulated|decrease|decreased)$/i

function fail(message: string): never {
  throw new AppError('design.bad-signature', message)
}

function duplicates(genes: string[]): string[] {
  const seen = new Set<string>()
  const dup = new Set<string>()
  for (const g of genes) (seen.has(g.toUpperCase()) ? dup : seen).add(g.toUpperCase())
  return [...dup]
}

export function parseSignature(input: SignatureInput): Signature {
  if ('text' in input) return parseSignatureText(input.text)
  if ('profile' in input) {
    const genes = Object.keys(input.profile).map((g) => g.trim())
    if (genes.length === 0) fail('The signature profile is empty: give at least one gene with a value.')
    const dup = duplicates(genes)
    if (dup.length) fail(`The signature lists ${dup.join(', ')} more than once (genes differ only in case); keep one value per gene.`)
    return { genes, values: Object.values(input.profile), kind: 'profile' }
  }
  const up = input.up.map((g) => g.trim()).filter(Boolean)
  const down = input.down.map((g) => g.trim()).filter(Boolean)
  if (up.length + down.length === 0) fail('The signature is empty: list genes that should go up, down, or both.')
  const both = up.filter((g) => down.some((d) => d.toUpperCase() === g.toUpperCase()))
  if (both.length) fail(`${both.join(', ')} ${both.length > 1 ? 'are' : 'is'} listed both up and down; keep each gene on one side.`)
  const dup = duplicates([...up, ...down])
  if (dup.length) fail(`The signature lists ${dup.join(', ')} more than once; list each gene once.`)
  return { genes: [...up, ...down], values: [...up.map(() => 1), ...down.map(() => -1)], kind: 'up-down' }
}

/** A pasted table: delimiter from the first data line (tab, comma, semicolon, spaces); header optional. */
export function parseSignatureText(text: string): Signature {
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ line: i + 1, text: l.trim() }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'))
  if (lines.length === 0) fail('The signature text is empty: paste two columns, gene and value (or gene and up/down).')
  const first = lines[0].text
  const split = first.includes('\t') ? (s: string) => s.split('\t') : first.includes(',') ? (s: string) => s.split(',') : first.includes(';') ? (s: string) => s.split(';') : (s: string) => s.split(/\s+/)
  const rows = lines.map((l) => ({ line: l.line, cells: split(l.text).map((c) => c.trim().replace(/^"(.*)"$/, '$1')) }))
  let geneCol = 0
  let valueCol = 1
  const head = rows[0].cells.map((c) => c.toLowerCase())
  const isValue = (v: string | undefined) => v !== undefined && (Number.isFinite(Number(v)) || UP.test(v) || DOWN.test(v))
  if (!isValue(rows[0].cells[1]) || head.some((h) => GENE_COLUMNS.includes(h))) {
    const g = head.findIndex((h) => GENE_COLUMNS.includes(h))
    const v = head.findIndex((h) => VALUE_COLUMNS.includes(h))
    geneCol = g >= 0 ? g : 0
    valueCol = v >= 0 ? v : geneCol === 0 ? 1 : 0
    rows.shift()
  }
  if (rows.length === 0) fail('The signature has a header but no gene rows.')
  const genes: string[] = []
  const values: number[] = []
  let directions = 0
  for (const r of rows) {
    const gene = r.cells[geneCol]
    const raw = r.cells[valueCol]
    if (!gene) fail(`Line ${r.line} of the signature has no gene symbol.`)
    if (raw === undefined || raw === '') fail(`Line ${r.line} (${gene}) has no value: write gene,value (e.g. HBB,2.1) or gene,up / gene,down.`)
    let v = Number(raw)
    if (!Number.isFinite(v)) {
      if (UP.test(raw)) v = 1
      else if (DOWN.test(raw)) v = -1
      else fail(`Line ${r.line} (${gene}): "${raw}" is neither a number nor up/down.`)
      directions++
    }
    genes.push(gene)
    values.push(v)
  }
  const dup = duplicates(genes)
  if (dup.length) fail(`The signature lists ${dup.slice(0, 20).join(', ')} more than once; keep one row per gene.`)
  return { genes, values, kind: directions === rows.length ? 'up-down' : 'profile' }
}
