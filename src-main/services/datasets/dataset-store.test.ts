import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import fsPromises from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mapToConditions } from '../../../src-shared/domain/conditions'
import type { RawDataset } from '../../io/raw-dataset'
import { tempHome } from '../../test-support/temp-home'
import { DATASET_FORMAT_VERSION, loadDataset, PARTIAL_MIN_AGE_MS, readDatasetManifest, saveDataset, sweepPartialDatasets } from './dataset-store'
import type { PreparedDataset } from './prepared-dataset'
import { preprocessDataset } from './preprocess'
import { loadPapalexiTenX } from '../../test-support/papalexi'

const code = (c: string) => expect.objectContaining({ code: c })

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) => a.constructor === b.constructor && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

/** Deep equality, with the large arrays compared byte for byte (vitest's toEqual is slow on 10⁶ values). */
function expectSame(got: PreparedDataset, want: PreparedDataset) {
  for (const k of ['indptr', 'indices', 'data'] as const) expect(sameBytes(got.X[k], want.X[k]), `X.${k}`).toBe(true)
  for (const k of ['cellCondition', 'controlMean', 'conditionMeans'] as const) expect(sameBytes(got[k], want[k]), k).toBe(true)
  expect(got.genes.id.join('\n') === want.genes.id.join('\n') && got.genes.symbol.join('\n') === want.genes.symbol.join('\n')).toBe(true)
  expect(got.cells.join('\n') === want.cells.join('\n')).toBe(true)
  const rest = (d: PreparedDataset) => ({ ...d, X: { nRows: d.X.nRows, nCols: d.X.nCols }, cellCondition: 0, controlMean: 0, conditionMeans: 0, genes: 0, cells: 0 })
  expect(rest(got)).toEqual(rest(want))
}

