import fs from 'node:fs'
import path from 'node:path'
import { readReactomeGmt, readReactomePathways, readReactomeRelations } from '../io/reactome'
import { SHARED_DIR } from './temp-home'
import { ReactomeNet } from '../services/knowledge/reactome-net'

/** Test helpers (imported by the knowledge tests only): the shared Reactome release two ways. */

const REACTOME = path.join(SHARED_DIR, 'knowledge', 'reactome')

/** The shared release as ReactomeNet sees it, plus the raw files split by hand for the expectations. */
export async function loadSharedNet() {
  const { pathways } = await readReactomePathways(path.join(REACTOME, 'ReactomePathways.txt'))
  const known = new Set(pathways.map((p) => p.id))
  const { relations } = await readReactomeRelations(path.join(REACTOME, 'ReactomePathwaysRelation.txt'), known)
  const { geneSets } = await readReactomeGmt(path.join(REACTOME, 'ReactomePathways.gmt'), known)
  const symbols = [...new Set(geneSets.flatMap((s) => s.genes))].sort()
  const gi = new Map(symbols.map((s, i) => [s, i]))
  const pi = new Map(pathways.map((p, i) => [p.id, i]))
  const setOf = new Map(geneSets.map((s) => [s.id, s.genes]))
  const net = new ReactomeNet({
    pathwayIds: pathways.map((p) => p.id),
    relations: relations.map((r) => ({ parent: pi.get(r.parent)!, child: pi.get(r.child)! })),
    geneSets: pathways.map((p) => (setOf.get(p.id) ?? []).map((g) => gi.get(g)!)),
    nGenes: symbols.length,
  })
  return { net, ids: pathways.map((p) => p.id), symbols, gi }
}

/** Independent reading of the raw files: maps keyed by stable id and symbol. */
export function rawReactome() {
  const lines = (f: string) => fs.readFileSync(path.join(REACTOME, f), 'utf8').split('\n').filter(Boolean)
  const ids = lines('ReactomePathways.txt').map((l) => l.split('\t')[0])
  const parentsOf = new Map<string, string[]>(ids.map((id) => [id, []]))
  const childrenOf = new Map<string, string[]>(ids.map((id) => [id, []]))
  for (const l of lines('ReactomePathwaysRelation.txt')) {
    const [p, c] = l.split('\t')
    parentsOf.get(c)!.push(p)
    childrenOf.get(p)!.push(c)
  }
  const sets = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]))
  for (const l of lines('ReactomePathways.gmt')) {
    const f = l.split('\t')
    sets.set(f[1], new Set(f.slice(2)))
  }
  // Depth by relaxation to a fixed point (not breadth-first search).
  const depth = new Map(ids.map((id) => [id, parentsOf.get(id)!.length ? Infinity : 0]))
  for (let changed = true; changed; ) {
    changed = false
    for (const [c, ps] of parentsOf) {
      for (const p of ps) {
        if (depth.get(p)! + 1 < depth.get(c)!) {
          depth.set(c, depth.get(p)! + 1)
          changed = true
        }
      }
    }
  }
  const closure = (id: string, next: Map<string, string[]>, acc = new Set<string>()): Set<string> => {
    for (const q of next.get(id)!) {
      if (!acc.has(q)) {
        acc.add(q)
        closure(q, next, acc)
      }
    }
    return acc
  }
  const ancestors = (id: string) => closure(id, parentsOf)
  const descendants = (id: string) => closure(id, childrenOf)
  /** Expected pathways of a gene: listing ones plus ancestors, with depth, level and ancestors. */
  const pathwaysOf = (gene: string) => {
    const listing = ids.filter((id) => sets.get(id)!.has(gene))
    const containing = new Set(listing.flatMap((id) => [id, ...ancestors(id)]))
    const l1 = listing.filter((id) => ![...descendants(id)].some((d) => sets.get(d)!.has(gene)))
    const levelOf = (id: string) => {
      // Breadth-first downwards until an L1 pathway of the gene is met.
      let frontier = [id]
      for (let dist = 0; frontier.length; dist++) {
        if (frontier.some((f) => l1.includes(f))) return dist + 1
        frontier = frontier.flatMap((f) => childrenOf.get(f)!)
      }
      throw new Error(`no L1 below ${id}`)
    }
    return { l1, list: [...containing].map((id) => ({ id, depth: depth.get(id)!, level: levelOf(id), ancestors: [...ancestors(id)].sort() })) }
  }
  return { ids, parentsOf, childrenOf, sets, depth, ancestors, descendants, pathwaysOf }
}
