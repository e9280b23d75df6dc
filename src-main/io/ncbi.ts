import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import { forEachLine, type LineReadOptions } from './reactome-lines'

/**
 * Readers for NCBI Gene's `gene2go` and `gene_info` (plain or gzipped), either the all-species
 * files or the per-species ones. Columns are found by their header names, so a file whose
 * header lacks a needed column is refused rather than misread.
 */

export const HUMAN_TAX_ID = '9606'
const GO_ID = /^GO:\d{7}$/

export interface GoAnnotation {
  geneId: number
  goId: string
  /** `Function`, `Process` or `Component` (or '' when the file has no Category column) */
  category: string
  term: string
}

export interface Gene2GoResult {
  annotations: GoAnnotation[]
  /** human rows read, the negative (`NOT …`) ones included */
  humanRows: number
  /** human rows with a `NOT` qualifier: the gene is known *not* to have the term, so skipped */
  negativeRows: number
  otherSpeciesRows: number
}

export interface GeneInfoRecord {
  geneId: number
  symbol: string
  synonyms: string[]
  ensembl: string[]
  description: string
  type: string
}

interface Header {
  columns: Map<string, number>
  width: number
}

function readHeader(file: string, line: string, required: string[], fileKind: string, url: string): Header {
  if (!line.startsWith('#')) {
    throw new AppError(
      'knowledge.missing-column',
      `${path.basename(file)} line 1 is not a ${fileKind} header (it should start with "#tax_id\tGeneID"). Download ${fileKind} again from ${url}.`,
    )
  }
  const names = line.slice(1).split('\t').map((s) => s.trim())
  const columns = new Map(names.map((n, i) => [n, i]))
  const missing = required.filter((r) => !columns.has(r))
  if (missing.length) {
    throw new AppError(
      'knowledge.missing-column',
      `${path.basename(file)} has no ${missing.map((m) => `"${m}"`).join(', ')} column (header: ${names.join(', ')}). Use NCBI's ${fileKind} file as downloaded from ${url}.`,
    )
  }
  return { columns, width: names.length }
}

function fieldCount(file: string, n: number, got: number, want: number, fileKind: string): AppError {
  return new AppError(
    'knowledge.bad-format',
    `${path.basename(file)} line ${n}: ${got} tab-separated fields where the header has ${want}. The file is damaged or truncated; download ${fileKind} again.`,
  )
}

function wrongSpecies(file: string, others: Map<string, number>, fileKind: string): AppError {
  const seen = [...others.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([t, c]) => `${t} (${c} rows)`)
  return new AppError(
    'knowledge.wrong-species',
    `${path.basename(file)} has no human (tax_id ${HUMAN_TAX_ID}) rows${seen.length ? `; it holds tax_id ${seen.join(', ')}` : ''}. Use the human or all-species ${fileKind} file.`,
  )
}

const GENE2GO_URL = 'https://ftp.ncbi.nlm.nih.gov/gene/DATA/gene2go.gz'
const GENE_INFO_URL = 'https://ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz'

