-- Each pin carries its message's discussion and channel (neither ever changes for a message),
-- so a community's pins are read from its channels' own newest pins, and an article's from
-- its discussions', instead of walking every pin of every community newest first until
-- enough belong to the one asked for (or, in a generic plan, joining them all).
ALTER TABLE pins ADD COLUMN discussion_id BIGINT REFERENCES discussions (id) ON DELETE CASCADE;
ALTER TABLE pins ADD COLUMN channel_id BIGINT REFERENCES channels (id) ON DELETE CASCADE;

UPDATE pins p SET discussion_id = m.discussion_id, channel_id = d.channel_id
FROM messages m JOIN discussions d ON d.id = m.discussion_id
WHERE m.id = p.message_id;

ALTER TABLE pins ALTER COLUMN discussion_id SET NOT NULL;
ALTER TABLE pins ALTER COLUMN channel_id SET NOT NULL;

CREATE INDEX pins_of_channel ON pins (channel_id, pinned_at DESC, id DESC);
CREATE INDEX pins_of_discussion ON pins (discussion_id, pinned_at DESC, id DESC);
DROP INDEX pins_recent;
