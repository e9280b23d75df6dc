import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../cli/main'
import { readH5ad } from '../io/h5ad-read'
import { ANNDATA_SUMMARY, pythonWith } from '../test-support/python'
import { SHARED_DIR, tempHome } from '../test-support/temp-home'
import { generateSynthetic } from './generate'
import { loadSyntheticKnowledge } from './knowledge-input'
import type { SyntheticDataset } from './types'
import { writeSyntheticH5ad } from './write'

const KNOWLEDGE = path.join(SHARED_DIR, 'knowledge')
let dir: ReturnType<typeof tempHome>
let ds: SyntheticDataset

beforeAll(async () => {
  dir = tempHome('ps-synth-write-')
  ds = await generateSynthetic({ preset: 'small', seed: 11, knowledge: await loadSyntheticKnowledge(KNOWLEDGE) })
})
afterAll(() => dir?.cleanup())

describe('writeSyntheticH5ad', () => {
  it('writes a .h5ad that reads back with the same counts, GEARS obs columns and the truth in uns', async () => {
    const file = path.join(dir.dir, 'small.h5ad')
    await writeSyntheticH5ad(file, ds)
    const back = await readH5ad(file)
    expect(back.cells).toEqual(ds.cells)
    expect(back.genes.symbol).toEqual(ds.genes)
    expect(back.X.indptr).toEqual(ds.X.indptr)
    expect(back.X.indices).toEqual(ds.X.indices)
    expect(back.X.data).toEqual(ds.X.data)
    const obs = back.obs
    expect(Object.keys(obs)).toEqual(expect.arrayContaining(['condition', 'cell_type', 'condition_name', 'control']))
    expect(obs.condition.values).toEqual(ds.obs.condition)
    expect(obs.control.type === 'number' && Array.from(obs.control.values)).toEqual(Array.from(ds.obs.control))
    const uns = back.unsOther?.synthetic as Record<string, unknown>
    expect(uns.modality).toBe('CRISPRi')
    expect(uns.preset).toBe('small')
    expect(uns.seed).toBe(11)
    expect(uns.conditions).toEqual(ds.truth.conditions)
    const pairs = uns.pairs as Record<string, unknown>
    expect(pairs.type).toEqual(ds.truth.pairs.map((p) => p.type))
    expect((uns.network as Record<string, unknown[]>).source).toHaveLength(ds.truth.network.length)
    // conditions × genes, row by row
    const effects = uns.true_effects as ArrayLike<number>[]
    expect(effects).toHaveLength(ds.truth.conditions.length)
    expect(Array.from(effects[3])).toEqual(Array.from(ds.truth.effects.subarray(3 * ds.genes.length, 4 * ds.genes.length)))
  })

  const anndata = pythonWith(['anndata'])
  if (!anndata.python) console.log(`skipping the anndata check of the synth output: ${anndata.missing}`)
  it.skipIf(!anndata.python)('writes a .h5ad that anndata reads (Debian 0.8 included), plain and gzip', async () => {
    for (const compression of ['none', 'gzip'] as const) {
      const file = path.join(dir.dir, `anndata-${compression}.h5ad`)
      await writeSyntheticH5ad(file, ds, { compression })
      const r = spawnSync(anndata.python!, ['-c', ANNDATA_SUMMARY, file], { encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      const s = JSON.parse(r.stdout)
      expect(s).toMatchObject({
        shape: [ds.cells.length, ds.genes.length],
        nnz: ds.X.data.length,
        obs_names: ds.cells.slice(0, 3),
        obs: { condition: 'category', cell_type: 'category', condition_name: 'category', dose_val: 'category', control: 'float64' },
        var: { gene_name: 'object' },
        uns: ['synthetic'],
      })
      expect(s.bools).toEqual({ 'obs/condition@ordered': false, 'obs/cell_type@ordered': false, 'obs/condition_name@ordered': false, 'obs/dose_val@ordered': false })
    }
  })
})

describe('perturb-studio synth', () => {
  it('writes the small preset and prints one JSON summary', async () => {
    const out = path.join(dir.dir, 'cli.h5ad')
    let stdout = ''
    let stderr = ''
    const code = await runCli(['synth', '--preset', 'small', '--seed', '3', '--out', out, '--knowledge', KNOWLEDGE, '--json'], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
    })
    expect(code, stdout + stderr).toBe(0)
    const lines = stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    const summary = JSON.parse(lines[0])
    expect(summary).toMatchObject({ out, genes: 300, singles: 20, combos: 20, controlCells: 1000 })
    expect(summary.cells).toBeGreaterThan(2000)
    expect(summary.seconds).toBeGreaterThan(0)
    expect(fs.statSync(out).size).toBeGreaterThan(100_000)
  })

  it('refuses a bad seed, an unknown preset and a missing output folder', async () => {
    const run = async (args: string[]) => {
      let stdout = ''
      const code = await runCli(['synth', ...args, '--json'], { stdout: (t) => (stdout += t), stderr: () => undefined })
      return { code, error: JSON.parse(stdout.trim()).error }
    }
    expect(await run(['--seed', 'x', '--out', path.join(dir.dir, 'a.h5ad')])).toMatchObject({ code: 1, error: { code: 'cli.invalid-option' } })
    expect(await run(['--preset', 'huge', '--out', path.join(dir.dir, 'a.h5ad')])).toMatchObject({ code: 2, error: { code: 'cli.usage' } })
    expect(await run(['--out', path.join(dir.dir, 'missing', 'a.h5ad'), '--knowledge', KNOWLEDGE])).toMatchObject({ code: 1, error: { code: 'synthetic.bad-output' } })
    expect(await run(['--out', path.join(dir.dir, 'a.csv'), '--knowledge', KNOWLEDGE])).toMatchObject({ code: 1, error: { code: 'synthetic.bad-output' } })
  })
})
