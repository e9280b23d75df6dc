import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../src-main/test-support/temp-home'

describe('npm run bench -- knowledge', () => {
  it('prints one JSON line per figure (timings are the bench’s output, not asserted here)', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'bench-knowledge.ts'), '--queries', '30', '--mask-genes', '300', '--coexp-genes', '120', '--coexp-cells', '400'],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 },
    )
    expect(r.status, r.stderr).toBe(0)
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>)
    expect(lines.map((l) => l.figure)).toEqual(['build', 'build-peak-rss', 'index-load', 'gene-query', 'gene-view', 'mask', 'coexpression', 'peak-rss'])
    const fig = (name: string) => lines.find((l) => l.figure === name)!
    expect(fig('build')).toMatchObject({ bench: 'knowledge', pathways: 2848 })
    for (const l of lines) for (const v of Object.values(l)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true)
    expect(fig('mask')).toMatchObject({ genes: 300 })
    expect(fig('coexpression')).toMatchObject({ genes: 120, cells: 400 })
  })
})
