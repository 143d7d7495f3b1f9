-- A discussion's version changes whenever one of its messages does (an edit, a deletion, a
-- reader forgotten, whatever statement does it), so the web reader can keep a discussion's
-- built reply tree and know when it is stale. New messages need no bump: they change the
-- discussion's message count, and messages are never deleted one by one (only with their
-- discussion). Once per statement: forgetting a reader touches thousands of rows.
ALTER TABLE discussions ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_discussion_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE discussions SET version = version + 1
    WHERE id IN (SELECT discussion_id FROM changed_before
                 UNION SELECT discussion_id FROM changed_after);
    RETURN NULL;
END
$$;

CREATE TRIGGER messages_changed AFTER UPDATE ON messages
REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed_after
FOR EACH STATEMENT EXECUTE FUNCTION bump_discussion_versions();
