/** Test support: files in a throw-away folder, made on first use and removed by `cleanup`. */
import fs from 'node:fs'
import path from 'node:path'
import { tempHome } from './temp-home'

export function tempFiles(prefix: string) {
  let home: ReturnType<typeof tempHome> | undefined
  const tmp = (name: string): string => {
    home ??= tempHome(prefix)
    return path.join(home.dir, name)
  }
  return {
    tmp,
    write(name: string, content: string | Buffer): string {
      const p = tmp(name)
      fs.mkdirSync(path.dirname(p), { recursive: true })
      fs.writeFileSync(p, content)
      return p
    },
    cleanup(): void {
      home?.cleanup()
      home = undefined
    },
  }
}

/** The error a promise rejects with (its code and message); fails the test when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p
  } catch (err) {
    return err as { code: string; message: string }
  }
  throw new Error('expected an error')
}