describe('dataset store', () => {
  const home = tempHome('ps-store-')
  let papalexi: PreparedDataset
  let saved: string

  beforeAll(async () => {
    const { raw, target } = loadPapalexiTenX()
    papalexi = preprocessDataset(raw, { conditions: mapToConditions(target, { controlLabels: ['non-targeting'] }).conditions })
    saved = path.join(home.dir, 'papalexi')
    await saveDataset(saved, papalexi)
  })
  afterAll(() => home.cleanup())

  it('loads exactly what was saved (Papalexi)', async () => {
    const loaded = await loadDataset(saved)
    expectSame(loaded, papalexi)
    expect(loaded.X.indices).toBeInstanceOf(Int32Array)
    expect(loaded.conditions[0].de).toBeNull()
    expect(fs.readdirSync(home.dir)).toEqual(['papalexi']) // no temp folder left behind
    const manifest = await readDatasetManifest(saved)
    expect(manifest).toMatchObject({ version: DATASET_FORMAT_VERSION, shape: { cells: 20729, genes: 299, conditions: 26 } })
    expect(manifest.files['x-indices.bin'].dtype).toBe('uint16')
  })

  it('keeps DE entries without scores and more than 65,536 genes', async () => {
    const G = 70000
    const rows = [
      [0, 3, 69999],
      [5, 69998],
      [1, 2, 3],
      [0, 1],
    ]
    const indptr = Int32Array.from([0, 3, 5, 8, 10])
    const raw: RawDataset = {
      source: { path: 'wide.h5ad', format: 'h5ad' },
      X: { nRows: 4, nCols: G, indptr, indices: Int32Array.from(rows.flat()), data: Float32Array.from(rows.flat(), (_, i) => 1 + (i % 3)) },
      cells: ['a', 'b', 'c', 'd'],
      genes: { id: Array.from({ length: G }, (_, j) => `ENSG${j}`), symbol: Array.from({ length: G }, (_, j) => `G${j}`) },
      obs: {},
      uns: { rank_genes_groups_cov_all: { 'K562_G1+ctrl_1+1': ['ENSG3', 'ENSG69999', 'ENSG0'] } },
      warnings: [],
    }
    const prepared = preprocessDataset(raw, { conditions: ['ctrl', 'ctrl', 'G1+ctrl', 'G1+ctrl'] })
    expect(prepared.deSource).toBe('gears-uns')
    const dir = path.join(home.dir, 'wide')
    await saveDataset(dir, prepared)
    expect((await readDatasetManifest(dir)).files['x-indices.bin'].dtype).toBe('int32')
    const loaded = await loadDataset(dir)
    expectSame(loaded, prepared)
    expect(Array.from(loaded.conditions[1].de!.ranking)).toEqual([3, 69999, 0])
    expect(loaded.conditions[1].de!.scores).toBeNull()
  })

  it('refuses to overwrite unless asked, and then replaces the folder whole', async () => {
    await expect(saveDataset(saved, papalexi)).rejects.toThrowError(code('dataset.storage-exists'))
    const dir = path.join(home.dir, 'replace')
    await saveDataset(dir, papalexi)
    const changed = { ...papalexi, warnings: ['second version'] }
    await saveDataset(dir, changed, { overwrite: true })
    expect((await loadDataset(dir)).warnings).toEqual(['second version'])
    expect(fs.readdirSync(home.dir).filter((n) => n.includes('partial'))).toEqual([])
  })

  it('leaves nothing behind when the write fails', async () => {
    const blocker = path.join(home.dir, 'a-file')
    fs.writeFileSync(blocker, 'not a folder')
    await expect(saveDataset(path.join(blocker, 'ds'), papalexi)).rejects.toThrowError(code('dataset.storage-failed'))
    expect(fs.readdirSync(home.dir).filter((n) => n.includes('partial'))).toEqual([])
  })

  describe('damaged folders answer dataset.storage-corrupt', () => {
    const damaged = (name: string, damage: (dir: string) => void) => {
      const dir = path.join(home.dir, `damaged-${name}`)
      fs.cpSync(saved, dir, { recursive: true })
      damage(dir)
      return dir
    }

    it('a missing folder or manifest', async () => {
      await expect(loadDataset(path.join(home.dir, 'nope'))).rejects.toThrowError(code('dataset.storage-corrupt'))
      const dir = damaged('manifest', (d) => fs.rmSync(path.join(d, 'manifest.json')))
      await expect(loadDataset(dir)).rejects.toThrowError(/manifest\.json is missing/)
    })

    it('a manifest that is not JSON or not ours', async () => {
      const dir = damaged('json', (d) => fs.writeFileSync(path.join(d, 'manifest.json'), '{"format": "perturb'))
      await expect(loadDataset(dir)).rejects.toThrowError(code('dataset.storage-corrupt'))
      const other = damaged('other', (d) => fs.writeFileSync(path.join(d, 'manifest.json'), '{"format": "something-else", "version": 1}'))
      await expect(loadDataset(other)).rejects.toThrowError(code('dataset.storage-corrupt'))
    })

    it('a missing, truncated or altered array file', async () => {
      const missing = damaged('missing', (d) => fs.rmSync(path.join(d, 'de-ranking.bin')))
      await expect(loadDataset(missing)).rejects.toThrowError(/de-ranking\.bin is missing/)
      const truncated = damaged('truncated', (d) => fs.truncateSync(path.join(d, 'x-data.bin'), 1000))
      await expect(loadDataset(truncated)).rejects.toThrowError(/x-data\.bin has 1000 bytes/)
      const flipped = damaged('flipped', (d) => {
        const f = path.join(d, 'x-indices.bin')
        const b = fs.readFileSync(f)
        b[12345] ^= 1
        fs.writeFileSync(f, b)
      })
      await expect(loadDataset(flipped)).rejects.toThrowError(/x-indices\.bin fails its checksum/)
      const cells = damaged('cells', (d) => fs.writeFileSync(path.join(d, 'cells.json'), '[]'))
      await expect(loadDataset(cells)).rejects.toThrowError(code('dataset.storage-corrupt'))
    })

    it('a newer format version says so', async () => {
      const dir = damaged('newer', (d) => {
        const f = path.join(d, 'manifest.json')
        fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(fs.readFileSync(f, 'utf8')), version: DATASET_FORMAT_VERSION + 1 }))
      })
      await expect(loadDataset(dir)).rejects.toThrowError(code('dataset.storage-version'))
    })
  })
})

