import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../../../src-shared/contract'
import { packageRoot } from '../../runtime/paths'
import type { CommandRegistrar } from '../context'

/** The benchmarks shipped in scripts/bench-<name>.ts (the same list `npm run bench` offers). */
function availableBenchmarks(): string[] {
  const dir = path.join(packageRoot(), 'scripts')
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter((f) => /^bench-.+\.ts$/.test(f) && !f.endsWith('.test.ts'))
    .map((f) => f.slice('bench-'.length, -'.ts'.length))
    .sort()
}

/**
 * `perturb-studio bench <name> [options]` runs the same script as `npm run bench -- <name>`, in a
 * child process so its peak-RSS figure is the benchmark's own, and passes its JSON lines through
 * (one line per figure: a benchmark's output is always JSON lines, with or without --json).
 */
export const registerBenchCommand: CommandRegistrar = (program) => {
  program
    .command('bench')
    .description('run a benchmark and print one JSON line per figure, e.g. bench train --preset norman-like --model biodsnn --epochs 1')
    .argument('<name>', 'which benchmark (import, knowledge, attention, train, predict, design)')
    .argument('[options...]', "the benchmark's own options, e.g. --preset small --model gears --epochs 2")
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (name: string, options: string[]) => {
      const available = availableBenchmarks()
      if (!available.includes(name)) throw new AppError('cli.unknown-benchmark', `No benchmark "${name}". Choose one of: ${available.join(', ')}.`)
      // `--json` belongs to the CLI, not to the benchmark (which prints JSON lines anyway).
      const passThrough = options.filter((o) => o !== '--json')
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(packageRoot(), 'bin', 'bench.js'), name, ...passThrough], { stdio: 'inherit' })
        child.on('error', reject)
        child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)))
      })
      if (code !== 0) throw new AppError('bench.failed', `The ${name} benchmark stopped with exit code ${code}; its error is printed above.`)
    })
}
