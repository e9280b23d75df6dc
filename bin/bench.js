#!/usr/bin/env node
// `npm run bench -- <name> [args]`: runs scripts/bench-<name>.ts, which prints one JSON line per figure.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const available = fs
  .readdirSync(path.join(root, 'scripts'))
  .filter((f) => /^bench-.+\.ts$/.test(f))
  .map((f) => f.slice('bench-'.length, -'.ts'.length))
const [name, ...rest] = process.argv.slice(2)
if (!name || !available.includes(name)) {
  console.error(`Usage: npm run bench -- <${available.join('|') || 'none yet'}> [options]`)
  process.exit(name ? 2 : 0)
}
const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', `bench-${name}.ts`), ...rest], { stdio: 'inherit', cwd: root })
process.exit(r.status ?? 1)
