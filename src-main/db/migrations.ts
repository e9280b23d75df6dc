/**
 * Numbered schema migrations. The database's `PRAGMA user_version` is the number of the last
 * migration applied. Append new entries; never edit a shipped one.
 * SQL lives here as strings (not .sql files) so every entry point — tsx, the electron-vite
 * bundle, the packaged app — carries it without a copy step.
 */
export interface Migration {
  version: number
  name: string
  sql: string
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'projects, datasets, runs, metrics, checkpoints, predictions, exports',
    sql: `
CREATE TABLE projects (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 200),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE TABLE datasets (
  id            INTEGER PRIMARY KEY,
  project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  source_path   TEXT,
  format        TEXT NOT NULL,
  summary_json  TEXT NOT NULL DEFAULT '{}',
  storage_dir   TEXT,
  created_at    TEXT NOT NULL
);
CREATE INDEX datasets_project ON datasets(project_id);

CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  dataset_id    INTEGER REFERENCES datasets(id) ON DELETE CASCADE,
  model         TEXT NOT NULL,
  config_json   TEXT NOT NULL DEFAULT '{}',
  status        TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed','cancelled')),
  error         TEXT,
  backend_json  TEXT,
  best_epoch    INTEGER,
  test_json     TEXT,
  created_at    TEXT NOT NULL,
  started_at    TEXT,
  finished_at   TEXT
);
CREATE INDEX runs_project ON runs(project_id, created_at);

CREATE TABLE epoch_metrics (
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch         INTEGER NOT NULL,
  seconds       REAL,
  losses_json   TEXT NOT NULL DEFAULT '{}',
  val_json      TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (run_id, epoch)
);

-- Model weights: small ones inline as a blob, large ones as a content-addressed file
-- (path relative to the data folder); the hash identifies either.
CREATE TABLE checkpoints (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch       INTEGER NOT NULL,
  sha256      TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  blob        BLOB,
  file_path   TEXT,
  is_best     INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  CHECK ((blob IS NULL) <> (file_path IS NULL))
);
CREATE INDEX checkpoints_run ON checkpoints(run_id, epoch);

CREATE TABLE predictions (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  condition     TEXT NOT NULL,
  params_json   TEXT NOT NULL DEFAULT '{}',
  result_sha256 TEXT,
  result_blob   BLOB,
  created_at    TEXT NOT NULL
);
CREATE INDEX predictions_run ON predictions(run_id, created_at);

CREATE TABLE exports (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  run_id      INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  kind        TEXT NOT NULL,
  format      TEXT NOT NULL CHECK (format IN ('csv','png','svg','json')),
  file_path   TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE app_settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'run kind, name, split, error code and owning process; learning rate per epoch',
    sql: `
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'model' CHECK (kind IN ('model','baseline'));
ALTER TABLE runs ADD COLUMN name TEXT;
-- The split's identity (kind, seed, custom assignment) so baselines of the same split can be found.
ALTER TABLE runs ADD COLUMN split_key TEXT;
ALTER TABLE runs ADD COLUMN split_json TEXT;
ALTER TABLE runs ADD COLUMN error_code TEXT;
-- host:pid of the process training it, so one process never fails another's live run as interrupted.
ALTER TABLE runs ADD COLUMN owner TEXT;
ALTER TABLE epoch_metrics ADD COLUMN lr REAL;
CREATE INDEX runs_dataset_split ON runs(dataset_id, split_key);
`,
  },
  {
    version: 3,
    name: 'residual models: the share of the correction kept per epoch; how the run chose its epoch',
    sql: `
ALTER TABLE epoch_metrics ADD COLUMN alpha REAL;
ALTER TABLE epoch_metrics ADD COLUMN alpha_pairs REAL;
-- docs/ml-engine.md §11.3: cross-validation's choice of epoch and α, with the fold scores (JSON).
ALTER TABLE runs ADD COLUMN selection_json TEXT;
`,
  },
  {
    version: 4,
    name: 'the perturbation graph a model run used',
    sql: `
ALTER TABLE runs ADD COLUMN pert_graph TEXT;
`,
  },
  {
    version: 5,
    name: 'a heartbeat the process training a run refreshes, so every process can tell a live run from an abandoned one',
    sql: `
-- ISO time the owning process last said it still has the run (queued or running); a stale one
-- means the process is gone (killed, or on another machine that stopped), whatever its pid.
ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
`,
  },
  {
    version: 6,
    name: 'pair maps recorded with their run, so deleting the run (or its dataset or project) deletes them',
    sql: `
-- One row per stored pair map; its files (map-<id>.json.gz and its summary under design-maps/)
-- are removed by the service that deletes the run, dataset or project this row cascades from.
-- Maps written before this migration are recorded (or, if their run is gone, removed) at start.
CREATE TABLE design_maps (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  created_at  TEXT NOT NULL
);
CREATE INDEX design_maps_run ON design_maps(run_id);
`,
  },
  {
    version: 7,
    name: 'exports as Excel workbooks and provenance sidecars (xlsx, txt)',
    sql: `
-- SQLite cannot change a CHECK constraint in place: the table is copied into one that allows them.
CREATE TABLE exports_v7 (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  run_id      INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  kind        TEXT NOT NULL,
  format      TEXT NOT NULL CHECK (format IN ('csv','xlsx','png','svg','json','txt')),
  file_path   TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
INSERT INTO exports_v7 (id, project_id, run_id, kind, format, file_path, created_at)
  SELECT id, project_id, run_id, kind, format, file_path, created_at FROM exports;
DROP TABLE exports;
ALTER TABLE exports_v7 RENAME TO exports;
`,
  },
]

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1].version
