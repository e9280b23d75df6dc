/**
 * `npm run bench -- knowledge [--knowledge DIR] [--queries 200] [--mask-genes 5000]
 *  [--coexp-genes 5000] [--coexp-cells 20000] [--coexp-density 0.1] [--skip-coexp]`
 *
 * The knowledge base: full build (Reactome + GO graph) seconds and peak memory, loading the
 * in-memory index, gene queries (pathways + GO neighbours) on a warm index, the attention mask
 * for a dataset-sized gene list, and the co-expression graph on a synthetic cells × genes matrix.
 * One JSON line per figure. Builds into a temporary data folder that is removed afterwards.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { packageRoot } from '../src-main/runtime/paths'
import { coexpressionGraph } from '../src-main/ml/coexpression'
import { KnowledgeService } from '../src-main/services/knowledge/knowledge-service'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback
}

const folder = path.resolve(arg('knowledge', path.resolve(packageRoot(), '..', 'shared', 'knowledge')))
const queries = Number(arg('queries', '200'))
const maskGenes = Number(arg('mask-genes', '5000'))
const coexpGenes = Number(arg('coexp-genes', '5000'))
const coexpCells = Number(arg('coexp-cells', '20000'))
const coexpDensity = Number(arg('coexp-density', '0.1'))
const skipCoexp = process.argv.includes('--skip-coexp')

function emit(figure: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: 'knowledge', figure, ...fields }))
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024)
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since)
  return Math.round((c.user + c.system) / 1e4) / 100
}
const quantile = (a: number[], q: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(q * a.length))]
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-bench-knowledge-'))
try {
  const service = new KnowledgeService({ dir: path.join(home, 'knowledge'), sourceFolder: folder })
  let cpu = process.cpuUsage()
  let t = performance.now()
  const summary = await service.build()
  emit('build', { seconds: round((performance.now() - t) / 1000), cpuSeconds: cpuSeconds(cpu), pathways: summary.pathways, goGenes: summary.goGenes, goEdges: summary.goEdges, cores: os.availableParallelism() })
  emit('build-peak-rss', { mb: peakRssMb() })

  const kb = await service.base()
  t = performance.now()
  kb.load()
  emit('index-load', { ms: round(performance.now() - t, 1) })

  // Genes with pathways (human-shaped symbols), spread evenly; each query runs on the warm index.
  const all = [...new Set(kb.roots().flatMap((r) => kb.pathway(r.id).allGenes))].filter((g) => /^[A-Z0-9-]+$/.test(g)).sort()
  const spread = (n: number) => Array.from({ length: Math.min(n, all.length) }, (_, i) => all[Math.floor((i * all.length) / Math.min(n, all.length))])
  const picked = spread(queries)
  const ms: number[] = []
  const viewMs: number[] = []
  for (const g of picked) {
    t = performance.now()
    kb.genePathways(g)
    kb.goNeighbours(g)
    ms.push(performance.now() - t)
    t = performance.now()
    kb.gene(g)
    viewMs.push(performance.now() - t)
  }
  emit('gene-query', { genes: picked.length, msMedian: round(quantile(ms, 0.5)), msP95: round(quantile(ms, 0.95)), msMax: round(Math.max(...ms)) })
  emit('gene-view', { genes: picked.length, msMedian: round(quantile(viewMs, 0.5)), msP95: round(quantile(viewMs, 0.95)) })

  const maskList = spread(maskGenes)
  t = performance.now()
  const mask = kb.mask(maskList)
  emit('mask', { genes: maskList.length, ms: round(performance.now() - t, 1), pairs: mask.pairCount, density: round(mask.density, 5), withoutPathway: mask.genesWithoutPathway.length })
  service.close()

  if (!skipCoexp) {
    // Log-normalised-like sparse values; every 50th gene follows a per-cell factor so real edges exist.
    let seed = 1
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32
    const indptr = new Int32Array(coexpCells + 1)
    const idx: number[] = []
    const val: number[] = []
    for (let c = 0; c < coexpCells; c++) {
      const f = rnd()
      for (let g = 0; g < coexpGenes; g++) {
        if (rnd() < coexpDensity * (g % 50 === 0 ? 2 * f : 1)) {
          idx.push(g)
          val.push(Math.log1p(1 + 5 * rnd() * (g % 50 === 0 ? f : 1)))
        }
      }
      indptr[c + 1] = idx.length
    }
    const x = { nRows: coexpCells, nCols: coexpGenes, indptr, indices: Int32Array.from(idx), data: Float32Array.from(val) }
    cpu = process.cpuUsage()
    t = performance.now()
    const graph = coexpressionGraph(x)
    emit('coexpression', { genes: coexpGenes, cells: coexpCells, nnz: idx.length, seconds: round((performance.now() - t) / 1000), cpuSeconds: cpuSeconds(cpu), edges: graph.source.length })
    emit('peak-rss', { mb: peakRssMb() })
  }
} finally {
  fs.rmSync(home, { recursive: true, force: true })
}
