-- 0003_learned_lines: paragraphs learned as one host's noise because they recur across its stored articles
-- (scraper/learned.py). `scraper rules learn` replaces a host's lines as a whole; every pass and `reprocess`
-- apply them as the rule `learned:<host>`.

CREATE TABLE learned_lines (
    host       TEXT NOT NULL,                         -- the store's site: the host the articles came from
    line       TEXT NOT NULL,                         -- as first seen; matched whole, any case, any number
    pages      INTEGER NOT NULL CHECK (pages > 0),    -- distinct articles it was seen on
    articles   INTEGER NOT NULL CHECK (articles > 0), -- distinct articles of the host it was learned from
    learned_at TEXT NOT NULL,
    PRIMARY KEY (host, line)
);
