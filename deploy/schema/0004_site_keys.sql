-- Authors vouched for by the site: site keys for site backends, a per-site SSO secret for signed user tokens, and
-- author keys that are either the keyed email hash (as before) or 'user:<external user id>'.

-- Only SHA-256 of a site key is stored, like moderator tokens.
CREATE TABLE site_keys (
    id         uuid PRIMARY KEY,
    site_id    text        NOT NULL REFERENCES sites (id),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    key_hash   bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE INDEX site_keys_site ON site_keys (site_id);

-- HMAC-SHA256 needs the secret itself to verify a token, so it is stored as is (protect database backups accordingly).
CREATE TABLE site_sso_secrets (
    site_id    text PRIMARY KEY REFERENCES sites (id),
    secret     bytea       NOT NULL CHECK (length(secret) >= 32),
    created_at timestamptz NOT NULL
);

-- The site's own user id, when the site's backend (site key) or its signed token (SSO) vouched for it.
ALTER TABLE comments ADD COLUMN author_user_id text CHECK (length(author_user_id) BETWEEN 1 AND 128);

-- The key bans, author history and per-author limits go by: one column, whichever kind of author wrote the comment.
-- 'user:' cannot collide with an email hash (64 hex digits).
ALTER TABLE comments ADD COLUMN author_key text
    GENERATED ALWAYS AS (CASE WHEN author_user_id IS NOT NULL THEN 'user:' || author_user_id ELSE author_email_hash END) STORED;

CREATE INDEX comments_author_key ON comments (site_id, author_key, created_at DESC) WHERE author_key IS NOT NULL;
