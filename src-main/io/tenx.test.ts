import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dense } from '../test-support/csr'
import { rejection, tempFiles } from '../test-support/temp-files'
import { SHARED_DIR } from '../test-support/temp-home'
import { readH5ad } from './h5ad-read'
import type { RawDataset } from './raw-dataset'
import { readTenx, summarizeTenx } from './tenx'

const PAPALEXI = path.join(SHARED_DIR, 'datasets/papalexi2021')

const files = tempFiles('ps-10x-')
const code = rejection
afterEach(() => files.cleanup())

// cells × genes; the mtx below stores its transpose (genes × cells), entries deliberately unordered
const M = [
  [0, 1, 0, 2],
  [3, 0, 0, 0],
  [0, 0, 4, 5],
]
const ENTRIES = ['4 3 5', '1 2 3', '2 1 1', '4 1 2', '3 3 4']
const FEATURES = ['ENSG00000115415\tSTAT1\tGene Expression', 'ENSG00000000003\tTSPAN6\tGene Expression', 'ENSG00000000005\tTNMD\tGene Expression', 'ENSG00000000419\tDPM1\tGene Expression']
const BARCODES = ['AAACCTGAGAAGGCCT-1', 'AAACCTGAGACAGACC-1', 'AAACCTGAGACTGGGT-1']

interface Folder {
  header?: string
  entries?: string[]
  features?: string[]
  barcodes?: string[]
  gzip?: boolean
  names?: { matrix?: string; features?: string; barcodes?: string }
  metadata?: string
}

/** Writes a 10x folder in a temp dir; `header` defaults to the size line matching the entries. */
function folder(spec: Folder = {}): string {
  const dir = fs.mkdtempSync(files.tmp('tenx-'))
  const gz = spec.gzip ?? true
  const entries = spec.entries ?? ENTRIES
  const mtx = ['%%MatrixMarket matrix coordinate integer general', '%metadata_json: {}', spec.header ?? `4 3 ${entries.length}`, ...entries].join('\n') + '\n'
  const put = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), gz ? zlib.gzipSync(text) : text)
  const ext = gz ? '.gz' : ''
  put(spec.names?.matrix ?? `matrix.mtx${ext}`, mtx)
  put(spec.names?.features ?? `features.tsv${ext}`, (spec.features ?? FEATURES).join('\n') + '\n')
  put(spec.names?.barcodes ?? `barcodes.tsv${ext}`, (spec.barcodes ?? BARCODES).join('\n') + '\n')
  if (spec.metadata !== undefined) fs.writeFileSync(path.join(dir, 'cells.csv'), spec.metadata)
  return dir
}

