-- Projections ask for "the events of tag T after offset O"; the read journal's query
-- (kernel TagIndexReadJournalDao) walks this index, so its cost is the tag's own new
-- events, not every event of every tag written since O.
-- Quoted: the embedded database keeps the journal tables' names in lower case (V1).
CREATE INDEX event_tag_by_tag_idx ON "event_tag" ("tag", "event_id");
