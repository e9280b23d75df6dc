import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { rejection, tempFiles } from '../test-support/temp-files'
import { failReads, makeUnreadable, restoreReadable, writeTinyTenx, type UnreadableHow } from '../test-support/unreadable'
import { writeH5ad } from './h5ad-write'
import { forEachLine } from './reactome-lines'
import { detectFormat, previewDataset, readDataset, type FormatChoice } from './read-dataset'

/**
 * Input files that cannot be read (no permission, a folder in their place, a broken link, a failing
 * disk) end in a clear error naming the file and the fix, from every reader, and never in an
 * unhandled stream 'error' event (which would end the process: vitest reports it as an error).
 */

const files = tempFiles('ps-unreadable-')
const { tmp, write } = files
const failure = rejection
const denied: [string, UnreadableHow][] = []
afterEach(() => {
  vi.restoreAllMocks()
  for (const [file, how] of denied.splice(0)) restoreReadable(file, how)
  files.cleanup()
})

function tenxFolder(): string {
  return writeTinyTenx(tmp('tenx'))
}

type Breakage = 'no read permission' | 'a folder in its place' | 'a broken symlink'
const BREAKAGES: [Breakage, string, RegExp][] = [
  ['no read permission', 'dataset.unreadable', /permission denied/],
  ['a folder in its place', 'dataset.unreadable', /it is a folder, not a file/],
  ['a broken symlink', 'dataset.not-found', /it does not exist/],
]

function breakFile(file: string, how: Breakage): void {
  if (how === 'no read permission') denied.push([file, makeUnreadable(file)])
  else if (how === 'a folder in its place') {
    fs.rmSync(file)
    fs.mkdirSync(file)
  } else {
    fs.rmSync(file)
    fs.symlinkSync(path.join(path.dirname(file), 'gone', path.basename(file)), file)
  }
}

const FIX = /Check the file exists and that you may read it\./

describe('unreadable input files', () => {
  describe.each(BREAKAGES)('with %s', (how, code, why) => {
    it.each(['matrix.mtx', 'features.tsv.gz', 'barcodes.tsv', 'cells.csv'])('a 10x %s: preview and import fail clearly, naming it', async (name) => {
      const dir = tenxFolder()
      const file = path.join(dir, name)
      breakFile(file, how)
      for (const attempt of [() => previewDataset(dir), () => readDataset(dir)]) {
        const err = await failure(attempt())
        expect(err, err.message).toMatchObject({ code, message: expect.stringContaining(file) })
        expect(err.message).toMatch(why)
        expect(err.message).toMatch(FIX)
      }
    })

    it('a CSV table and an .h5ad file, detected or named: preview and import fail clearly, naming it', async () => {
      const csv = write('expr.csv', 'cell,STAT1,TNMD\nc1,1,0\nc2,0,3\n')
      const h5ad = tmp('screen.h5ad')
      await writeH5ad(h5ad, {
        X: { nRows: 2, nCols: 1, indptr: Int32Array.from([0, 1, 1]), indices: Int32Array.from([0]), data: Float32Array.from([2]) },
        cells: ['c1', 'c2'],
        genes: { id: ['STAT1'], symbol: ['STAT1'] },
        obs: { condition: { type: 'string', values: ['ctrl', 'STAT1'] } },
      })
      breakFile(csv, how)
      breakFile(h5ad, how)
      const attempts: [string, FormatChoice][] = [
        [csv, 'auto'],
        [csv, 'csv'],
        [h5ad, 'auto'],
        [h5ad, 'h5ad'],
      ]
      for (const [file, format] of attempts) {
        // a folder named like a file is looked at as a 10x folder when the format is detected
        if (how === 'a folder in its place' && format === 'auto') continue
        for (const attempt of [() => previewDataset(file, { format }), () => readDataset(file, { format })]) {
          const err = await failure(attempt())
          expect(err, `${file} (${format}): ${err.message}`).toMatchObject({ code, message: expect.stringContaining(file) })
          expect(err.message).toMatch(why)
          expect(err.message).toMatch(FIX)
        }
      }
    })
  })

  it('says a folder given where a table is expected is not a 10x folder', async () => {
    fs.mkdirSync(tmp('expr.csv'))
    expect(await failure(detectFormat(tmp('expr.csv')))).toMatchObject({ code: 'dataset.unknown-format' })
  })

  it('turns a read error in the middle of a file (a failing disk) into a clear error, gzipped or not', async () => {
    const dir = tenxFolder()
    const mtx = path.join(dir, 'matrix.mtx')
    fs.writeFileSync(`${mtx}.gz`, zlib.gzipSync(fs.readFileSync(mtx)))
    fs.rmSync(mtx)
    const csv = write('expr.csv', 'cell,STAT1,TNMD\nc1,1,0\nc2,0,3\n')
    for (const [input, file] of [
      [dir, `${mtx}.gz`],
      [csv, csv],
      [dir, path.join(dir, 'cells.csv')],
    ]) {
      failReads(file)
      const err = await failure(readDataset(input))
      expect(err, err.message).toMatchObject({ code: 'dataset.unreadable', message: expect.stringContaining(file) })
      expect(err.message).toMatch(/input\/output error/)
      expect(err.message).toMatch(FIX)
      vi.restoreAllMocks()
    }
  })

  it('names an unreadable 10x folder', async () => {
    const dir = tenxFolder()
    vi.spyOn(fs, 'readdirSync').mockImplementation(() => {
      throw Object.assign(new Error('EACCES: permission denied, scandir'), { code: 'EACCES' })
    })
    const err = await failure(previewDataset(dir, { format: '10x' }))
    expect(err).toMatchObject({ code: 'dataset.unreadable', message: expect.stringContaining(`10x folder ${dir}: permission denied`) })
  })

  it('knowledge files: an unreadable or failing file is knowledge.unreadable, naming it', async () => {
    const plain = write('ReactomePathways.txt', 'R-HSA-1\tPathway\tHomo sapiens\n')
    const gz = write('gene_info.gz', zlib.gzipSync('#tax_id\tGeneID\tSymbol\n9606\t1\tA1BG\n'))
    for (const file of [plain, gz]) {
      failReads(file)
      const err = await failure(forEachLine(file, () => undefined))
      expect(err).toMatchObject({ code: 'knowledge.unreadable', message: expect.stringContaining(file) })
      expect(err.message).toMatch(FIX)
      vi.restoreAllMocks()
    }
    breakFile(plain, 'no read permission')
    expect(await failure(forEachLine(plain, () => undefined))).toMatchObject({ code: 'knowledge.unreadable', message: expect.stringMatching(/permission denied/) })
  })
})
