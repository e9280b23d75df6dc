import fs from 'node:fs'
import type { IncomingMessage } from 'node:http'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { atomicTarget, writeFileAtomic } from './atomic-write'
import { receiveUpload } from '../server/upload'
import { tempHome } from '../test-support/temp-home'

const homes: { cleanup: () => void }[] = []
afterEach(() => {
  for (const h of homes.splice(0)) h.cleanup()
})
function home(): string {
  const h = tempHome('ps-atomic-')
  homes.push(h)
  return h.dir
}

describe('atomic writes', () => {
  it('a failing write leaves neither the target nor a temp file', () => {
    const dir = home()
    // the target is an existing folder: the rename fails after the temp file was written
    fs.mkdirSync(path.join(dir, 'taken'))
    fs.writeFileSync(path.join(dir, 'taken', 'x'), 'x')
    expect(() => writeFileAtomic(path.join(dir, 'taken'), 'new')).toThrow()
    expect(fs.readdirSync(dir)).toEqual(['taken'])
    expect(fs.readdirSync(path.join(dir, 'taken'))).toEqual(['x'])
  })

  it('streams into a temp file that commit renames and abort removes', () => {
    const dir = home()
    const file = path.join(dir, 'sub', 'a.bin')
    const kept = atomicTarget(file)
    fs.writeFileSync(kept.tmp, 'one')
    expect(path.dirname(kept.tmp)).toBe(path.dirname(file))
    kept.commit()
    kept.abort() // harmless after commit
    expect(fs.readFileSync(file, 'utf8')).toBe('one')

    const dropped = atomicTarget(file)
    fs.writeFileSync(dropped.tmp, 'two')
    dropped.abort()
    expect(fs.readFileSync(file, 'utf8')).toBe('one')
    expect(fs.readdirSync(path.dirname(file))).toEqual(['a.bin'])
  })

  it('swaps in a whole folder, replacing the old one', () => {
    const dir = home()
    const target = path.join(dir, 'ui')
    fs.mkdirSync(target)
    fs.writeFileSync(path.join(target, 'old.html'), 'old')
    const out = atomicTarget(target)
    fs.mkdirSync(out.tmp)
    fs.writeFileSync(path.join(out.tmp, 'index.html'), 'new')
    out.commit()
    expect(fs.readdirSync(dir)).toEqual(['ui'])
    expect(fs.readdirSync(target)).toEqual(['index.html'])
  })

  it('an upload that breaks off leaves neither the file nor a temp file', async () => {
    const dir = home()
    const body = new Readable({ read() {} })
    body.push(Buffer.alloc(1000, 1))
    setTimeout(() => body.destroy(new Error('connection reset')), 20)
    const batch = 'a'.repeat(16)
    const res = await receiveUpload(body as unknown as IncomingMessage, dir, new URLSearchParams({ name: 'm.mtx', batch }))
    expect(res).toMatchObject({ ok: false, error: { code: 'upload.interrupted' } })
    expect(fs.readdirSync(path.join(dir, 'uploads', batch))).toEqual([])

    const whole = Readable.from([Buffer.from('%%MatrixMarket\n')])
    const done = await receiveUpload(whole as unknown as IncomingMessage, dir, new URLSearchParams({ name: 'm.mtx', batch }))
    expect(done).toMatchObject({ ok: true, data: { bytes: 15 } })
    expect(fs.readdirSync(path.join(dir, 'uploads', batch))).toEqual(['m.mtx'])
  })
})
