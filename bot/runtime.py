"""What every entry point needs, built from settings: database, clock, live index, Slack client, outbox."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.encoder_settings import open_encoder
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
    """Connect to the database (applying migrations) and build the matching index from it (with the
    stored vectors: nothing is embedded here, see bot.search.embedder)."""
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    sessions = session_factory(engine)
    clock = clock or SystemClock()
    index = LiveIndex(sessions, threshold=settings.match_threshold, encoder=open_encoder(settings) if load_index else None)
    if load_index:
        index.load(clock.now())
    return Runtime(settings, engine, sessions, clock, index)


def web_client(settings: Settings) -> WebClient:
    """A Web API client whose every call goes to SLACK_API_URL."""
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
