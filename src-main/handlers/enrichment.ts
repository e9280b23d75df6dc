import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

export function enrichmentHandlers({ services }: CoreDeps): HandlersFor<'enrichment'> {
  const { enrichment } = services
  return {
    'enrichment:sources': ({ datasetId }) => enrichment.sources(datasetId),
    'enrichment:overlay': (input) => enrichment.overlay(input),
    'enrichment:run': (input) => enrichment.enrich(input),
  }
}

export function cellsHandlers({ services }: CoreDeps): HandlersFor<'cells'> {
  const { cells, jobs } = services
  return {
    'cells:embedding': ({ datasetId, jobId, ...options }) =>
      options.cachedOnly ? cells.embedding(datasetId, options, { progress: () => undefined, throwIfCancelled: () => undefined }) : jobs.run('cells-embedding', jobId, (job) => cells.embedding(datasetId, options, job)),
  }
}
