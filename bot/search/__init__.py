"""The search engine: route a question to library content, past questions and colleagues."""

from bot.search.changes import EXPERT, ITEM, QUESTION, SYNONYMS, note_change
from bot.search.embedding import Encoder, embedding_text
from bot.search.encoders import EncoderSpec, find_model, load_encoder
from bot.search.engine import MatchIndex
from bot.search.errors import CacheNotWritable, EncoderError, TokenizerMissing
from bot.search.live import LiveIndex
from bot.search.records import ExpertRecord, Explanation, Hit, ItemRecord, MatchResult, QuestionRecord
from bot.search.synonyms import parse_synonyms

__all__ = [
    "EXPERT", "ITEM", "QUESTION", "SYNONYMS", "CacheNotWritable", "Encoder", "EncoderError", "EncoderSpec",
    "ExpertRecord", "Explanation", "Hit", "ItemRecord", "LiveIndex", "MatchIndex", "MatchResult", "QuestionRecord",
    "TokenizerMissing", "embedding_text", "find_model", "load_encoder", "note_change", "parse_synonyms",
]
