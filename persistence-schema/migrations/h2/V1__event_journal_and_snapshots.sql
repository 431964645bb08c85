-- Same tables as migrations/postgresql/V1; identifiers are quoted lower case because
-- Slick's H2 profile (used by the journal) quotes every name it reads.
CREATE TABLE "event_journal" (
  "ordering"           BIGINT       NOT NULL AUTO_INCREMENT UNIQUE,
  "persistence_id"     VARCHAR(255) NOT NULL,
  "sequence_number"    BIGINT       NOT NULL,
  "deleted"            BOOLEAN      NOT NULL DEFAULT FALSE,
  "writer"             VARCHAR      NOT NULL,
  "write_timestamp"    BIGINT       NOT NULL,
  "adapter_manifest"   VARCHAR      NOT NULL,
  "event_ser_id"       INTEGER      NOT NULL,
  "event_ser_manifest" VARCHAR      NOT NULL,
  "event_payload"      BLOB         NOT NULL,
  "meta_ser_id"        INTEGER,
  "meta_ser_manifest"  VARCHAR,
  "meta_payload"       BLOB,
  PRIMARY KEY ("persistence_id", "sequence_number")
);

CREATE UNIQUE INDEX "event_journal_ordering_idx" ON "event_journal" ("ordering");

CREATE TABLE "event_tag" (
  "event_id" BIGINT  NOT NULL,
  "tag"      VARCHAR NOT NULL,
  PRIMARY KEY ("event_id", "tag"),
  CONSTRAINT "event_tag_event_fk" FOREIGN KEY ("event_id") REFERENCES "event_journal" ("ordering") ON DELETE CASCADE
);

CREATE TABLE "snapshot" (
  "persistence_id"        VARCHAR(255) NOT NULL,
  "sequence_number"       BIGINT       NOT NULL,
  "created"               BIGINT       NOT NULL,
  "snapshot_ser_id"       INTEGER      NOT NULL,
  "snapshot_ser_manifest" VARCHAR      NOT NULL,
  "snapshot_payload"      BLOB         NOT NULL,
  "meta_ser_id"           INTEGER,
  "meta_ser_manifest"     VARCHAR,
  "meta_payload"          BLOB,
  PRIMARY KEY ("persistence_id", "sequence_number")
);

CREATE SEQUENCE "global_offset_seq";

CREATE TABLE "durable_state" (
  "global_offset"         BIGINT DEFAULT NEXT VALUE FOR "global_offset_seq",
  "persistence_id"        VARCHAR(255) NOT NULL,
  "revision"              BIGINT       NOT NULL,
  "state_payload"         BLOB         NOT NULL,
  "state_serial_id"       INTEGER      NOT NULL,
  "state_serial_manifest" VARCHAR,
  "tag"                   VARCHAR,
  "state_timestamp"       BIGINT       NOT NULL,
  PRIMARY KEY ("persistence_id")
);
CREATE INDEX "durable_state_tag_idx" ON "durable_state" ("tag");
CREATE INDEX "durable_state_global_offset_idx" ON "durable_state" ("global_offset");
