-- Every query the PostgreSQL store runs, one per `-- name: <name>` header, with psycopg's named parameters.
-- A parameter that may be NULL is cast to its type: PostgreSQL cannot infer the type of a bare NULL
-- in `param IS NULL`. Times are timestamptz, compared as times.

-- name: lock_migrations
-- Serialises schema changes between processes opening the same new store at once: the lock is
-- transaction-level, so it is released by the COMMIT or ROLLBACK of the migration, even if the process dies.
-- Keyed per schema, so stores in different schemas of one database do not wait for each other.
-- 1935897200 is 'scrp' in ASCII: a class id of our own, apart from other users of advisory locks.
SELECT pg_advisory_xact_lock(1935897200, hashtext(current_schema()));

-- name: current_schema
SELECT current_schema() AS name;

-- name: create_migrations_table
CREATE TABLE IF NOT EXISTS migrations (
    name       text PRIMARY KEY,
    applied_at timestamptz NOT NULL
);

-- name: applied_migrations
SELECT name, applied_at FROM migrations ORDER BY name;

-- name: record_migration
-- The database's clock, not Python's: migrations run while opening, before any unit of work has a `now`.
INSERT INTO migrations (name, applied_at) VALUES (%(name)s, clock_timestamp());

-- name: add_link
INSERT INTO frontier (url, site, source, title, published_at, next_attempt_at, discovered_at)
VALUES (%(url)s, %(site)s, %(source)s, %(title)s, %(published_at)s::timestamptz, %(now)s, %(now)s)
ON CONFLICT (url) DO NOTHING;

-- name: due_urls
-- New and retry URLs that are due first, oldest first; then, if recheck_before is given, done URLs last
-- checked before it, for a conditional GET.
--
-- Read-only, as the Store contract says: one process runs a pass (the `run` lock), so nothing needs claiming.
-- For several workers sharing the frontier, this is where claiming would go: `FOR UPDATE SKIP LOCKED` in a
-- transaction that also sets a `fetching` status with a lease, so each worker gets URLs no other holds and
-- never waits on another's rows (procrastinate's fetch_job works this way).
SELECT url, site, status, attempts, etag, last_modified, last_cause, last_error
FROM frontier
WHERE (%(site)s::text IS NULL OR site = %(site)s::text)
  AND ((status IN ('new', 'retry') AND next_attempt_at <= %(now)s)
       OR (status = 'done' AND checked_at < %(recheck_before)s::timestamptz))
ORDER BY status = 'done', CASE status WHEN 'done' THEN checked_at ELSE next_attempt_at END, url
LIMIT %(limit)s;

-- name: frontier_entry
SELECT url, site, status, attempts, etag, last_modified, last_cause, last_error FROM frontier WHERE url = %(url)s;

-- name: frontier_site_for_update
-- The row lock serialises two saves of one URL, so each sees the other's article and reports the right change
-- (SQLite gets the same from its single writer).
SELECT site FROM frontier WHERE url = %(url)s FOR UPDATE;

-- name: mark_fetched
UPDATE frontier
SET status = 'done', attempts = 0, last_cause = NULL, last_error = NULL,
    etag = %(etag)s, last_modified = %(last_modified)s, checked_at = %(now)s
WHERE url = %(url)s;

-- name: mark_unchanged
UPDATE frontier
SET status = 'done', attempts = 0, last_cause = NULL, last_error = NULL, checked_at = %(now)s
WHERE url = %(url)s;

-- name: mark_extracted
-- A re-clean that found an article in a stored page: the URL is done, whatever failed before.
UPDATE frontier
SET status = 'done', attempts = 0, last_cause = NULL, last_error = NULL
WHERE url = %(url)s;

-- name: mark_failed
UPDATE frontier
SET status = %(status)s, attempts = attempts + 1,
    next_attempt_at = coalesce(%(retry_at)s::timestamptz, next_attempt_at),
    last_cause = %(cause)s, last_error = %(message)s, checked_at = %(now)s
WHERE url = %(url)s;

-- name: reset_failed
-- Failed and retrying URLs back to new, due at now with no attempts counted, so the next run fetches them.
-- last_cause and last_error stay, as the record of why they had failed, until the next attempt replaces them.
UPDATE frontier
SET status = 'new', attempts = 0, next_attempt_at = %(now)s
WHERE status IN ('failed', 'retry')
  AND (%(site)s::text IS NULL OR site = %(site)s::text)
  AND (%(cause)s::text IS NULL OR last_cause = %(cause)s::text);

-- name: upsert_page
INSERT INTO pages (url, requested_url, final_url, status, content_type, etag, last_modified, headers, body,
                   body_size, fetched_at)
VALUES (%(url)s, %(requested_url)s, %(final_url)s, %(status)s, %(content_type)s, %(etag)s, %(last_modified)s,
        %(headers)s, %(body)s::bytea, %(body_size)s, %(fetched_at)s)
ON CONFLICT (url) DO UPDATE SET
    requested_url = excluded.requested_url, final_url = excluded.final_url, status = excluded.status,
    content_type = excluded.content_type, etag = excluded.etag, last_modified = excluded.last_modified,
    headers = excluded.headers, body = excluded.body, body_size = excluded.body_size,
    fetched_at = excluded.fetched_at;

-- name: page_site_for_update
-- Locks the frontier row like frontier_site_for_update: a reprocess and a fetch of one URL take turns.
SELECT f.site, p.requested_url
FROM pages AS p JOIN frontier AS f ON f.url = p.url
WHERE p.url = %(url)s
FOR UPDATE OF f;

-- name: article_row
SELECT canonical_url, article_url, article_site, title, author, date, dateline, language, paragraphs, tags,
       removed, content_hash
