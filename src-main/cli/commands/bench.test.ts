import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../test-support/temp-home'
import { runCliCaptured as cli } from '../../test-support/cli'

describe('perturb-studio bench', () => {
  it('names the benchmarks there are when asked for one that is not', async () => {
    const r = await cli(['--json', 'bench', 'nope'])
    expect(r.code).toBe(1)
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } }
    expect(error.code).toBe('cli.unknown-benchmark')
    for (const name of ['train', 'predict', 'design', 'import', 'knowledge']) expect(error.message).toContain(name)
  })

  it("passes the benchmark's own options through and fails with its exit code", () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'perturb-studio.js'), '--json', 'bench', 'train', '--preset', 'small', '--model', 'no-such-model'], {
      encoding: 'utf8',
      timeout: 120_000,
    })
    expect(r.status).toBe(1)
    // The benchmark itself refused the model: proof that --model reached it.
    expect(r.stderr).toContain('--model must be one of')
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ error: expect.objectContaining({ code: 'bench.failed' }) })
  })
})
