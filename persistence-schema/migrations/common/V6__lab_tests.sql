-- Scheduled lab tests as GET /lab-tests lists them: upcoming first, by next fire instant.
CREATE TABLE lab_test (
  id                VARCHAR(20)  PRIMARY KEY,
  title             VARCHAR(200) NOT NULL,
  type              VARCHAR(64),
  experiment        VARCHAR(200),
  status            VARCHAR(16)  NOT NULL,
  schedule_at       TIMESTAMP WITH TIME ZONE,
  schedule_cron     VARCHAR(120),
  schedule_timezone VARCHAR(64),
  action_kind       VARCHAR(16)  NOT NULL,
  max_retries       INTEGER      NOT NULL,
  misfire_policy    VARCHAR(16)  NOT NULL,
  next_fire_at      TIMESTAMP WITH TIME ZONE,
  created_by        VARCHAR(64)  NOT NULL,
  created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at        TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX lab_test_next_idx ON lab_test (next_fire_at, id);
CREATE INDEX lab_test_status_idx ON lab_test (status, next_fire_at, id);

-- One row per execution (a due instant, or a manual trigger), updated by each attempt.
CREATE TABLE lab_test_execution (
  execution_id VARCHAR(40)  PRIMARY KEY,
  lab_test_id  VARCHAR(20)  NOT NULL,
  due_at       TIMESTAMP WITH TIME ZONE NOT NULL,
  started_at   TIMESTAMP WITH TIME ZONE NOT NULL,
  finished_at  TIMESTAMP WITH TIME ZONE,
  lateness_ms  BIGINT       NOT NULL,
  attempt      INTEGER      NOT NULL,
  status       VARCHAR(16)  NOT NULL,
  fired_by     VARCHAR(100) NOT NULL,
  log          VARCHAR(4000)
);
CREATE INDEX lab_test_execution_test_idx ON lab_test_execution (lab_test_id, due_at, execution_id);

-- Executions whose last retry failed; open until retried by hand.
CREATE TABLE dead_letter (
  execution_id     VARCHAR(40)  PRIMARY KEY,
  lab_test_id      VARCHAR(20)  NOT NULL,
  due_at           TIMESTAMP WITH TIME ZONE NOT NULL,
  attempts         INTEGER      NOT NULL,
  error            VARCHAR(2000),
  dead_lettered_at TIMESTAMP WITH TIME ZONE NOT NULL,
  state            VARCHAR(16)  NOT NULL
);
CREATE INDEX dead_letter_state_idx ON dead_letter (state, dead_lettered_at, execution_id);
