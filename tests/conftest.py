"""Shared fixtures: databases (SQLite always, PostgreSQL when LEARNBOT_TEST_DATABASE_URL is set),
a settable clock, the local fake Slack, and a harness that sends signed requests into the real app."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.clock import ManualClock
from bot.config import Settings
from bot.encoder_settings import open_encoder
from bot.local.slack import LocalSlack
from tests.harness import Harness

PG_URL = os.environ.get("LEARNBOT_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


def reset_postgres(url: str) -> None:
    """An empty public schema, so each test starts from the real migrations."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def pytest_report_header() -> str:
    if PG_URL:
        return "PostgreSQL tests: on (LEARNBOT_TEST_DATABASE_URL is set)"
    return "PostgreSQL tests: skipped, set LEARNBOT_TEST_DATABASE_URL to an empty database to run them"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'learnbot.db'}"
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: set LEARNBOT_TEST_DATABASE_URL")
        pytest.skip("PostgreSQL tests need LEARNBOT_TEST_DATABASE_URL (CI sets it)")
    reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'learnbot.db'}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    server = LocalSlack(users={"U0ALICE": "alice", "U0BOB": "bob"}).start()
    yield server
    server.stop()


def make_settings(database_url: str, slack: LocalSlack, **overrides: object) -> Settings:
    values: dict[str, object] = dict(
        slack_bot_token="xoxb-test", slack_signing_secret=Harness.SECRET, slack_api_url=slack.api_url,
        database_url=database_url, help_channel="C0HELP", andon_channel="C0ANDON", digest_channel="C0DIGEST",
        managers=("U0MANAGER",),
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session", autouse=True)
def embedding_model() -> None:
    """With the semantic extra, load the default encoder once up front: on a cold cache the onnx
    runtime exports its model first (about 15 s), which must not eat a subprocess test's timeout."""
    open_encoder(Settings())


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**values): override Settings fields for the settings fixture")


@pytest.fixture
def settings(request: pytest.FixtureRequest, database_url: str, slack: LocalSlack) -> Settings:
    """The tests' settings, with the overrides of a `settings` marker."""
    marker = request.node.get_closest_marker("settings")
    return make_settings(database_url, slack, **(marker.kwargs if marker else {}))


@pytest.fixture
def bot(settings: Settings, slack: LocalSlack, clock: ManualClock) -> Iterator[Harness]:
    harness = Harness(settings, slack, clock)
    yield harness
    harness.runtime.engine.dispose()