describe('partial folders left by a killed import', () => {
  let home: ReturnType<typeof tempHome>
  beforeAll(() => {
    home = tempHome('ps-partials-')
  })
  afterEach(() => vi.restoreAllMocks())
  afterAll(() => home.cleanup())

  const host = os.hostname().replace(/[^A-Za-z0-9.]/g, '_')
  const hex = () => Math.random().toString(16).slice(2, 14).padEnd(12, '0')
  /** A partial folder with a file in it, as a killed `saveDataset` leaves it. */
  function partial(root: string, name: string, ageMs = 0): string {
    const dir = path.join(root, name)
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'x-data.bin'), Buffer.alloc(1024))
    const t = (Date.now() - ageMs) / 1000
    fs.utimesSync(path.join(dir, 'x-data.bin'), t, t)
    fs.utimesSync(dir, t, t)
    return dir
  }
  /** The pid of a process that has exited. */
  function deadPid(): number {
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    return Number(r.stdout)
  }
  function tinyDataset(): PreparedDataset {
    const cells = ['c1', 'c2', 'c3', 'c4']
    const raw: RawDataset = {
      source: { path: 'tiny.h5ad', format: 'h5ad' },
      X: { nRows: 4, nCols: 2, indptr: Int32Array.from([0, 2, 3, 4, 6]), indices: Int32Array.from([0, 1, 0, 1, 0, 1]), data: Float32Array.from([3, 1, 2, 4, 5, 1]) },
      cells,
      genes: { id: ['STAT1', 'TNMD'], symbol: ['STAT1', 'TNMD'] },
      obs: {},
      warnings: [],
    }
    return preprocessDataset(raw, { conditions: mapToConditions(['ctrl', 'STAT1', 'ctrl', 'STAT1'], { controlLabels: ['ctrl'] }).conditions })
  }

  it('saveDataset writes its temp folder under a name carrying this host and pid, which the sweep leaves alone while it writes', async () => {
    const root = path.join(home.dir, 'named')
    const made: string[] = []
    const mkdir = fsPromises.mkdir
    vi.spyOn(fsPromises, 'mkdir').mockImplementation(async (p, o) => {
      made.push(String(p))
      // the sweep, run by another start of the app while this import writes
      const r = await mkdir(p, o)
      expect(sweepPartialDatasets(root).kept).toEqual([path.basename(String(p))])
      return r
    })
    await saveDataset(path.join(root, 'ds1'), tinyDataset())
    expect(made).toHaveLength(1)
    expect(path.basename(made[0])).toMatch(new RegExp(`^\\.ds1\\.partial-${host.replace(/\./g, '\\.')}-${process.pid}-[0-9a-f]{12}$`))
    expect(fs.readdirSync(root)).toEqual(['ds1'])
  })

  it('removes the partial folder of a killed writer (kill -9), not that of a live one', async () => {
    const root = path.join(home.dir, 'killed')
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    await new Promise((resolve) => child.once('spawn', resolve))
    const mine = partial(root, `.ds2.partial-${host}-${child.pid}-${hex()}`)
    expect(sweepPartialDatasets(root)).toMatchObject({ removed: [], kept: [path.basename(mine)] })
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    expect(sweepPartialDatasets(root)).toMatchObject({ removed: [path.basename(mine)], kept: [] })
    expect(fs.existsSync(mine)).toBe(false)
  })

  it('sweeps only partial folders of gone writers; keeps datasets, other files and recent folders it cannot check', () => {
    const root = path.join(home.dir, 'mixed')
    const dead = deadPid()
    const hour = PARTIAL_MIN_AGE_MS
    const names = {
      deadWriter: path.basename(partial(root, `.a.partial-${host}-${dead}-${hex()}`)),
      liveWriter: path.basename(partial(root, `.b.partial-${host}-${process.pid}-${hex()}`)),
      oldUnnamed: path.basename(partial(root, `.c.partial-${hex()}`, hour + 60_000)),
      newUnnamed: path.basename(partial(root, `.d.partial-${hex()}`)),
      otherHostOld: path.basename(partial(root, `.e.partial-elsewhere.example-${dead}-${hex()}`, hour + 60_000)),
      otherHostNew: path.basename(partial(root, `.f.partial-elsewhere.example-${dead}-${hex()}`)),
    }
    partial(root, 'g') // a stored dataset
    partial(root, '.hidden-notes') // not ours
    const file = `.h.partial-${host}-${dead}-${hex()}`
    fs.writeFileSync(path.join(root, file), 'a file, not a folder')
    const r = sweepPartialDatasets(root)
    expect(r.removed.sort()).toEqual([names.deadWriter, names.oldUnnamed, names.otherHostOld].sort())
    expect(r.kept.sort()).toEqual([names.liveWriter, names.newUnnamed, names.otherHostNew].sort())
    expect(fs.readdirSync(root).sort()).toEqual([names.liveWriter, names.newUnnamed, names.otherHostNew, 'g', '.hidden-notes', file].sort())
  })

  it('puts back the previous version of a dataset whose overwrite was killed between its two renames', () => {
    const root = path.join(home.dir, 'swap')
    const dead = deadPid()
    // killed after moving the old version aside, before moving the new one in: only `-old` is complete and used
    partial(root, `.kept.partial-${host}-${dead}-${hex()}`)
    const old = partial(root, `.kept.partial-${host}-${dead}-${hex()}-old`)
    // killed after the swap: the dataset folder is there, the old version is garbage
    partial(root, 'swapped')
    const garbage = partial(root, `.swapped.partial-${host}-${dead}-${hex()}-old`)
    // an old version of a dataset that has been deleted since
    const deleted = partial(root, `.deleted.partial-${host}-${dead}-${hex()}-old`)
    const r = sweepPartialDatasets(root, { stillUsed: (name) => name !== 'deleted' })
    expect(r.restored).toEqual([path.basename(old)])
    expect(r.removed).toHaveLength(3)
    expect(r.removed).toEqual(expect.arrayContaining([path.basename(garbage), path.basename(deleted)]))
    expect(fs.readdirSync(root).sort()).toEqual(['kept', 'swapped'])
    expect(fs.readdirSync(path.join(root, 'kept'))).toEqual(['x-data.bin'])
  })
})
