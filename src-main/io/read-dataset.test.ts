import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { rejection, tempFiles } from '../test-support/temp-files'
import { SHARED_DIR } from '../test-support/temp-home'
import { detectFormat, previewDataset, readDataset } from './read-dataset'

const PAPALEXI = path.join(SHARED_DIR, 'datasets/papalexi2021')
const H5AD = path.join(PAPALEXI, 'papalexi2021_counts.h5ad')
const NORMAN = path.join(SHARED_DIR, 'fixtures/norman_subset_cpa.h5ad')

const files = tempFiles('ps-read-')
const { tmp, write } = files
const code = rejection
afterEach(() => files.cleanup())

describe('detectFormat', () => {
  it('recognises each format by content', async () => {
    expect(await detectFormat(PAPALEXI)).toBe('10x')
    expect(await detectFormat(path.join(PAPALEXI, 'matrix.mtx.gz'))).toBe('10x')
    expect(await detectFormat(path.join(PAPALEXI, 'features.tsv.gz'))).toBe('10x')
    expect(await detectFormat(H5AD)).toBe('h5ad')
    expect(await detectFormat(NORMAN)).toBe('h5ad')
    // an .h5ad under another name is still HDF5
    fs.copyFileSync(NORMAN, tmp('download.bin'))
    expect(await detectFormat(tmp('download.bin'))).toBe('h5ad')
    expect(await detectFormat(write('expr.txt', 'cell\tSTAT1\nc1\t3\n'))).toBe('csv')
  })

  it('explains what is wrong with files it cannot read', async () => {
    expect(await code(detectFormat(write('renamed.h5ad', 'cell,STAT1\nc1,3\n')))).toMatchObject({ code: 'dataset.unreadable', message: expect.stringMatching(/renamed\.h5ad is not an HDF5 file/) })
    expect(await code(detectFormat(write('empty.csv', '')))).toMatchObject({ code: 'dataset.empty', message: expect.stringMatching(/empty\.csv is empty/) })
    expect(await code(detectFormat(write('data.zip', Buffer.from('PK\u0003\u0004rest', 'latin1'))))).toMatchObject({ code: 'dataset.unknown-format', message: expect.stringMatching(/zip archive/) })
    expect(await code(detectFormat(write('blob.dat', Buffer.from([1, 0, 2, 0, 3]))))).toMatchObject({ code: 'dataset.unknown-format' })
    expect(await code(detectFormat(tmp('nowhere.h5ad')))).toMatchObject({ code: 'dataset.not-found' })
    fs.mkdirSync(tmp('folder'))
    write('folder/notes.txt', 'hello')
    expect(await code(detectFormat(tmp('folder')))).toMatchObject({ code: 'dataset.unknown-format', message: expect.stringMatching(/no matrix file/) })
  })
})

describe('readDataset', () => {
  it('reads the two Papalexi layouts to the same cells, genes and counts', async () => {
    const fromH5ad = await readDataset(H5AD)
    const from10x = await readDataset(PAPALEXI, { format: '10x', barcodeColumn: 'barcode' })
    expect(fromH5ad.source.format).toBe('h5ad')
    expect(from10x.source.format).toBe('10x')
    expect([from10x.X.nRows, from10x.X.nCols]).toEqual([fromH5ad.X.nRows, fromH5ad.X.nCols])
    expect(from10x.cells).toEqual(fromH5ad.cells)
    expect(from10x.genes.symbol).toEqual(fromH5ad.genes.symbol)
    expect(from10x.X.data.reduce((s, v) => s + v, 0)).toBe(fromH5ad.X.data.reduce((s, v) => s + v, 0))
  })

  it('refuses a truncated .h5ad and honours cancellation', async () => {
    write('cut.h5ad', fs.readFileSync(H5AD).subarray(0, 2_000_000))
    expect(await code(readDataset(tmp('cut.h5ad')))).toMatchObject({ code: 'dataset.unreadable', message: expect.stringMatching(/cut\.h5ad is truncated/) })
    const ac = new AbortController()
    const progress: string[] = []
    const reading = readDataset(PAPALEXI, {
      signal: ac.signal,
      onProgress: (f, m) => {
        progress.push(m)
        if (f > 0.2) ac.abort()
      },
    })
    expect(await code(reading)).toMatchObject({ code: 'dataset.cancelled' })
    expect(progress).toContain('reading matrix.mtx.gz')
  })
})

