"""scraper: a news scraper whose cleaner removes site noise and loses no sentence of the article.

>>> import scraper
>>> article = scraper.extract(html_bytes, url="https://www.liputan6.com/news/read/123/x")
>>> article.text, article.dateline, article.removed
"""

from __future__ import annotations

from scraper.cleaner import clean_text, extract
from scraper.errors import ExtractError, RulesError, ScraperError
from scraper.models import Article, Removal

__all__ = ["Article", "ExtractError", "Removal", "RulesError", "ScraperError", "clean_text", "extract"]
__version__ = "0.1.0"
