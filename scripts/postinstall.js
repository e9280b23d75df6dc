// After `npm install`: build better-sqlite3 a second time, for Electron's ABI, into
// resources/native/electron — only where an Electron binary is installed. Node (CLI, browser
// mode, tests) keeps the build in node_modules. Never fails the install: desktop mode is optional.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { electronVersion, findElectronBinary, ROOT } from './electron-binary.js'

const strict = process.argv.includes('--require-electron')
const target = path.join(ROOT, 'resources', 'native', 'electron', 'better_sqlite3.node')

function main() {
  const electron = findElectronBinary()
  if (!electron.path) {
    console.log(`perturb-studio: skipping the Electron build of better-sqlite3: ${electron.reason}. Browser mode and the CLI work without it.`)
    return strict ? 1 : 0
  }
  const version = electronVersion()
  const stamp = `${target}.electron-${version}`
  if (fs.existsSync(target) && fs.existsSync(stamp)) return 0

  const work = path.join(ROOT, '.tmp', 'electron-native', 'better-sqlite3')
  fs.rmSync(work, { recursive: true, force: true })
  fs.mkdirSync(path.dirname(work), { recursive: true })
  fs.cpSync(path.join(ROOT, 'node_modules', 'better-sqlite3'), work, { recursive: true, filter: (src) => !src.includes(`${path.sep}build${path.sep}`) })
  const gyp = path.join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
  const args = ['rebuild', '--release', `--target=${version}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers']
  try {
    console.log(`perturb-studio: building better-sqlite3 for Electron ${version}…`)
    execFileSync(process.execPath, [gyp, ...args], { cwd: work, stdio: 'inherit' })
  } catch (err) {
    console.log(`perturb-studio: could not build better-sqlite3 for Electron (${err.message}). Desktop mode will not start; browser mode still works.`)
    return strict ? 1 : 0
  }
  fs.mkdirSync(path.dirname(target), { recursive: true })
  fs.copyFileSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'), target)
  fs.writeFileSync(stamp, new Date().toISOString())
  console.log(`perturb-studio: Electron build of better-sqlite3 at ${path.relative(ROOT, target)}`)
  return 0
}

process.exitCode = main()
