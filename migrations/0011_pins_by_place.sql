-- Each pin carries its message's discussion and channel (neither ever changes for a message),
-- so a community's pins are read from its channels' own newest pins, and an article's from
-- its discussions', instead of walking every pin of every community newest first until
-- enough belong to the one asked for.
ALTER TABLE pins ADD COLUMN discussion_id INTEGER REFERENCES discussions (id) ON DELETE CASCADE;
ALTER TABLE pins ADD COLUMN channel_id INTEGER REFERENCES channels (id) ON DELETE CASCADE;

UPDATE pins SET
    discussion_id = (SELECT m.discussion_id FROM messages m WHERE m.id = pins.message_id),
    channel_id = (SELECT d.channel_id FROM messages m JOIN discussions d ON d.id = m.discussion_id
                  WHERE m.id = pins.message_id);

CREATE INDEX pins_of_channel ON pins (channel_id, pinned_at DESC, id DESC);
CREATE INDEX pins_of_discussion ON pins (discussion_id, pinned_at DESC, id DESC);
DROP INDEX pins_recent;
