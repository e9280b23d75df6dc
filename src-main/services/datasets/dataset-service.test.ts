import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetSummary } from '../../../src-shared/contract'
import { createAppContext, type AppContext } from '../../app-context'
import { call as callOn, tempAppContext } from '../../test-support/app'
import { SHARED_DIR, tempHome } from '../../test-support/temp-home'

const PAPALEXI = path.join(SHARED_DIR, 'datasets', 'papalexi2021')
let ctx: AppContext
let projectId: number

const call = <T>(channel: string, input: unknown) => callOn<T>(ctx, channel, input)

function storedFolders(): string[] {
  const dir = path.join(ctx.home, 'datasets')
  return fs.existsSync(dir) ? fs.readdirSync(dir) : []
}

beforeAll(async () => {
  ctx = tempAppContext()
  projectId = (await call<{ id: number }>('project:create', { name: 'Papalexi' })).id
})
afterAll(() => ctx.close())

describe('dataset import (Papalexi 2021, real files)', () => {
  let fromH5ad: DatasetSummary
  let fromTenx: DatasetSummary

  it('imports the .h5ad and the 10x layout + cells.csv into identical summaries', async () => {
    const mapping = { conditionColumn: 'target', controlLabels: ['non-targeting'] }
    fromH5ad = await call('dataset:import', { projectId, path: path.join(PAPALEXI, 'papalexi2021_counts.h5ad'), ...mapping })
    fromTenx = await call('dataset:import', { projectId, path: PAPALEXI, metadata: path.join(PAPALEXI, 'cells.csv'), ...mapping })
    for (const s of [fromH5ad, fromTenx]) {
      expect(s).toMatchObject({ cells: 20_729, genes: 299, conditions: 26, singles: 25, combos: 0, controlCells: 2_386 })
      expect(s.normalisation).toMatch(/raw counts .* normalize_total .* log1p/)
      expect(s.perturbedGenesNotMeasured).toHaveLength(16) // 9 of the 25 targets are measured
    }
    const pick = (s: DatasetSummary) => ({ ...s, datasetId: 0, name: '', sourcePath: '', format: '', createdAt: '', warnings: [], contentHash: '' })
    expect(pick(fromTenx)).toEqual(pick(fromH5ad))
  })

  it('gives identical DE rankings from both layouts, with STAT1 at the top of STAT1 knockout', async () => {
    const a = await call<{ topDe: Record<string, string[]>; conditionTable: { condition: string; cells: number }[] }>('dataset:get', { id: fromH5ad.datasetId })
    const b = await call<{ topDe: Record<string, string[]>; conditionTable: { condition: string; cells: number }[] }>('dataset:get', { id: fromTenx.datasetId })
    expect(b.topDe).toEqual(a.topDe)
    expect(b.conditionTable).toEqual(a.conditionTable)
    expect(a.topDe['STAT1+ctrl'][0]).toBe('STAT1')
    const de = await call<{ genes: { gene: string; change: number }[] }>('dataset:de', { id: fromH5ad.datasetId, condition: 'STAT1+ctrl' })
    expect(de.genes[0]).toMatchObject({ gene: 'STAT1' })
    expect(de.genes[0].change).toBeLessThan(0) // a knockout lowers its target
  })

  it('lists and deletes datasets, removing their stored arrays', async () => {
    const listed = await call<DatasetSummary[]>('dataset:list', { projectId })
    expect(listed.map((d) => d.datasetId).sort()).toEqual([fromH5ad.datasetId, fromTenx.datasetId].sort())
    const before = storedFolders().length
    await call('dataset:delete', { id: fromTenx.datasetId })
    expect(storedFolders().length).toBe(before - 1)
    await expect(call('dataset:get', { id: fromTenx.datasetId })).rejects.toMatchObject({ code: 'dataset.not-found' })
  })

  it.each([
    ['no control cells', { conditionColumn: 'target', controlLabels: ['nothing-like-this'] }, 'dataset.no-control-cells'],
    ['an unknown column', { conditionColumn: 'no_such_column', controlLabels: ['non-targeting'] }, 'dataset.unknown-column'],
  ])('refuses %s and stores nothing', async (_label, mapping, code) => {
    const datasets = (await call<DatasetSummary[]>('dataset:list', {})).length
    const folders = storedFolders().length
    await expect(call('dataset:import', { projectId, path: path.join(PAPALEXI, 'papalexi2021_counts.h5ad'), ...mapping })).rejects.toMatchObject({ code })
    expect((await call<DatasetSummary[]>('dataset:list', {})).length).toBe(datasets)
    expect(storedFolders().length).toBe(folders)
  })

  it('cancels an import on request and stores nothing', async () => {
    const folders = storedFolders().length
    const pending = call('dataset:import', { projectId, path: PAPALEXI, conditionColumn: 'target', controlLabels: ['non-targeting'], jobId: 'cancel-me-1' })
    await new Promise((r) => setTimeout(r, 50))
    expect(await call('job:cancel', { jobId: 'cancel-me-1' })).toEqual({ cancelled: true })
    await expect(pending).rejects.toMatchObject({ code: expect.stringMatching(/cancelled/) })
    expect(storedFolders().length).toBe(folders)
  })

  it('imports the newer-anndata Norman subset with symbols from feature_name and its counts layer', async () => {
    const s = await call<DatasetSummary>('dataset:import', { projectId, path: path.join(SHARED_DIR, 'fixtures', 'norman_subset_cpa.h5ad'), conditionColumn: 'condition', controlLabels: ['ctrl'] })
    expect(s).toMatchObject({ cells: 50, genes: 50, controlCells: 6, singles: 31, combos: 10 })
    expect(s.normalisation).toContain('layers/counts')
    expect(s.warnings.join(' ')).toContain("'feature_name'")
    const detail = await call<{ conditionTable: { condition: string; genes: string[] }[] }>('dataset:get', { id: s.datasetId })
    expect(detail.conditionTable.some((c) => c.genes.length === 2)).toBe(true)
  })
})

describe('start of the app', () => {
  it('sweeps the partial dataset folders a killed import left, keeping those of live writers', () => {
    const start = tempHome('ps-sweep-')
    try {
      const host = os.hostname().replace(/[^A-Za-z0-9.]/g, '_')
      const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout)
      const root = path.join(start.dir, 'datasets')
      const killed = path.join(root, `.0b7f2a9e-0000-4000-8000-000000000001.partial-${host}-${dead}-0123456789ab`)
      const writing = path.join(root, `.0b7f2a9e-0000-4000-8000-000000000002.partial-${host}-${process.pid}-0123456789ab`)
      for (const dir of [killed, writing]) {
        fs.mkdirSync(dir, { recursive: true })
        fs.writeFileSync(path.join(dir, 'x-data.bin'), Buffer.alloc(4096))
      }
      const started = createAppContext({ home: start.dir, transport: 'cli', log: () => undefined })
      started.close()
      expect(fs.readdirSync(root)).toEqual([path.basename(writing)])
    } finally {
      start.cleanup()
    }
  })
})