describe('readTenx on the Papalexi folder', () => {
  let tenx: RawDataset
  let h5ad: RawDataset
  beforeAll(async () => {
    tenx = await readTenx(PAPALEXI)
    h5ad = await readH5ad(path.join(PAPALEXI, 'papalexi2021_counts.h5ad'))
  })

  it('reads 20,729 cells × 299 genes and joins cells.csv found beside the matrix', () => {
    expect([tenx.X.nRows, tenx.X.nCols]).toEqual([20729, 299])
    expect(tenx.X.data.length).toBe(1390126)
    expect(tenx.warnings).toEqual(['Cell metadata taken from cells.csv beside the matrix.'])
    expect(Object.keys(tenx.obs)).toEqual(['guide', 'target', 'replicate', 'guide_umi', 'total_guide_umi'])
    expect(tenx.genes.id[0]).toBe('ENSG00000183570')
    expect(tenx.genes.symbol[0]).toBe('PCBP3')
  })

  it('gives the same matrix and targets as the .h5ad of the same data', () => {
    // match by name rather than assuming both files keep the same order
    const cellRow = new Map(h5ad.cells.map((c, i) => [c, i]))
    const geneCol = new Map(h5ad.genes.symbol.map((g, i) => [g, i]))
    expect(tenx.cells.every((c) => cellRow.has(c))).toBe(true)
    expect(tenx.cells).toHaveLength(h5ad.cells.length)
    let mismatches = 0
    for (let r = 0; r < tenx.X.nRows; r++) {
      const hr = cellRow.get(tenx.cells[r])!
      const row = new Map<number, number>()
      for (let k = h5ad.X.indptr[hr]; k < h5ad.X.indptr[hr + 1]; k++) row.set(h5ad.X.indices[k], h5ad.X.data[k])
      if (row.size !== tenx.X.indptr[r + 1] - tenx.X.indptr[r]) mismatches++
      for (let k = tenx.X.indptr[r]; k < tenx.X.indptr[r + 1]; k++) if (row.get(geneCol.get(tenx.genes.symbol[tenx.X.indices[k]])!) !== tenx.X.data[k]) mismatches++
    }
    expect(mismatches).toBe(0)
    const t10x = tenx.obs.target.values as string[]
    const tH5 = h5ad.obs.target.values as string[]
    expect(tenx.cells.every((c, i) => t10x[i] === tH5[cellRow.get(c)!])).toBe(true)
  })

  it('summarises the folder from the header and the metadata without reading the matrix', async () => {
    const s = await summarizeTenx(PAPALEXI)
    expect(s.header).toEqual({ field: 'integer', rows: 299, cols: 20729, nnz: 1390126 })
    expect([s.cells, s.genes]).toEqual([20729, 299])
    expect(s.metadata?.barcodeColumn).toBe('barcode')
  })
})

describe('readTenx layouts', () => {
  it('transposes unordered genes × cells entries into sorted cells × genes rows', async () => {
    const d = await readTenx(folder(), { metadata: null })
    expect(dense(d.X)).toEqual(M)
    expect(d.cells).toEqual(BARCODES)
    expect(d.genes.symbol).toEqual(['STAT1', 'TSPAN6', 'TNMD', 'DPM1'])
    expect(d.source.format).toBe('10x')
  })

  it('reads uncompressed legacy genes.tsv with GEO-prefixed names and real values', async () => {
    const dir = folder({
      gzip: false,
      names: { matrix: 'GSM123_matrix.mtx', features: 'GSM123_genes.tsv', barcodes: 'GSM123_barcodes.tsv' },
      features: FEATURES.map((l) => l.split('\t').slice(0, 2).join('\t')),
      entries: ['4 3 5.0', '1 2 3e0', '2 1 1', '4 1 2', '3 3 4'],
    })
    fs.writeFileSync(path.join(dir, 'GSM123_matrix.mtx'), fs.readFileSync(path.join(dir, 'GSM123_matrix.mtx'), 'utf8').replace('integer', 'real'))
    expect(dense((await readTenx(dir)).X)).toEqual(M)
  })

  it('warns, naming the file and the field, when gene names or barcodes are not valid UTF-8', async () => {
    const names = { matrix: 'matrix.mtx', features: 'features.tsv', barcodes: 'barcodes.tsv' }
    const clean = await readTenx(folder({ gzip: false, names }), { metadata: null })
    expect(clean.warnings.filter((w) => /UTF-8/.test(w))).toEqual([])

    const dir = folder({ gzip: false, names })
    const feats = path.join(dir, 'features.tsv')
    // 'TNMD' becomes 'TNMD\xe9' (Latin-1 é): not UTF-8
    const bytes = fs.readFileSync(feats)
    const at = bytes.indexOf('TNMD') + 4
    fs.writeFileSync(feats, Buffer.concat([bytes.subarray(0, at), Buffer.from([0xe9]), bytes.subarray(at)]))
    const d = await readTenx(dir, { metadata: null })
    expect(d.genes.symbol).toContain('TNMD\uFFFD')
    const utf8 = d.warnings.filter((w) => /UTF-8/.test(w))
    expect(utf8).toHaveLength(1)
    expect(utf8[0]).toMatch(/features\.tsv.*gene names.*replaced/)
    expect((await summarizeTenx(dir, { metadata: null })).warnings.some((w) => /features\.tsv is not valid UTF-8/.test(w))).toBe(true)
  })

  it('accepts a cells × genes matrix and says it was transposed', async () => {
    const entries = ['1 2 1', '1 4 2', '2 1 3', '3 3 4', '3 4 5']
    const d = await readTenx(folder({ header: '3 4 5', entries }))
    expect(dense(d.X)).toEqual(M)
    expect(d.warnings.join()).toMatch(/cells × genes/)
  })

  it("keeps only 'Gene Expression' features when antibody or guide features are mixed in", async () => {
    const features = [...FEATURES.slice(0, 3), 'STAT1g1\tSTAT1g1\tCRISPR Guide Capture']
    const d = await readTenx(folder({ features }))
    expect(d.genes.symbol).toEqual(['STAT1', 'TSPAN6', 'TNMD'])
    expect(dense(d.X)).toEqual(M.map((r) => r.slice(0, 3)))
    expect(d.warnings.join()).toMatch(/1 features of type 'CRISPR Guide Capture' were left out/)
  })
})

