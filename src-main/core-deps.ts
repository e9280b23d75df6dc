import type { Db } from './db/database'
import type { EventBus } from './event-bus'
import type { DatasetService } from './services/datasets/dataset-service'
import type { JobRegistry } from './services/jobs'
import type { ProjectsService } from './services/projects'
import type { KnowledgeService } from './services/knowledge/knowledge-service'
import type { TrainingService } from './services/training/training-service'
import type { PredictionService } from './services/predictions/prediction-service'
import type { ExportService } from './services/exports/export-service'
import type { DesignService } from './services/design/design-service'
import type { EnrichmentService } from './services/knowledge/enrichment'
import type { CellsEmbeddingService } from './services/datasets/cells-embedding'

/** The services of the one core, each constructed once in app-context. */
export interface Services {
  projects: ProjectsService
  datasets: DatasetService
  jobs: JobRegistry
  knowledge: KnowledgeService
  training: TrainingService
  predictions: PredictionService
  exports: ExportService
  design: DesignService
  enrichment: EnrichmentService
  cells: CellsEmbeddingService
}

/** What handlers (and the CLI) are given: the core's services plus where they run. */
export interface CoreDeps {
  home: string
  transport: 'desktop' | 'browser' | 'cli'
  db: Db
  events: EventBus
  services: Services
}
