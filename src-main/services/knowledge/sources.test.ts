import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempHome } from '../../test-support/temp-home'
import { scanSources } from './sources'

let home: ReturnType<typeof tempHome> | undefined
afterEach(() => {
  home?.cleanup()
  home = undefined
})

describe('scanSources', () => {
  it('follows symbolic links to files and folders, and skips dangling ones', () => {
    home = tempHome('ps-knowledge-links-')
    const store = path.join(home.dir, 'downloads')
    fs.mkdirSync(path.join(store, 'go'), { recursive: true })
    fs.writeFileSync(path.join(store, 'ReactomePathways.txt'), 'R-HSA-1\tA pathway\tHomo sapiens\n')
    fs.writeFileSync(path.join(store, 'go', 'gene2go.gz'), '')
    const folder = path.join(home.dir, 'knowledge')
    fs.mkdirSync(folder)
    fs.symlinkSync(path.join(store, 'ReactomePathways.txt'), path.join(folder, 'ReactomePathways.txt'))
    fs.symlinkSync(path.join(store, 'go'), path.join(folder, 'go'))
    fs.symlinkSync(path.join(store, 'missing.gmt'), path.join(folder, 'ReactomePathways.gmt'))
    const found = scanSources(folder)
    expect(found.files.pathways).toBe(path.join(folder, 'ReactomePathways.txt'))
    expect(found.files.gene2go).toBe(path.join(folder, 'go', 'gene2go.gz'))
    expect(found.files.gmt).toBeUndefined()
  })
})
