-- The deadline index: when an entity must be awake. Projections keep it; a cluster
-- singleton per kind sweeps it and wakes (starts) the entities whose instant is near, so
-- a passivated entity, or one whose node stopped, still meets its deadline.
CREATE TABLE deadline (
  kind      VARCHAR(32)  NOT NULL,
  entity_id VARCHAR(200) NOT NULL,
  due_at    TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (kind, entity_id)
);
CREATE INDEX deadline_due_idx ON deadline (kind, due_at);

-- Analyses as GET /specimens/{id}/analyses lists them.
CREATE TABLE analysis (
  id             VARCHAR(120)  PRIMARY KEY,
  specimen_id    VARCHAR(40),
  pipeline       VARCHAR(64)   NOT NULL,
  state          VARCHAR(16)   NOT NULL,
  remote_session VARCHAR(200),
  requested_at   TIMESTAMP WITH TIME ZONE NOT NULL,
  dispatched_at  TIMESTAMP WITH TIME ZONE,
  deadline       TIMESTAMP WITH TIME ZONE NOT NULL,
  finished_at    TIMESTAMP WITH TIME ZONE,
  attempts       INTEGER       NOT NULL,
  failure_reason VARCHAR(2000),
  result_status  VARCHAR(16)
);
CREATE INDEX analysis_specimen_idx ON analysis (specimen_id, requested_at);
