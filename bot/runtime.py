"""What every entry point needs, built from settings: database, clock, live index, Slack client, outbox."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings
from bot.progress import progress_bar
from bot.search.embedding import Encoder
from bot.search.encoders import EncoderSpec, find_model, load_encoder
from bot.search.errors import CacheNotWritable, TokenizerMissing
from bot.search.live import LiveIndex
from store.db import make_engine, session_factory, upgrade


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    index: LiveIndex


def open_runtime(settings: Settings, clock: Clock | None = None, *, migrate: bool = True,
                 load_index: bool = True) -> Runtime:
    """Connect to the database (applying migrations) and build the matching index from it."""
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    sessions = session_factory(engine)
    clock = clock or SystemClock()
    index = LiveIndex(sessions, threshold=settings.match_threshold, encoder=open_encoder(settings) if load_index else None,
                      progress=progress_bar)
    if load_index:
        index.load(clock.now())
    return Runtime(settings, engine, sessions, clock, index)


def encoder_spec(settings: Settings) -> EncoderSpec:
    """The embedding settings as the search engine takes them."""
    return EncoderSpec(settings.embedding_model, settings.embedding_runtime, settings.embedding_cache,
                       settings.embedding_threads)


def open_encoder(settings: Settings) -> Encoder | None:
    """The encoder for these settings, or None when semantic matching is off or unavailable.

    Raises ConfigError naming the setting to fix when the encoder cannot be loaded.
    """
    if not settings.semantic:
        return None
    try:
        return load_encoder(encoder_spec(settings))
    except CacheNotWritable as error:
        raise ConfigError(f"LEARNBOT_EMBEDDING_CACHE: {error}; point it at a writable directory") from None
    except TokenizerMissing as error:
        raise ConfigError(f"LEARNBOT_EMBEDDING_MODEL: {error}; set LEARNBOT_EMBEDDING_RUNTIME=transformer "
                          "for this model") from None


def describe_matcher(settings: Settings) -> str:
    """`hybrid (model, runtime)` when semantic matching is on, else `word+fuzzy` and why."""
    if not settings.semantic:
        return "word+fuzzy (LEARNBOT_SEMANTIC=off)"
    choice = find_model(encoder_spec(settings))
    if choice.path is None:
        return f"word+fuzzy ({choice.reason})"
    return f"hybrid ({choice.name}, {settings.embedding_runtime})"


def web_client(settings: Settings) -> WebClient:
    """A Web API client whose every call goes to SLACK_API_URL."""
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