/** Human GO annotations from `gene2go`. Rows of other species are skipped cheaply (only their tax id is looked at). */
export async function readGene2Go(file: string, options: LineReadOptions = {}): Promise<Gene2GoResult> {
  const annotations: GoAnnotation[] = []
  const others = new Map<string, number>()
  let header: Header | undefined
  let cTax = 0
  let cGene = 0
  let cGo = 0
  let cQual = -1
  let cCat = -1
  let cTerm = -1
  let humanRows = 0
  let negativeRows = 0
  let otherSpeciesRows = 0
  const prefix = `${HUMAN_TAX_ID}\t`
  await forEachLine(
    file,
    (line, n) => {
      if (!header) {
        header = readHeader(file, line, ['tax_id', 'GeneID', 'GO_ID'], 'gene2go', GENE2GO_URL)
        const c = header.columns
        cTax = c.get('tax_id')!
        cGene = c.get('GeneID')!
        cGo = c.get('GO_ID')!
        cQual = c.get('Qualifier') ?? -1
        cCat = c.get('Category') ?? -1
        cTerm = c.get('GO_term') ?? -1
        return
      }
      if (line === '') return
      if (cTax === 0 && !line.startsWith(prefix)) {
        otherSpeciesRows++
        const tax = line.slice(0, line.indexOf('\t'))
        if (others.size < 1000 || others.has(tax)) others.set(tax, (others.get(tax) ?? 0) + 1)
        return
      }
      const f = line.split('\t')
      if (f.length !== header.width) throw fieldCount(file, n, f.length, header.width, 'gene2go')
      if (f[cTax] !== HUMAN_TAX_ID) {
        otherSpeciesRows++
        others.set(f[cTax], (others.get(f[cTax]) ?? 0) + 1)
        return
      }
      humanRows++
      const geneId = Number(f[cGene])
      if (!Number.isInteger(geneId) || geneId <= 0) throw new AppError('knowledge.bad-format', `${path.basename(file)} line ${n}: GeneID "${f[cGene]}" is not a positive whole number. Download gene2go again.`)
      const goId = f[cGo]
      if (!GO_ID.test(goId)) throw new AppError('knowledge.bad-format', `${path.basename(file)} line ${n}: GO_ID "${goId}" is not a GO id (GO:0000000). Download gene2go again.`)
      if (cQual >= 0 && /^NOT\b/i.test(f[cQual])) {
        negativeRows++
        return
      }
      annotations.push({ geneId, goId, category: cCat >= 0 ? f[cCat] : '', term: cTerm >= 0 ? f[cTerm] : '' })
    },
    options,
  )
  if (!header) throw new AppError('knowledge.bad-format', `${path.basename(file)} is empty. Download gene2go from ${GENE2GO_URL}.`)
  if (humanRows === 0) throw wrongSpecies(file, others, 'gene2go')
  return { annotations, humanRows, negativeRows, otherSpeciesRows }
}

/** Human genes from `gene_info`: symbol, aliases (`Synonyms`), Ensembl ids (from `dbXrefs`). */
export async function readGeneInfo(file: string, options: LineReadOptions = {}): Promise<{ genes: GeneInfoRecord[]; otherSpeciesRows: number }> {
  const genes: GeneInfoRecord[] = []
  const others = new Map<string, number>()
  let header: Header | undefined
  let c: Map<string, number> = new Map()
  let otherSpeciesRows = 0
  await forEachLine(
    file,
    (line, n) => {
      if (!header) {
        header = readHeader(file, line, ['tax_id', 'GeneID', 'Symbol', 'Synonyms'], 'gene_info', GENE_INFO_URL)
        c = header.columns
        return
      }
      if (line === '') return
      const f = line.split('\t')
      if (f.length !== header.width) throw fieldCount(file, n, f.length, header.width, 'gene_info')
      const tax = f[c.get('tax_id')!]
      if (tax !== HUMAN_TAX_ID) {
        otherSpeciesRows++
        if (others.size < 1000 || others.has(tax)) others.set(tax, (others.get(tax) ?? 0) + 1)
        return
      }
      const geneId = Number(f[c.get('GeneID')!])
      if (!Number.isInteger(geneId) || geneId <= 0) throw new AppError('knowledge.bad-format', `${path.basename(file)} line ${n}: GeneID "${f[c.get('GeneID')!]}" is not a positive whole number. Download gene_info again.`)
      const symbol = f[c.get('Symbol')!].trim()
      // NCBI's placeholder for records still being curated.
      if (symbol === '' || symbol === '-' || symbol === 'NEWENTRY') return
      const list = (col: string) => {
        const i = c.get(col)
        const v = i === undefined ? '-' : f[i]
        return v === '-' || v === '' ? [] : v.split('|').map((s) => s.trim()).filter((s) => s !== '' && s !== '-')
      }
      const ensembl = list('dbXrefs')
        .filter((x) => x.startsWith('Ensembl:'))
        .map((x) => x.slice('Ensembl:'.length))
      const dIdx = c.get('description')
      const tIdx = c.get('type_of_gene')
      genes.push({
        geneId,
        symbol,
        synonyms: list('Synonyms'),
        ensembl,
        description: dIdx === undefined || f[dIdx] === '-' ? '' : f[dIdx],
        type: tIdx === undefined || f[tIdx] === '-' ? '' : f[tIdx],
      })
    },
    options,
  )
  if (!header) throw new AppError('knowledge.bad-format', `${path.basename(file)} is empty. Download gene_info from ${GENE_INFO_URL}.`)
  if (genes.length === 0) throw wrongSpecies(file, others, 'gene_info')
  return { genes, otherSpeciesRows }
}
