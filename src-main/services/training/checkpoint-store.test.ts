import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { CheckpointRecord, RunsRepo } from '../../db/runs-repo'
import { tempHome } from '../../test-support/temp-home'
import { CheckpointStore, encodeCheckpoint } from './checkpoint-store'

const home = tempHome('ps-ckpt-')
afterAll(() => home.cleanup())

const record = (filePath: string, sha256 = '0'.repeat(64)): CheckpointRecord => ({ id: 1, runId: 7, epoch: 3, sha256, bytes: 10, blob: null, filePath, isBest: true, createdAt: '2026-12-07T00:00:00.000Z' })
// load() reads files only; the repository is not consulted.
const store = new CheckpointStore(home.dir, {} as RunsRepo)

describe('loading a checkpoint file', () => {
  it('says which run and file are missing, and what to do', () => {
    expect(() => store.load(record('checkpoints/ab/gone.bin'))).toThrow(
      expect.objectContaining({ code: 'run.checkpoint-missing', message: 'The checkpoint of run 7, epoch 3 is missing from the data folder (checkpoints/ab/gone.bin). Train the run again, or delete it.' }),
    )
  })

  it('refuses a file whose bytes changed', () => {
    const file = 'checkpoints/cd/changed.bin'
    fs.mkdirSync(path.join(home.dir, 'checkpoints/cd'), { recursive: true })
    fs.writeFileSync(path.join(home.dir, file), encodeCheckpoint({ params: { manifest: { format: 'x', version: 1, entries: [] } as never, data: new Uint8Array(8) } }))
    expect(() => store.load(record(file))).toThrow(expect.objectContaining({ code: 'run.checkpoint-corrupt' }))
  })
})
