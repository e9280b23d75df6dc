import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

export function knowledgeHandlers({ services }: CoreDeps): HandlersFor<'knowledge'> {
  const { knowledge, projects } = services
  return {
    'knowledge:status': () => knowledge.status(),
    'knowledge:list': () => knowledge.list(),
    'knowledge:build': (input) => knowledge.build(input),
    'knowledge:ensure': ({ folder }) => knowledge.ensure(folder),
    'knowledge:cancel-build': () => knowledge.cancelBuild(),
    'knowledge:set-default': ({ release }) => knowledge.setDefault(release),
    'knowledge:delete': ({ release }) => knowledge.delete(release),
    'knowledge:project-release': ({ projectId }) => {
      projects.require(projectId)
      return knowledge.projectRelease(projectId)
    },
    'knowledge:set-project-release': ({ projectId, release }) => {
      projects.require(projectId)
      return knowledge.setProjectRelease(projectId, release)
    },
    'knowledge:search': async ({ release, query, limit }) => (await knowledge.base(release)).search(query, limit),
    'knowledge:roots': async ({ release }) => (await knowledge.base(release)).roots(),
    'knowledge:children': async ({ release, id }) => (await knowledge.base(release)).children(id),
    'knowledge:pathway': async ({ release, id }) => (await knowledge.base(release)).pathway(id),
    'knowledge:neighbourhood': async ({ release, id, maxGenes }) => (await knowledge.base(release)).neighbourhood(id, maxGenes),
    'knowledge:gene': async ({ release, gene }) => (await knowledge.base(release)).gene(gene),
    'knowledge:gene-pathways': async ({ release, gene }) => (await knowledge.base(release)).genePathways(gene),
    'knowledge:go-neighbours': async ({ release, gene, limit }) => (await knowledge.base(release)).goNeighbours(gene, limit),
    'knowledge:mask': async ({ release, genes, level, includePairs }) => (await knowledge.base(release)).mask(genes, level, includePairs),
  }
}
