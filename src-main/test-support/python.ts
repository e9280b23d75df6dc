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

/**
 * What anndata makes of an `.h5ad` (run with a python from `pythonWith(['anndata'])`): shape, obs and
 * var dtypes, uns keys, and every boolean h5py finds (the categoricals' `ordered` included), so a
 * test sees both that the file reads and that booleans come back as booleans.
 */
export const ANNDATA_SUMMARY = `
import sys, json, h5py, numpy as np, anndata
a = anndata.read_h5ad(sys.argv[1])
f = h5py.File(sys.argv[1], "r")
bools = {}
def visit(name, obj):
    for k, v in obj.attrs.items():
        if isinstance(v, (bool, np.bool_)):
            bools[name + "@" + k] = bool(v)
    if isinstance(obj, h5py.Dataset) and obj.dtype == np.bool_:
        bools[name] = obj[()].tolist()
f.visititems(visit)
X = a.X
print(json.dumps({
    "anndata": anndata.__version__,
    "shape": list(a.shape),
    "nnz": int(X.nnz) if hasattr(X, "nnz") else int(np.count_nonzero(X)),
    "obs_names": [str(x) for x in a.obs_names[:3]],
    "obs": {k: str(a.obs[k].dtype) for k in a.obs.columns},
    "var": {k: str(a.var[k].dtype) for k in a.var.columns},
    "layers": sorted(a.layers.keys()),
    "uns": sorted(a.uns.keys()),
    "bools": bools,
}))
`
