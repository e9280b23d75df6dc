import fs from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { oneJson, runCliCaptured } from '../../test-support/cli'
import { tempHome } from '../../test-support/temp-home'
import { makeUnreadable, restoreReadable, writeTinyTenx } from '../../test-support/unreadable'

let home: ReturnType<typeof tempHome>
const cli = (args: string[]) => runCliCaptured(['--home', path.join(home.dir, 'data'), ...args])

beforeAll(() => {
  home = tempHome('ps-cli-import-')
})
afterEach(() => vi.restoreAllMocks())
afterAll(() => home.cleanup())

describe('perturb-studio import', () => {
  it.each(['features.tsv.gz', 'matrix.mtx', 'barcodes.tsv', 'cells.csv'])('refuses a 10x folder whose %s cannot be read: exit 1, one JSON error naming it, nothing stored', async (name) => {
    const dir = writeTinyTenx(path.join(home.dir, `tenx-${name}`))
    const file = path.join(dir, name)
    const how = makeUnreadable(file)
    const r = await cli(['import', dir, '--condition-column', 'condition', '--control-label', 'ctrl', '--json'])
    restoreReadable(file, how)
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(oneJson<{ error: { code: string; message: string } }>(r.stdout).error).toMatchObject({
      code: 'dataset.unreadable',
      message: expect.stringMatching(/permission denied\. Check the file exists and that you may read it\./),
    })
    expect(oneJson<{ error: { message: string } }>(r.stdout).error.message).toContain(file)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    const stored = path.join(home.dir, 'data', 'datasets')
    expect(fs.existsSync(stored) ? fs.readdirSync(stored) : []).toEqual([])
  })

  it('asks for --metadata when a 10x folder has no cell annotations, instead of "(one of: )"', async () => {
    const dir = writeTinyTenx(path.join(home.dir, 'tenx-no-meta'))
    fs.rmSync(path.join(dir, 'cells.csv'))
    const r = await cli(['import', dir, '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(1)
    const error = oneJson<{ error: { code: string; message: string } }>(r.stdout).error
    expect(error).toMatchObject({ code: 'dataset.condition-column-required', message: expect.stringContaining('--metadata cells.csv') })
    expect(error.message).not.toContain('(one of: )')
  })

  it('imports the same folder once it can be read', async () => {
    const dir = writeTinyTenx(path.join(home.dir, 'tenx-ok'))
    const r = await cli(['import', dir, '--condition-column', 'condition', '--control-label', 'ctrl', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(oneJson<{ cells: number }>(r.stdout)).toMatchObject({ cells: 4 })
  })
})