describe('previewDataset', () => {
  it('summarises an .h5ad without reading X', async () => {
    const p = await previewDataset(H5AD)
    expect([p.format, p.cells, p.genes]).toEqual(['h5ad', 20729, 299])
    const target = p.obsColumns.find((c) => c.name === 'target')!
    expect(target).toMatchObject({ type: 'string', distinct: 26 })
    expect(target.examples[0]).toBe('non-targeting') // the largest group: 2,386 control cells
    expect(p.firstRows.columns).toEqual(['cell', 'condition', 'guide', 'target', 'replicate', 'cell_type'])
    expect(p.firstRows.rows[0]).toEqual(['cell1', 'STAT2+ctrl', 'STAT2g2', 'STAT2', 'rep_1', 'THP-1'])
    expect(p.genePreview.slice(0, 2)).toEqual(['PCBP3', 'ITGB1BP1'])
  })

  it('summarises a 10x folder from the mtx header and cells.csv only', async () => {
    // same folder, but the matrix body is garbage: a preview that parsed it would fail
    for (const f of ['features.tsv.gz', 'barcodes.tsv.gz', 'cells.csv']) fs.copyFileSync(path.join(PAPALEXI, f), write(`tenx/${f}`, ''))
    write('tenx/matrix.mtx', '%%MatrixMarket matrix coordinate integer general\n299 20729 1390126\nnot numbers\n')
    const p = await previewDataset(tmp('tenx'))
    expect([p.format, p.cells, p.genes]).toEqual(['10x', 20729, 299])
    expect(p.metadataFile).toBe(path.join(tmp('tenx'), 'cells.csv'))
    expect(p.obsColumns.map((c) => c.name)).toEqual(['guide', 'target', 'replicate', 'guide_umi', 'total_guide_umi'])
    expect(p.firstRows.rows[0]).toEqual(['cell1', 'STAT2g2', 'STAT2', 'rep_1', 433, 465])
    expect(await code(readDataset(tmp('tenx')))).toMatchObject({ code: 'dataset.unreadable', message: expect.stringMatching(/line 3/) })
  })

  it('shows the detected orientation of a table for the user to confirm', async () => {
    const file = write('t.csv', 'cell,condition,STAT1,IRF1,GAPDH\nc1,ctrl,1,0,5\nc2,STAT1+ctrl,0,2,7\nc3,ctrl,0,0,1\n')
    const p = await previewDataset(file)
    expect([p.format, p.cells, p.genes]).toEqual(['csv', 3, 3])
    expect(p.layout).toMatchObject({ orientation: 'cells-by-genes', delimiter: ',' })
    expect(p.obsColumns).toEqual([{ name: 'condition', type: 'string', distinct: 2, examples: ['ctrl', 'STAT1+ctrl'] }])
    const plain = write('u.csv', 'cell,STAT1,IRF1,GAPDH,ACTB\nc1,1,0,5,2\nc2,0,2,7,1\n')
    expect([(await previewDataset(plain)).cells, (await previewDataset(plain)).genes]).toEqual([2, 4])
    const flipped = await previewDataset(plain, { orientation: 'genes-by-cells' })
    expect([flipped.cells, flipped.genes]).toEqual([4, 2])
    expect(flipped.layout).toMatchObject({ orientation: 'genes-by-cells', detected: 'cells-by-genes' })
  })
})
