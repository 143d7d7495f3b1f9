-- Each message remembers the discussion version its last change made (`changed_in`), so the
-- web reader can read just the messages changed since the version it holds instead of the
-- whole discussion. The trigger of 0009 now also stamps the changed rows, with the version it
-- bumped under the discussion's row lock (so a later change never carries an earlier stamp);
-- the stamp's own UPDATE does not fire it again.
ALTER TABLE messages ADD COLUMN changed_in BIGINT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION bump_discussion_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH bumped AS (
        UPDATE discussions SET version = version + 1
        WHERE id IN (SELECT discussion_id FROM changed_before
                     UNION SELECT discussion_id FROM changed_after)
        RETURNING id, version
    )
    UPDATE messages m SET changed_in = b.version
    FROM changed_after c JOIN bumped b ON b.id = c.discussion_id
    WHERE m.id = c.id;
    RETURN NULL;
END
$$;

DROP TRIGGER messages_changed ON messages;

CREATE TRIGGER messages_changed AFTER UPDATE ON messages
REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed_after
FOR EACH STATEMENT WHEN (pg_trigger_depth() < 1)
EXECUTE FUNCTION bump_discussion_versions();
