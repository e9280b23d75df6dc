/**
 * A Python that imports the given modules, for tests that cross-check against an independent
 * implementation (scikit-learn, h5py). Tries `python3` on PATH, then Debian's /usr/bin/python3
 * (a pyenv or venv python3 earlier on PATH hides the apt packages .ci/run installs).
 * `python` is null when none does; `missing` then says why, for the test's skip message.
 */
import { spawnSync } from 'node:child_process'

export function pythonWith(modules: string[]): { python: string | null; missing: string } {
  let why = ''
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' })
    if (r.status === 0) return { python: py, missing: '' }
    why ||= (r.stderr || String(r.error)).trim().split('\n').pop() ?? ''
  }
  return { python: null, missing: `no python3 here imports ${modules.join(', ')} (${why})` }
}
