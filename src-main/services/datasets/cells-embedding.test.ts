import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CellsEmbedding } from '../../../src-shared/contract'
import { parseCsv } from '../../../src-shared/exports/csv'
import { createAppContext, type AppContext } from '../../app-context'
import { oneJson, runCliCaptured } from '../../test-support/cli'
import { tempHome } from '../../test-support/temp-home'
import { call, failure } from '../../test-support/app'
import { sampleIndices } from './cells-embedding'
import { PAPALEXI_DIR } from '../../test-support/papalexi'

/** The Papalexi screen (20,729 cells, 299 genes) imported once; maps of a few hundred cells keep it quick. */
let home: ReturnType<typeof tempHome>
let ctx: AppContext
const progress: { fraction: number; message: string }[] = []
const embed = (input: Record<string, unknown>) => call<CellsEmbedding>(ctx, 'cells:embedding', { datasetId: 1, maxCells: 400, ...input })

beforeAll(async () => {
  home = tempHome('ps-cells-')
  const r = await runCliCaptured(['--home', home.dir, '--json', 'import', path.join(PAPALEXI_DIR, 'papalexi2021_counts.h5ad'), '--condition-column', 'condition', '--control-label', 'ctrl'])
  if (r.code !== 0) throw new Error(r.stdout)
  ctx = createAppContext({ home: home.dir, transport: 'cli', log: () => undefined })
  ctx.events.on('job:progress', (p) => {
    if (p.kind === 'cells-embedding') progress.push(p)
  })
}, 180_000)

afterAll(() => {
  ctx?.close()
  home?.cleanup()
})

describe('a seeded sample of cells', () => {
  it('is the same for the same seed, another for another seed, and everything when small', () => {
    const a = sampleIndices(20_729, 400, 1)
    expect(a).toHaveLength(400)
    expect(new Set(a).size).toBe(400)
    expect([...a]).toEqual([...a].sort((x, y) => x - y))
    expect(sampleIndices(20_729, 400, 1)).toEqual(a)
    expect(sampleIndices(20_729, 400, 2)).not.toEqual(a)
    expect([...sampleIndices(5, 400, 1)]).toEqual([0, 1, 2, 3, 4])
  })
})

describe('the cell map of a dataset', () => {
  let first: CellsEmbedding

  beforeAll(async () => {
    first = await embed({ seed: 1, jobId: 'cells-test-1' })
  }, 120_000)

  it('embeds a seeded sample of the cells with their conditions, control first, and reports progress', () => {
    expect(first).toMatchObject({ datasetId: 1, totalCells: 20_729, cells: 400, sampled: true, seed: 1, cached: false, components: 20 })
    expect(first.genes).toBeGreaterThan(100)
    expect(first.pca).toHaveLength(800)
    expect(first.umap).toHaveLength(800)
    expect(first.condition).toHaveLength(400)
    expect(first.conditions[0]).toMatchObject({ condition: 'ctrl', control: true })
    expect(first.conditions.reduce((n, c) => n + c.cells, 0)).toBe(400)
    for (let i = 2; i < first.conditions.length; i++) expect(first.conditions[i].cells).toBeLessThanOrEqual(first.conditions[i - 1].cells)
    expect(first.pca.every(Number.isFinite) && first.umap.every(Number.isFinite)).toBe(true)
    // PC1 explains more than PC2, both a real share.
    expect(first.explained[0]).toBeGreaterThanOrEqual(first.explained[1])
    expect(first.explained[1]).toBeGreaterThan(0)
    expect(progress.some((p) => /UMAP: epoch/.test(p.message))).toBe(true)
    expect(progress.at(-1)!.fraction).toBe(1)
  })

  it('is read back from the cache under the data folder, and computed again identically for the same seed', async () => {
    const file = ctx.services.cells.cacheFile(1)
    expect(file.startsWith(home.dir)).toBe(true)
    expect(fs.existsSync(file)).toBe(true)
    const again = await embed({ seed: 1 })
    expect(again.cached).toBe(true)
    expect(again.umap).toEqual(first.umap)
    expect(await embed({ seed: 1, cachedOnly: true })).toMatchObject({ cached: true })

    fs.rmSync(file)
    expect((await failure(ctx, 'cells:embedding', { datasetId: 1, maxCells: 400, seed: 1, cachedOnly: true })).code).toBe('cells.not-computed')
    const recomputed = await embed({ seed: 1 })
    expect(recomputed.cached).toBe(false)
    expect(recomputed.barcodes).toEqual(first.barcodes)
    expect(recomputed.pca).toEqual(first.pca)
    expect(recomputed.umap).toEqual(first.umap)
  }, 120_000)

  it('is computed again when the seed or the stored dataset changes', async () => {
    const other = await embed({ seed: 2 })
    expect(other.cached).toBe(false)
    expect(other.barcodes).not.toEqual(first.barcodes)
    // The dataset stored again (here: its manifest rewritten) invalidates the cached map.
    const manifest = path.join(home.dir, ctx.services.datasets.require(1).storageDir, 'manifest.json')
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { createdAt: string }
    fs.writeFileSync(manifest, JSON.stringify({ ...m, createdAt: new Date(Date.now() + 1000).toISOString() }))
    expect((await embed({ seed: 2 })).cached).toBe(false)
    expect((await embed({ seed: 2 })).cached).toBe(true)
  }, 120_000)

  it('the CLI writes coordinates and conditions as CSV', async () => {
    const out = path.join(home.dir, 'cells.csv')
    const r = await runCliCaptured(['--home', home.dir, '--json', 'dataset', 'cells', '--dataset', '1', '--max-cells', '400', '--seed', '1', '--out', out])
    expect(r.code).toBe(0)
    const summary = oneJson<{ cells: number; sampled: boolean; file: string }>(r.stdout)
    expect(summary).toMatchObject({ cells: 400, sampled: true, file: out })
    const table = parseCsv(fs.readFileSync(out, 'utf8'))
    expect(table.header).toEqual(['cell', 'condition', 'control', 'PC1', 'PC2', 'UMAP1', 'UMAP2'])
    expect(table.rows).toHaveLength(400)
    expect(table.rows.filter((row) => row[1] === 'ctrl').every((row) => row[2] === 'true')).toBe(true)
    expect(new Set(table.rows.map((row) => row[1])).size).toBeGreaterThan(5)
    expect(fs.readFileSync(path.join(home.dir, 'cells.provenance.txt'), 'utf8')).toMatch(/seeded sample of 400 of 20729 cells/)
    const bad = await runCliCaptured(['--home', home.dir, '--json', 'dataset', 'cells', '--dataset', '7', '--out', out])
    expect(oneJson<{ error: { code: string } }>(bad.stdout).error.code).toBe('dataset.not-found')

    // Deleting the dataset removes its cached map.
    expect(fs.existsSync(ctx.services.cells.cacheFile(1))).toBe(true)
    await call(ctx, 'dataset:delete', { id: 1 })
    expect(fs.existsSync(ctx.services.cells.cacheFile(1))).toBe(false)
  }, 120_000)
})
