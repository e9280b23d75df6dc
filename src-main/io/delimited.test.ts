import path from 'node:path'
import zlib from 'node:zlib'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dense } from '../test-support/csr'
import { rejection, tempFiles } from '../test-support/temp-files'
import { SHARED_DIR } from '../test-support/temp-home'
import { detectDelimitedLayout, readDelimited } from './delimited'
import { readH5ad } from './h5ad-read'
import type { RawDataset } from './raw-dataset'

const files = tempFiles('ps-table-')
const { write } = files
const code = rejection
afterEach(() => files.cleanup())

// The first 120 Papalexi cells, as a user might export them from R or pandas.
const N_CELLS = 120
let papalexi: RawDataset
let values: number[][]
beforeAll(async () => {
  papalexi = await readH5ad(path.join(SHARED_DIR, 'datasets/papalexi2021/papalexi2021_counts.h5ad'))
  values = dense(papalexi.X).slice(0, N_CELLS)
})
const cells = () => papalexi.cells.slice(0, N_CELLS)
const targets = () => (papalexi.obs.target.values as string[]).slice(0, N_CELLS)

function cellsByGenesCsv(withCondition: boolean): string {
  const header = ['cell', ...(withCondition ? ['target'] : []), ...papalexi.genes.symbol].join(',')
  const rows = cells().map((c, i) => [c, ...(withCondition ? [`"${targets()[i]}"`] : []), ...values[i]].join(','))
  return [header, ...rows].join('\n') + '\n'
}

describe('readDelimited', () => {
  it('detects cells × genes with a condition column and reads the Papalexi values', async () => {
    const file = write('papalexi.csv', cellsByGenesCsv(true))
    const layout = await detectDelimitedLayout(file)
    expect(layout.detected).toBe('cells-by-genes')
    expect(layout.obsColumns).toEqual(['target'])
    expect(layout.reason).toMatch(/header holds gene names \(PCBP3, ITGB1BP1, SERTAD1\)/)
    const d = await readDelimited(file)
    expect(d.cells).toEqual(cells())
    expect(d.genes.symbol).toEqual(papalexi.genes.symbol)
    expect(dense(d.X)).toEqual(values)
    expect(d.obs.target.values).toEqual(targets())
    expect(d.warnings.join()).toMatch(/cells in rows/)
  })

  it('detects genes × cells (gzipped TSV with an id and a symbol column) and transposes it', async () => {
    const header = ['gene_id', 'symbol', ...cells()].join('\t')
    const rows = papalexi.genes.symbol.map((g, j) => [`ENSG${String(j).padStart(11, '0')}`, g, ...values.map((r) => r[j])].join('\t'))
    const file = write('genes.tsv.gz', zlib.gzipSync([header, ...rows].join('\n')))
    const layout = await detectDelimitedLayout(file)
    expect(layout.detected).toBe('genes-by-cells')
    expect(layout.symbolColumn).toBe('symbol')
    const d = await readDelimited(file)
    expect(d.cells).toEqual(cells())
    expect(d.genes.symbol).toEqual(papalexi.genes.symbol)
    expect(d.genes.id[0]).toBe('ENSG00000000000')
    expect(dense(d.X)).toEqual(values)
  })

  it('follows the orientation the user confirms over the detected one', async () => {
    const file = write('square.csv', 'id,STAT1,IRF1\nAAACCTGAGAAGGCCT-1,1,0\nAAACCTGAGACAGACC-1,0,2\n')
    expect((await detectDelimitedLayout(file)).detected).toBe('cells-by-genes')
    const d = await readDelimited(file, { orientation: 'genes-by-cells' })
    expect(d.cells).toEqual(['STAT1', 'IRF1'])
    expect(d.genes.id).toEqual(['AAACCTGAGAAGGCCT-1', 'AAACCTGAGACAGACC-1'])
    expect(dense(d.X)).toEqual([
      [1, 0],
      [0, 2],
    ])
  })

  it('joins a separate metadata file on the cell ids', async () => {
    const file = write('plain.csv', cellsByGenesCsv(false))
    const meta = write('meta.tsv', ['barcode\tcondition', ...cells().slice(0, 100).map((c, i) => `${c}\t${targets()[i] === 'non-targeting' ? 'ctrl' : `${targets()[i]}+ctrl`}`)].join('\n'))
    const d = await readDelimited(file, { metadata: meta })
    expect(d.cells).toHaveLength(100)
    expect(dense(d.X)).toEqual(values.slice(0, 100))
    expect((d.obs.condition.values as string[]).every((c, i) => c === (targets()[i] === 'non-targeting' ? 'ctrl' : `${targets()[i]}+ctrl`))).toBe(true)
    expect(d.warnings.join()).toMatch(/20 of 120 cells of plain\.csv have no row in meta\.tsv/)
  })
})

