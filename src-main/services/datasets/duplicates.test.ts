import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetPreview, DatasetSummary } from '../../../src-shared/contract'
import type { AppContext } from '../../app-context'
import { call as callOn, tempAppContext } from '../../test-support/app'
import { SHARED_DIR } from '../../test-support/temp-home'

const PAPALEXI = path.join(SHARED_DIR, 'datasets', 'papalexi2021')
const H5AD = path.join(PAPALEXI, 'papalexi2021_counts.h5ad')
const mapping = { conditionColumn: 'target', controlLabels: ['non-targeting'] }
let ctx: AppContext
let projectId: number

const call = <T>(channel: string, input: unknown) => callOn<T>(ctx, channel, input)

/** A copy of a file under a new folder, as a second browser upload of the same file lands. */
function uploadCopy(file: string, batch: string): string {
  const dir = path.join(ctx.home, 'uploads', batch)
  fs.mkdirSync(dir, { recursive: true })
  const target = path.join(dir, path.basename(file))
  fs.copyFileSync(file, target)
  return target
}

beforeAll(async () => {
  ctx = tempAppContext()
  projectId = (await call<{ id: number }>('project:create', { name: 'Duplicates' })).id
})
afterAll(() => ctx.close())

describe('importing the same data twice', () => {
  let first: DatasetSummary

  it('names a dataset imported without a name after its file or folder', async () => {
    first = await call('dataset:import', { projectId, path: uploadCopy(H5AD, '0123456789abcdef'), ...mapping })
    expect(first.name).toBe('papalexi2021_counts')
    expect(first.contentHash).toMatch(/^[0-9a-f]{64}$/)
    expect(first.warnings.join(' ')).not.toMatch(/already has/)
  }, 60_000)

  it('previews a second upload of the same file with the dataset that already holds it', async () => {
    const again = uploadCopy(H5AD, 'fedcba9876543210')
    const preview = await call<DatasetPreview>('dataset:preview', { path: again, projectId })
    expect(preview.duplicates).toEqual([{ datasetId: first.datasetId, name: 'papalexi2021_counts', reason: 'same-content' }])
    // Without a project the preview cannot say, and says nothing.
    expect((await call<DatasetPreview>('dataset:preview', { path: again })).duplicates).toBeUndefined()
  })

  it('imports it anyway, with a warning naming the earlier dataset', async () => {
    const second = await call<DatasetSummary>('dataset:import', { projectId, path: uploadCopy(H5AD, 'aaaaaaaaaaaaaaaa'), name: 'Again', ...mapping })
    expect(second.contentHash).toBe(first.contentHash)
    expect(second.warnings.some((w) => w.includes('already has “papalexi2021_counts”') && w.includes('same files'))).toBe(true)
  }, 60_000)

  it('does not call different data a duplicate: the 10x folder is named after its folder and warns of nothing', async () => {
    const preview = await call<DatasetPreview>('dataset:preview', { path: PAPALEXI, metadata: path.join(PAPALEXI, 'cells.csv'), projectId })
    expect(preview.duplicates).toEqual([])
    const tenx = await call<DatasetSummary>('dataset:import', { projectId, path: PAPALEXI, metadata: path.join(PAPALEXI, 'cells.csv'), ...mapping })
    expect(tenx.name).toBe('papalexi2021')
    expect(tenx.warnings.join(' ')).not.toMatch(/already has/)
    // A second import of the same folder is caught by its content.
    const again = await call<DatasetPreview>('dataset:preview', { path: PAPALEXI, metadata: path.join(PAPALEXI, 'cells.csv'), projectId })
    expect(again.duplicates?.map((d) => d.datasetId)).toEqual([tenx.datasetId])
  }, 60_000)
})
