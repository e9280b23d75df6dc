/**
 * Layout of one knowledge release file (`<home>/knowledge/<release>.sqlite`). A release is
 * written once, by a build, and then only read; `user_version` is this schema's number so a
 * file from a newer app is refused instead of misread.
 */
export const KNOWLEDGE_SCHEMA_VERSION = 1

export const KNOWLEDGE_SCHEMA = `
CREATE TABLE meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);

-- The files the release was built from.
CREATE TABLE sources (
  role    TEXT PRIMARY KEY,
  file    TEXT NOT NULL,
  bytes   INTEGER NOT NULL,
  sha256  TEXT NOT NULL
);

CREATE TABLE pathways (
  idx           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  depth         INTEGER NOT NULL,
  has_gene_set  INTEGER NOT NULL
);

CREATE TABLE pathway_relations (
  parent  INTEGER NOT NULL REFERENCES pathways(idx),
  child   INTEGER NOT NULL REFERENCES pathways(idx),
  PRIMARY KEY (parent, child)
) WITHOUT ROWID;

-- Symbols from gene_info plus every token a Reactome gene set lists; idx follows symbol order.
CREATE TABLE genes (
  idx          INTEGER PRIMARY KEY,
  symbol       TEXT NOT NULL UNIQUE,
  gene_id      INTEGER,
  description  TEXT NOT NULL DEFAULT '',
  type         TEXT NOT NULL DEFAULT '',
  in_gene_info INTEGER NOT NULL
);

CREATE TABLE gene_aliases (
  alias  TEXT NOT NULL,
  gene   INTEGER NOT NULL REFERENCES genes(idx),
  PRIMARY KEY (alias, gene)
) WITHOUT ROWID;

CREATE TABLE gene_ensembl (
  ensembl  TEXT NOT NULL,
  gene     INTEGER NOT NULL REFERENCES genes(idx),
  PRIMARY KEY (ensembl, gene)
) WITHOUT ROWID;

CREATE TABLE gene_sets (
  pathway  INTEGER NOT NULL REFERENCES pathways(idx),
  gene     INTEGER NOT NULL REFERENCES genes(idx),
  PRIMARY KEY (pathway, gene)
) WITHOUT ROWID;

CREATE TABLE go_terms (
  idx       INTEGER PRIMARY KEY,
  id        TEXT NOT NULL UNIQUE,
  name      TEXT NOT NULL,
  category  TEXT NOT NULL
);

CREATE TABLE gene_go (
  gene  INTEGER NOT NULL REFERENCES genes(idx),
  term  INTEGER NOT NULL REFERENCES go_terms(idx),
  PRIMARY KEY (gene, term)
) WITHOUT ROWID;

-- The cached GO perturbation graph: each gene's top partners by Jaccard, rank 0 = best.
CREATE TABLE go_neighbours (
  gene     INTEGER NOT NULL REFERENCES genes(idx),
  rank     INTEGER NOT NULL,
  partner  INTEGER NOT NULL REFERENCES genes(idx),
  jaccard  REAL NOT NULL,
  PRIMARY KEY (gene, rank)
) WITHOUT ROWID;
`