describe('readTenx cell metadata', () => {
  it('drops cells without metadata and counts unmatched rows, with a chosen barcode column', async () => {
    const meta = 'guide,cell_id,target\nSTAT1g1,AAACCTGAGAAGGCCT-1,STAT1\nNT1,AAACCTGAGACTGGGT-1,non-targeting\nNT2,TTTTTTTTTTTTTTTT-1,non-targeting\n'
    const d = await readTenx(folder({ metadata: meta }), { barcodeColumn: 'cell_id' })
    expect(d.cells).toEqual([BARCODES[0], BARCODES[2]])
    expect(dense(d.X)).toEqual([M[0], M[2]])
    expect(d.obs.target.values).toEqual(['STAT1', 'non-targeting'])
    expect(d.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/1 of 3 cells .* have no row in cells\.csv/), expect.stringMatching(/1 rows of cells\.csv match no barcode/)]))
  })

  it("matches barcodes without Cell Ranger's -1 suffix", async () => {
    const meta = 'barcode,target\nAAACCTGAGAAGGCCT,STAT1\nAAACCTGAGACAGACC,TNMD\nAAACCTGAGACTGGGT,non-targeting\n'
    const d = await readTenx(folder({ metadata: meta }))
    expect(d.cells).toEqual(BARCODES)
    expect(d.warnings.join()).toMatch(/suffix/)
  })

  it('refuses metadata that matches no barcode, showing both sides', async () => {
    const err = await code(readTenx(folder({ metadata: 'barcode,target\ncell1,STAT1\ncell2,TNMD\n' })))
    expect(err.code).toBe('dataset.metadata-mismatch')
    expect(err.message).toMatch(/'AAACCTGAGAAGGCCT-1'.*column 'barcode' of cells\.csv \(e\.g\. 'cell1'\)/)
  })

  it('refuses an unknown barcode column and duplicated metadata rows', async () => {
    const meta = 'barcode,target\nAAACCTGAGAAGGCCT-1,STAT1\n'
    expect(await code(readTenx(folder({ metadata: meta }), { barcodeColumn: 'cell' }))).toMatchObject({ code: 'dataset.unknown-column', message: expect.stringMatching(/'barcode', 'target'/) })
    const dup = 'barcode,target\nAAACCTGAGAAGGCCT-1,STAT1\nAAACCTGAGAAGGCCT-1,TNMD\n'
    expect(await code(readTenx(folder({ metadata: dup })))).toMatchObject({ code: 'dataset.duplicate-barcodes' })
  })
})

