-- Leases on PostgreSQL: the same as ../0005_leases.sql. Never edit a landed migration.

CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
