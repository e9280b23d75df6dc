import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { REPO_ROOT, tempHome } from '../test-support/temp-home'
import { databasePath } from '../runtime/paths'
import { oneJson, runCliCaptured } from '../test-support/cli'

let home: ReturnType<typeof tempHome>
afterEach(() => home?.cleanup())

const cli = runCliCaptured

describe('perturb-studio CLI', () => {
  it('round-trips project create and list with --json in a temp --home', async () => {
    home = tempHome()
    const created = await cli(['--home', home.dir, '--json', 'project', 'create', 'X'])
    expect(created.code).toBe(0)
    const project = oneJson(created.stdout) as { id: number; name: string }
    expect(project).toMatchObject({ name: 'X', datasetCount: 0, runCount: 0 })
    const listed = await cli(['--home', home.dir, '--json', 'project', 'list'])
    expect(oneJson(listed.stdout)).toEqual([expect.objectContaining({ id: project.id, name: 'X' })])
  })

  it('renames and deletes by id or by name', async () => {
    home = tempHome()
    await cli(['--home', home.dir, 'project', 'create', 'Old'])
    expect(oneJson((await cli(['--home', home.dir, '--json', 'project', 'rename', 'Old', 'New'])).stdout)).toMatchObject({ name: 'New' })
    expect((await cli(['--home', home.dir, '--json', 'project', 'delete', '1'])).code).toBe(0)
    expect(oneJson((await cli(['--home', home.dir, '--json', 'project', 'list'])).stdout)).toEqual([])
  })

  it.each([
    [['bogus'], 2, 'cli.usage', /Unknown command 'bogus'/],
    [['project', 'create'], 2, 'cli.usage', /Missing required argument 'name'/],
    [['project', 'create', ''], 1, 'contract.invalid-input', /must not be empty/],
    [['project', 'create', 'x'.repeat(10_000)], 1, 'contract.invalid-input', /at most 200 characters/],
    [['project', 'delete', '77'], 1, 'project.not-found', /No project with id or name "77"/],
    // a bad option value is a usage error: exit 2, as the README says
    [['serve', '--port', 'abc'], 2, 'cli.usage', /--port must be a whole number between 0 and 65535, got "abc"/],
    [['serve', '--port', '70000'], 2, 'cli.usage', /--port must be a whole number/],
  ])('%j fails with exit %i and {"error":{"code":"%s"}}, writing nothing', async (args, exit, code, message) => {
    home = tempHome()
    const r = await cli(['--home', home.dir, '--json', ...(args as string[])])
    expect(r.code).toBe(exit)
    const doc = oneJson(r.stdout) as { error: { code: string; message: string } }
    expect(doc.error.code).toBe(code)
    expect(doc.error.message).toMatch(message as RegExp)
    const list = await cli(['--home', home.dir, '--json', 'project', 'list'])
    expect(oneJson(list.stdout)).toEqual([])
  })

  it('does not create a database for a command line that is wrong', async () => {
    home = tempHome()
    await cli(['--home', home.dir, '--json', 'bogus'])
    expect(fs.existsSync(databasePath(home.dir))).toBe(false)
  })

  it('prints help and exits 0', async () => {
    const r = await cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('project')
    expect(r.stdout).toContain('serve')
  })

  it('works as a real program: exit codes and stdout from bin/perturb-studio.js', () => {
    home = tempHome()
    const bin = path.join(REPO_ROOT, 'bin', 'perturb-studio.js')
    const ok = spawnSync(process.execPath, [bin, '--home', home.dir, '--json', 'project', 'create', 'Real'], { encoding: 'utf8' })
    expect(ok.status).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: 'Real' })
    const bad = spawnSync(process.execPath, [bin, '--json', 'nonsense'], { encoding: 'utf8' })
    expect(bad.status).toBe(2)
    expect(JSON.parse(bad.stdout).error.code).toBe('cli.usage')
  })
})