describe('readDelimited on bad input', () => {
  it.each([
    ['a negative value', '-3', /line 3: a negative value \(-3\) for cell 'c2', gene 'IRF1'/],
    ['NA', 'NA', /line 3: 'NA' for cell 'c2', gene 'IRF1'/],
    ['an empty field', '', /line 3: an empty field for cell 'c2', gene 'IRF1'/],
  ])('names the cell and gene of %s', async (_, bad, message) => {
    const file = write('bad.csv', `cell,STAT1,IRF1\nc1,1,2\nc2,0,${bad}\nc3,4,5\n`)
    expect(await code(readDelimited(file))).toMatchObject({ code: 'dataset.invalid-values', message: expect.stringMatching(message) })
  })

  it('refuses a gene column with a text cell in the first rows instead of dropping the gene', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `c${i},${i % 3},${(i * 7) % 5},${i % 2 ? 'ctrl' : 'STAT1'}`)
    const early = rows.slice()
    early[9] = 'c9,0,oops,ctrl'
    const file = write('early.csv', ['cell,STAT1,IRF1,target', ...early].join('\n') + '\n')
    const err = await code(readDelimited(file))
    expect(err).toMatchObject({ code: 'dataset.invalid-values' })
    expect(err.message).toMatch(/column 'IRF1' holds numbers except one cell: line 11 \(cell 'c9'\): 'oops'/)
    expect(err.message).toMatch(/replace that value with a number.*--metadata/)
    // the same value far down the file fails the same way (naming line, cell and gene)
    const late = rows.slice()
    late[298] = 'c298,0,oops,ctrl'
    expect(await code(readDelimited(write('late.csv', ['cell,STAT1,IRF1,target', ...late].join('\n') + '\n')))).toMatchObject({
      code: 'dataset.invalid-values',
      message: expect.stringMatching(/line 300: 'oops' for cell 'c298', gene 'IRF1'/),
    })
    // a text annotation column stays an annotation
    const layout = await detectDelimitedLayout(write('fine.csv', ['cell,STAT1,IRF1,target', ...rows].join('\n') + '\n'))
    expect(layout.obsColumns).toEqual(['target'])
  })

  it('refuses duplicated cells, ragged rows and empty tables', async () => {
    expect(await code(readDelimited(write('dup.csv', 'cell,STAT1,IRF1\nc1,1,2\nc1,0,1\n')))).toMatchObject({ code: 'dataset.duplicate-barcodes', message: expect.stringMatching(/cell 'c1' appears twice/) })
    expect(await code(readDelimited(write('ragged.csv', 'cell,STAT1,IRF1\nc1,1,2\nc2,0\n')))).toMatchObject({ code: 'dataset.unreadable', message: expect.stringMatching(/line 3: 2 fields where the header has 3/) })
    expect(await code(readDelimited(write('empty.csv', '')))).toMatchObject({ code: 'dataset.empty' })
    expect(await code(readDelimited(write('header.csv', 'cell,STAT1,IRF1\n')))).toMatchObject({ code: 'dataset.empty', message: expect.stringMatching(/header but no data rows/) })
  })
})

describe('readDelimited with names that are not UTF-8', () => {
  it('warns once, naming the file, when a gene name or a metadata value holds a Latin-1 byte', async () => {
    const utf8Warnings = (d: RawDataset) => d.warnings.filter((w) => /UTF-8/.test(w))
    const clean = await readDelimited(write('clean.csv', 'cell,STAT1,TNMD\nc1,1,0\nc2,0,3\n'), { orientation: 'cells-by-genes' })
    expect(utf8Warnings(clean)).toEqual([])
    // 'TNMD' becomes 'TNMD\xe9' (Latin-1 é): not UTF-8
    const table = write('latin1.csv', Buffer.concat([Buffer.from('cell,STAT1,TNMD'), Buffer.from([0xe9]), Buffer.from('\nc1,1,0\nc2,0,3\n')]))
    const d = await readDelimited(table, { orientation: 'cells-by-genes' })
    expect(d.genes.symbol).toEqual(['STAT1', 'TNMD\uFFFD'])
    expect(utf8Warnings(d)).toHaveLength(1)
    expect(utf8Warnings(d)[0]).toMatch(/latin1\.csv.*cell ids and gene names/)

    const cells = write('cells.csv', Buffer.concat([Buffer.from('cell,condition\nc1,ctrl\nc2,caf'), Buffer.from([0xe9]), Buffer.from('\n')]))
    const m = await readDelimited(write('ok.csv', 'cell,STAT1,TNMD\nc1,1,0\nc2,0,3\n'), { orientation: 'cells-by-genes', metadata: cells })
    expect(utf8Warnings(m)).toHaveLength(1)
    expect(utf8Warnings(m)[0]).toMatch(/cells\.csv.*cell metadata/)
  })
})
