-- The deadline table is rewritten all day (a row per entity, moved or deleted at each
-- step). With an index on (kind, due_at), PostgreSQL sometimes picked it, not the primary
-- key, for "DELETE ... WHERE kind = ? AND entity_id = ?" (both start with kind), and then
-- walked every row of the kind, dead ones included: 1 ms per statement under load. An
-- index on due_at alone serves the sweeper (few kinds, ordered by due_at) and leaves the
-- key the only index for single-row writes.
DROP INDEX deadline_due_idx;
CREATE INDEX deadline_due_idx ON deadline (due_at);
