/** Domain records as they cross the contract (plain JSON: ISO timestamps, numbers, strings). */

export interface Project {
  id: number
  name: string
  createdAt: string
  updatedAt: string
  datasetCount: number
  /** model runs (the baselines fitted beside them are not counted) */
  runCount: number
}

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'

export interface RunSummary {
  id: number
  projectId: number
  datasetId: number | null
  model: string
  status: RunStatus
  createdAt: string
  finishedAt: string | null
  error: string | null
}

/** A model run as the project lists it: `number` counts the project's model runs (Run 1, Run 2, …). */
export interface ProjectRun extends RunSummary {
  number: number
  name: string | null
}

export interface ProjectDetail extends Project {
  /** the newest model runs; baselines are fitted with them and not listed as runs of their own */
  recentRuns: ProjectRun[]
}

export interface AppInfo {
  version: string
  home: string
  transport: 'desktop' | 'browser'
  schemaVersion: number
}