describe('readTenx on bad input', () => {
  it('names both files and the numbers when dimensions disagree', async () => {
    const err = await code(readTenx(folder({ features: [...FEATURES, 'ENSG00000000457\tSCYL3\tGene Expression'] })))
    expect(err.code).toBe('dataset.dimension-mismatch')
    expect(err.message).toMatch(/matrix\.mtx\.gz declares 4 rows × 3 columns, but features\.tsv\.gz lists 5 features and barcodes\.tsv\.gz 3 barcodes/)
  })

  it('refuses duplicated barcodes with an example', async () => {
    const err = await code(readTenx(folder({ barcodes: [BARCODES[0], BARCODES[1], BARCODES[0]] })))
    expect(err).toMatchObject({ code: 'dataset.duplicate-barcodes', message: expect.stringMatching(/'AAACCTGAGAAGGCCT-1' twice \(lines 1 and 3\)/) })
  })

  it('refuses out-of-range indices and more entries than declared', async () => {
    expect(await code(readTenx(folder({ entries: [...ENTRIES.slice(0, 4), '5 1 1'] })))).toMatchObject({ code: 'dataset.invalid-matrix', message: expect.stringMatching(/line 8: entry \(5, 1\) is outside/) })
    expect(await code(readTenx(folder({ header: '4 3 4' })))).toMatchObject({ code: 'dataset.invalid-matrix', message: expect.stringMatching(/more entries than the 4 declared/) })
  })

  it.each([
    ['negative', '-2', /a negative value \(-2\) for cell 'AAACCTGAGAAGGCCT-1', gene 'DPM1'/],
    ['NaN', 'nan', /NaN for cell 'AAACCTGAGAAGGCCT-1', gene 'DPM1'/],
  ])('names the cell and gene of a %s count', async (_, v, message) => {
    const err = await code(readTenx(folder({ entries: [...ENTRIES.slice(0, 3), `4 1 ${v}`, '3 3 4'] })))
    expect(err).toMatchObject({ code: 'dataset.invalid-values', message: expect.stringMatching(message) })
  })

  it('reports truncated and empty files', async () => {
    const dir = folder({ header: '4 3 6' })
    expect(await code(readTenx(dir))).toMatchObject({ code: 'dataset.unreadable', message: expect.stringMatching(/ends after 5 of the 6 entries/) })

    const cut = folder()
    const gz = fs.readFileSync(path.join(cut, 'matrix.mtx.gz'))
    fs.writeFileSync(path.join(cut, 'matrix.mtx.gz'), gz.subarray(0, gz.length - 12))
    expect(await code(readTenx(cut))).toMatchObject({ code: 'dataset.unreadable', message: expect.stringMatching(/matrix\.mtx\.gz could not be read/) })

    const empty = folder()
    fs.writeFileSync(path.join(empty, 'barcodes.tsv.gz'), '')
    expect(await code(readTenx(empty))).toMatchObject({ code: 'dataset.empty', message: expect.stringMatching(/barcodes\.tsv\.gz is empty/) })
    fs.writeFileSync(path.join(empty, 'barcodes.tsv.gz'), zlib.gzipSync('\n'))
    expect(await code(readTenx(empty))).toMatchObject({ code: 'dataset.empty', message: expect.stringMatching(/lists no barcodes/) })
  })

  it('refuses a matrix that is not MatrixMarket and a folder missing a file', async () => {
    const dir = folder({ gzip: false })
    fs.writeFileSync(path.join(dir, 'matrix.mtx'), 'gene,cell,count\n1,1,3\n')
    expect(await code(readTenx(dir))).toMatchObject({ code: 'dataset.unreadable', message: expect.stringMatching(/matrix\.mtx is not a MatrixMarket file/) })
    fs.rmSync(path.join(dir, 'barcodes.tsv'))
    expect(await code(readTenx(dir))).toMatchObject({ code: 'dataset.missing-file', message: expect.stringMatching(/no barcodes file/) })
  })
})
