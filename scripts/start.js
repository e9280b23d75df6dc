// `npm start`: the desktop app when Electron can run here, otherwise browser mode — saying why.
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { findElectronBinary, ROOT } from './electron-binary.js'

const passThrough = process.argv.slice(2)

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

function npx(bin, args) {
  run(process.execPath, [path.join(ROOT, 'node_modules', '.bin', bin), ...args].map(String))
}

function browserMode(reason) {
  console.log(`Starting browser mode because ${reason}.`)
  npx('vite', ['build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'])
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'perturb-studio.js'), ...passThrough, 'serve', '--open'], { cwd: ROOT, stdio: 'inherit' })
  const stop = (sig) => child.kill(sig)
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  child.on('exit', (code) => process.exit(code ?? 0))
}

function desktopMode(binary) {
  npx('electron-vite', ['build', '--logLevel', 'warn'])
  const started = Date.now()
  const child = spawn(binary, [ROOT, ...passThrough], { cwd: ROOT, stdio: 'inherit' })
  child.on('exit', (code) => {
    // A crash right at start-up (no GPU, missing libraries, no display server) → browser mode.
    if (code !== 0 && Date.now() - started < 10_000) browserMode(`Electron exited with code ${code} at start-up`)
    else process.exit(code ?? 0)
  })
}

const electron = findElectronBinary()
if (!electron.path) browserMode(electron.reason)
else if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) browserMode('there is no graphical display (DISPLAY/WAYLAND_DISPLAY unset)')
else desktopMode(electron.path)
