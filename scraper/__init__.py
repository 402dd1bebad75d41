"""scraper: a news scraper whose cleaner removes site noise and loses no sentence of the article.

>>> import scraper
>>> article = scraper.extract(html_bytes, url="https://www.liputan6.com/news/read/123/x")
>>> article.text, article.dateline, article.removed
"""

from __future__ import annotations

import os

# The language detector's matrix products are tiny: a BLAS thread per core (numpy's default) only costs memory,
# contends with the cleaning workers, and is one more thread a Ctrl-C can land on. Set before numpy loads; a
# value the user set, or a numpy already loaded, wins.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from scraper.cleaner import clean_text, extract  # noqa: E402
from scraper.errors import ExtractError, RulesError, ScraperError  # noqa: E402
from scraper.models import Article, Removal  # noqa: E402

__all__ = ["Article", "ExtractError", "Removal", "RulesError", "ScraperError", "clean_text", "extract"]
__version__ = "0.1.0"
