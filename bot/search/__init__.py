"""The search engine: route a question to library content, past questions and colleagues."""

# Only the word matcher's API: importing it loads neither SQLAlchemy nor numpy. The live index
# (bot.search.live), the change log (bot.search.changes) and the encoders (bot.search.encoders) are
# imported from their modules.
from bot.search.engine import MatchIndex
from bot.search.records import (ALL_AUDIENCES, Audiences, ExpertRecord, Explanation, Hit, ItemRecord, MatchResult,
                                QuestionRecord)
from bot.search.synonyms import parse_synonyms
from bot.search.text import embedding_text

__all__ = ["ALL_AUDIENCES", "Audiences", "ExpertRecord", "Explanation", "Hit", "ItemRecord", "MatchIndex",
           "MatchResult", "QuestionRecord", "embedding_text", "parse_synonyms"]