FROM articles
WHERE url = %(url)s;

-- name: upsert_article
INSERT INTO articles (url, site, requested_url, canonical_url, article_url, article_site, title, author, date,
                      dateline, language, paragraphs, tags, removed, removed_count, content_hash, rules_version,
                      extracted_at)
VALUES (%(url)s, %(site)s, %(requested_url)s, %(canonical_url)s, %(article_url)s, %(article_site)s, %(title)s,
        %(author)s, %(date)s, %(dateline)s, %(language)s, %(paragraphs)s::text[], %(tags)s::text[], %(removed)s,
        %(removed_count)s, %(content_hash)s, %(rules_version)s, %(extracted_at)s)
ON CONFLICT (url) DO UPDATE SET
    site = excluded.site, requested_url = excluded.requested_url, canonical_url = excluded.canonical_url,
    article_url = excluded.article_url, article_site = excluded.article_site, title = excluded.title,
    author = excluded.author, date = excluded.date, dateline = excluded.dateline, language = excluded.language,
    paragraphs = excluded.paragraphs, tags = excluded.tags, removed = excluded.removed,
    removed_count = excluded.removed_count, content_hash = excluded.content_hash,
    rules_version = excluded.rules_version, extracted_at = excluded.extracted_at;

-- name: touch_article
-- An identical re-clean: the article is current with these rules, and nothing else moves.
UPDATE articles SET rules_version = %(rules_version)s, requested_url = %(requested_url)s WHERE url = %(url)s;

-- name: articles_page
-- Keyset pagination, so no cursor stays open between batches (a writer may use the connection meanwhile).
-- The first batch has no key (after_time NULL).
SELECT a.url, a.site, a.requested_url, a.canonical_url, a.article_url, a.article_site, a.title, a.author, a.date,
       a.dateline, a.language, a.paragraphs, a.tags, a.removed, a.content_hash, a.rules_version, a.extracted_at,
       p.fetched_at
FROM articles AS a JOIN pages AS p ON p.url = a.url
WHERE (%(site)s::text IS NULL OR a.site = %(site)s::text)
  AND (%(since)s::timestamptz IS NULL OR p.fetched_at >= %(since)s::timestamptz)
  AND (%(after_time)s::timestamptz IS NULL
       OR (p.fetched_at, p.url) > (%(after_time)s::timestamptz, %(after_url)s::text))
ORDER BY p.fetched_at, p.url
LIMIT %(limit)s;

-- name: pages_page
SELECT p.url, f.site, p.requested_url, p.final_url, p.status, p.content_type, p.etag, p.last_modified, p.headers,
       p.body, p.fetched_at
FROM pages AS p JOIN frontier AS f ON f.url = p.url
WHERE p.body IS NOT NULL
  AND (%(site)s::text IS NULL OR f.site = %(site)s::text)
  AND p.url > %(after_url)s::text
ORDER BY p.url
LIMIT %(limit)s;

-- name: acquire_lock
-- Taken when free, expired, or already ours (which extends it); otherwise no row changes. ON CONFLICT makes
-- the check and the write one atomic step, so two runs racing for a free lock cannot both get it.
INSERT INTO locks (name, owner, acquired_at, expires_at)
VALUES (%(name)s, %(owner)s, %(now)s, %(expires_at)s)
ON CONFLICT (name) DO UPDATE SET
    owner = excluded.owner, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
WHERE locks.owner = excluded.owner OR locks.expires_at <= excluded.acquired_at;

-- name: release_lock
DELETE FROM locks WHERE name = %(name)s AND owner = %(owner)s;

-- name: lock_holder
SELECT name, owner, acquired_at, expires_at FROM locks WHERE name = %(name)s AND expires_at > %(now)s;

-- name: start_run
INSERT INTO runs (started_at) VALUES (%(now)s) RETURNING id;

-- name: finish_run
UPDATE runs SET finished_at = %(now)s, stats = %(stats)s WHERE id = %(id)s;

-- name: recent_runs
SELECT id, started_at, finished_at, stats FROM runs ORDER BY id DESC LIMIT %(limit)s;

-- name: site_frontier
SELECT site, count(*) AS urls,
       count(*) FILTER (WHERE status IN ('new', 'retry')) AS pending,
       max(checked_at) AS last_checked_at
FROM frontier
GROUP BY site
ORDER BY site;

-- name: site_articles
SELECT site, count(*) AS articles, sum(removed_count) AS removals FROM articles GROUP BY site;

-- name: site_failures
SELECT site, last_cause AS cause, count(*) AS urls
FROM frontier
WHERE status IN ('retry', 'failed') AND last_cause IS NOT NULL
GROUP BY site, last_cause;

-- name: resource_state
SELECT url, etag, last_modified, children, checked_at FROM discovery_resources WHERE url = %(url)s;

-- name: save_resource
INSERT INTO discovery_resources (url, etag, last_modified, children, checked_at)
VALUES (%(url)s, %(etag)s, %(last_modified)s, %(children)s::text[], %(checked_at)s)
ON CONFLICT (url) DO UPDATE SET
    etag = excluded.etag, last_modified = excluded.last_modified, children = excluded.children,
    checked_at = excluded.checked_at;

-- name: forget_learned
DELETE FROM learned_lines WHERE host = %(host)s;

-- name: add_learned
INSERT INTO learned_lines (host, line, pages, articles, learned_at)
VALUES (%(host)s, %(line)s, %(pages)s, %(articles)s, %(learned_at)s);

-- name: learned_lines
SELECT host, line, pages, articles, learned_at
FROM learned_lines
WHERE (%(host)s::text IS NULL OR host = %(host)s::text)
ORDER BY host, pages DESC, line;
