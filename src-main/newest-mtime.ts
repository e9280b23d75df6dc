import fs from 'node:fs'
import path from 'node:path'

/**
 * When a build's sources last changed: the modification time (ms) of a file, or the newest of the
 * files under a folder whose names `accept` takes (node_modules and dot-folders skipped); 0 when
 * there is none. Builds made at run time (the worker bundle, the browser-mode UI) compare it with
 * their output's to know whether they are stale.
 */
export function newestMtime(p: string, accept: (name: string) => boolean = () => true): number {
  if (!fs.existsSync(p)) return 0
  const st = fs.statSync(p)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = 0
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue
    const child = path.join(p, e.name)
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(child, accept))
    else if (accept(e.name)) newest = Math.max(newest, fs.statSync(child).mtimeMs)
  }
  return newest
}
