-- Moderators' workflow: access tokens, readers' reports, author bans and the audit log.

-- A comment pulled from its thread by readers' reports waits in 'reported' until a moderator decides.
ALTER TABLE comments DROP CONSTRAINT comments_status_check;
ALTER TABLE comments ADD CONSTRAINT comments_status_check
    CHECK (status IN ('pending', 'approved', 'held', 'rejected', 'reported'));

CREATE INDEX comments_queue ON comments (site_id, status, created_at, id);
-- Author history and bans look comments up by the author key (the keyed email hash).
CREATE INDEX comments_author ON comments (site_id, author_email_hash) WHERE author_email_hash IS NOT NULL;

-- Only SHA-256 of a token is stored: a leaked table grants nothing.
CREATE TABLE moderators (
    id         uuid PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    token_hash bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE moderator_sites (
    moderator_id uuid NOT NULL REFERENCES moderators (id) ON DELETE CASCADE,
    site_id      text NOT NULL REFERENCES sites (id),
    PRIMARY KEY (moderator_id, site_id)
);

-- One row per reader (keyed hash of the client address) and comment; resolved when a moderator decides.
CREATE TABLE comment_reports (
    id           uuid PRIMARY KEY,
    comment_id   uuid        NOT NULL REFERENCES comments (id),
    site_id      text        NOT NULL REFERENCES sites (id),
    reporter_key text        NOT NULL,
    reason       text        NOT NULL CHECK (reason IN ('spam', 'abusive', 'off_topic', 'other')),
    created_at   timestamptz NOT NULL,
    resolved_at  timestamptz,
    UNIQUE (comment_id, reporter_key)
);

CREATE INDEX comment_reports_open ON comment_reports (comment_id) WHERE resolved_at IS NULL;

-- author_key is the comments' author_email_hash. At most one unlifted ban per author; expired ones are closed on the next ban.
CREATE TABLE bans (
    id         uuid PRIMARY KEY,
    site_id    text        NOT NULL REFERENCES sites (id),
    author_key text        NOT NULL CHECK (length(author_key) BETWEEN 1 AND 200),
    reason     text,
    created_by uuid        NOT NULL REFERENCES moderators (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    lifted_at  timestamptz,
    lifted_by  uuid REFERENCES moderators (id)
);

CREATE UNIQUE INDEX bans_one_open ON bans (site_id, author_key) WHERE lifted_at IS NULL;

-- Every moderator action (and every comment pulled by reports), newest first by id.
CREATE TABLE moderation_audit (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id        text        NOT NULL REFERENCES sites (id),
    moderator_id   uuid REFERENCES moderators (id),
    actor          text        NOT NULL,
    action         text        NOT NULL,
    comment_id     uuid REFERENCES comments (id),
    ban_id         uuid REFERENCES bans (id),
    reason         text,
    note           text,
    before_status  text,
    after_status   text,
    details        jsonb,
    created_at     timestamptz NOT NULL
);

CREATE INDEX moderation_audit_site ON moderation_audit (site_id, id DESC);
