import fs from 'node:fs'
import type { CoreDeps, Services } from './core-deps'
import { openDatabase } from './db/database'
import { DatasetsRepo } from './db/datasets-repo'
import { ProjectsRepo } from './db/projects-repo'
import { EventBus } from './event-bus'
import { appHandlers } from './handlers/app'
import { datasetHandlers, jobHandlers } from './handlers/datasets'
import { projectHandlers } from './handlers/projects'
import { knowledgeHandlers } from './handlers/knowledge'
import { trainingHandlers } from './handlers/training'
import { predictionHandlers } from './handlers/predictions'
import { exportHandlers } from './handlers/exports'
import { designHandlers } from './handlers/design'
import { cellsHandlers, enrichmentHandlers } from './handlers/enrichment'
import { databasePath, resolveHome } from './runtime/paths'
import { knowledgeDir, resolveKnowledgeSources } from './runtime/paths'
import { createRouter, type Router } from './router'
import { DatasetService } from './services/datasets/dataset-service'
import { JobRegistry } from './services/jobs'
import { ProjectsService } from './services/projects'
import { KnowledgeService } from './services/knowledge/knowledge-service'
import { RunsRepo } from './db/runs-repo'
import { resolveWorkerScript } from './ml/worker-script'
import { trainingDataSource } from './services/training/training-inputs'
import { TrainingService } from './services/training/training-service'
import { CheckpointStore } from './services/training/checkpoint-store'
import { PredictionsRepo } from './db/predictions-repo'
import { DesignMapsRepo } from './db/design-maps-repo'
import { ExportsRepo } from './db/exports-repo'
import type { BackendName } from './ml/backend'
import { PredictEngine, type PredictEngineOptions } from './services/predictions/predict-engine'
import { PredictionService } from './services/predictions/prediction-service'
import { ExportService, type SaveFileDialog } from './services/exports/export-service'
import { DesignService } from './services/design/design-service'
import { EnrichmentService } from './services/knowledge/enrichment'
import { CellsEmbeddingService } from './services/datasets/cells-embedding'
import { APP_VERSION } from './runtime/version'

export interface AppContextOptions {
  home?: string
  transport: CoreDeps['transport']
  /** Electron passes the Electron-ABI build of better-sqlite3. */
  nativeBinding?: string
  log?: (message: string) => void
  /** desktop: the save dialog export:save writes after (the main process owns the window) */
  saveFile?: SaveFileDialog
  /** force the prediction worker's backend (benchmarks compare like with like); default: the best that loads */
  predictBackend?: BackendName
  /** how many prediction workers a large batch is split over, and when the extra ones stop (PredictEngineOptions) */
  predictWorkers?: Pick<PredictEngineOptions, 'lanes' | 'idleReleaseMs'>
}

export interface AppContext extends CoreDeps {
  router: Router
  close(): void
}

/** Wires the one core (database, services, router, events) used by every way in. */
export function createAppContext(options: AppContextOptions): AppContext {
  const home = resolveHome(options.home)
  fs.mkdirSync(home, { recursive: true })
  const db = openDatabase(databasePath(home), { nativeBinding: options.nativeBinding })
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`))

  const events = new EventBus()
  // Started on the first prediction; closed with the context.
  const predictEngine = new PredictEngine({ log, prefer: options.predictBackend, ...options.predictWorkers })
  const projects = new ProjectsService(new ProjectsRepo(db))
  const services: Services = {
    projects,
    datasets: new DatasetService({
      home,
      repo: new DatasetsRepo(db),
      projects,
      knowledgeSources: resolveKnowledgeSources(home),
      aliases: (projectId) => {
        const release = services.knowledge.projectRelease(projectId).effective
        return release ? services.knowledge.aliases(release) : Promise.resolve(undefined)
      },
    }),
    jobs: new JobRegistry(events),
    knowledge: new KnowledgeService({
      dir: knowledgeDir(home),
      sourceFolder: resolveKnowledgeSources(home),
      settings: db,
      nativeBinding: options.nativeBinding,
      // deps is assigned below, before any build can report.
      onProgress: (p) => deps.events.emit('job:progress', p),
      log,
    }),
    training: new TrainingService({
      home,
      repo: new RunsRepo(db),
      datasets: { require: (id) => services.datasets.require(id) },
      buildData: (datasetId, setup) => trainingDataSource(services)(datasetId, setup),
      events,
      workerScript: () => resolveWorkerScript(),
      log,
    }),
    predictions: new PredictionService({
      runs: new RunsRepo(db),
      repo: new PredictionsRepo(db),
      checkpoints: new CheckpointStore(home, new RunsRepo(db)),
      datasets: { require: (id) => services.datasets.require(id) },
      buildData: (datasetId, setup) => trainingDataSource(services)(datasetId, setup),
      knowledgeBase: (release) => services.knowledge.base(release),
      engine: predictEngine,
      appVersion: APP_VERSION,
    }),
    exports: new ExportService({ home, transport: options.transport, repo: new ExportsRepo(db), saveFile: options.saveFile }),
    design: new DesignService({
      home,
      maps: new DesignMapsRepo(db),
      predictions: {
        genes: (runId) => services.predictions.genes(runId),
        placements: (runId, genes) => services.predictions.placements(runId, genes),
        predictMany: (runId, sets, o) => services.predictions.predictMany(runId, sets, o),
        sourceOf: (runId, o) => services.predictions.sourceOf(runId, o),
        workersFor: (n) => services.predictions.workersFor(n),
      },
      datasets: { load: (id) => services.datasets.load(id), require: (id) => services.datasets.require(id) },
      knowledgeBase: (release) => services.knowledge.base(release),
    }),
    enrichment: new EnrichmentService({
      datasets: { load: (id) => services.datasets.load(id), require: (id) => services.datasets.require(id) },
      predictions: { get: (id) => services.predictions.get(id), list: (runId, limit) => services.predictions.list(runId, limit) },
      runs: { list: (filter) => services.training.list(filter) },
      knowledgeBase: (release) => services.knowledge.base(release),
    }),
    cells: new CellsEmbeddingService({ home, datasets: { load: (id) => services.datasets.load(id), require: (id) => services.datasets.require(id) } }),
  }
  services.training.recoverInterrupted()
  try {
    services.datasets.sweepPartials()
  } catch (err) {
    log(`dataset partial-folder sweep: ${(err as Error).message}`)
  }
  const deps: CoreDeps = { home, transport: options.transport, db, events, services }

  const router = createRouter(
    {
      ...appHandlers(deps),
      ...projectHandlers(deps),
      ...datasetHandlers(deps),
      ...jobHandlers(deps),
      ...knowledgeHandlers(deps),
      ...trainingHandlers(deps),
      ...predictionHandlers(deps),
      ...exportHandlers(deps),
      ...designHandlers(deps),
      ...enrichmentHandlers(deps),
      ...cellsHandlers(deps),
    },
    { onInternalError: (channel, err) => log(`[${channel}] ${(err as Error)?.stack ?? String(err)}`) },
  )

  // Training first: it marks runs still in flight as interrupted while the database is open.
  return { ...deps, router, close: () => (void services.training.close(), void predictEngine.close(), services.knowledge.close(), db.close()) }
}
