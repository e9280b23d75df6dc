#!/usr/bin/env node
// `npm run bench -- <name> [args]`: runs scripts/bench-<name>.ts, which prints one JSON line per figure.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadEntry } from './load-entry.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const available = fs
  .readdirSync(path.join(root, 'scripts'))
  .filter((f) => /^bench-.+\.ts$/.test(f) && !f.endsWith('.test.ts'))
  .map((f) => f.slice('bench-'.length, -'.ts'.length))
const [name, ...rest] = process.argv.slice(2)
if (!name || !available.includes(name)) {
  console.error(`Usage: npm run bench -- <${available.join('|') || 'none yet'}> [options]`)
  process.exit(name ? 2 : 0)
}
// The benchmark sees its own arguments as if it had been started directly.
const script = path.join(root, 'scripts', `bench-${name}.ts`)
process.argv = [process.argv[0], script, ...rest]
await loadEntry(`scripts/bench-${name}.ts`)
