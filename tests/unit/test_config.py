"""bot/config.py: defaults, parsing of every variable, one-line errors, `.env`, and `describe()`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import (
    SLACK_API_DEFAULT,
    ConfigError,
    Settings,
    format_duration,
    load_settings,
    parse_duration,
)

TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
SECRET = "8f14e45fceea167a5a36dedd4bea2543"
APP_TOKEN = "xapp-1-A0123456789-1234567890-abcdefabcdef"


def load(env: dict[str, str], dotenv: Path | None = None) -> Settings:
    """Settings from exactly `env` (never the real environment, never the cwd's `.env`)."""
    return load_settings(env, dotenv=dotenv)


def test_defaults_when_nothing_is_set() -> None:
    settings = load({})

    assert settings.database_url == "sqlite:///learnbot.db"
    assert settings.answer_sla == timedelta(hours=4)
    assert settings.timezone == ZoneInfo("UTC")
    assert settings.slack_api_url == SLACK_API_DEFAULT
    assert settings.managers == ()
    assert settings.help_channel is None and settings.andon_channel is None and settings.digest_channel is None
    assert settings.slack_bot_token is None and settings.slack_signing_secret is None
    assert settings.match_threshold is None
    assert settings.max_experts_pinged == 3


def test_blank_values_fall_back_to_defaults() -> None:
    settings = load({"DATABASE_URL": "  ", "LEARNBOT_ANSWER_SLA": "", "LEARNBOT_MANAGERS": ""})

    assert settings.database_url == "sqlite:///learnbot.db"
    assert settings.answer_sla == timedelta(hours=4)
    assert settings.managers == ()


def test_every_variable_is_parsed() -> None:
    settings = load({
        "SLACK_BOT_TOKEN": f" {TOKEN} ",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": "http://127.0.0.1:8123/api",
        "DATABASE_URL": "postgresql+psycopg://bot@db.internal:5432/learnbot",
        "LEARNBOT_HELP_CHANNEL": "C012HELP",
        "LEARNBOT_ANDON_CHANNEL": " G0ANDON ",
        "LEARNBOT_DIGEST_CHANNEL": "C0DIGEST",
        "LEARNBOT_MANAGERS": "U012ABCDEF, W0BOSS ,,U0THIRD",
        "LEARNBOT_ANSWER_SLA": "30m",
        "LEARNBOT_TIMEZONE": "Europe/Paris",
        "LEARNBOT_MATCH_THRESHOLD": "62.5",
        "LEARNBOT_MAX_EXPERTS": "5",
        "LEARNBOT_SHARE_DAYS": "14",
        "LEARNBOT_EMBEDDING_RUNTIME": " Transformer ",
        "LEARNBOT_EMBEDDING_CACHE": "/var/cache/learnbot",
    })

    assert settings.slack_bot_token == TOKEN
    assert settings.slack_signing_secret == SECRET
    assert settings.slack_app_token == APP_TOKEN
    assert settings.slack_api_url == "http://127.0.0.1:8123/api/"
    assert settings.database_url == "postgresql+psycopg://bot@db.internal:5432/learnbot"
    assert settings.help_channel == "C012HELP"
    assert settings.andon_channel == "G0ANDON"
    assert settings.digest_channel == "C0DIGEST"
    assert settings.managers == ("U012ABCDEF", "W0BOSS", "U0THIRD")
    assert settings.answer_sla == timedelta(minutes=30)
    assert settings.share_days == 14
    assert settings.timezone == ZoneInfo("Europe/Paris")
    assert settings.match_threshold == 62.5
    assert settings.max_experts_pinged == 5
    assert settings.embedding_runtime == "transformer"
    assert settings.embedding_cache == Path("/var/cache/learnbot")


@pytest.mark.parametrize(("text", "expected"), [
    ("90s", timedelta(seconds=90)),
    ("30m", timedelta(minutes=30)),
    ("4h", timedelta(hours=4)),
    (" 2d ", timedelta(days=2)),
    ("1w", timedelta(weeks=1)),
])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert load({"LEARNBOT_ANSWER_SLA": text}).answer_sla == expected


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(seconds=90), "90s"),
    (timedelta(minutes=30), "30m"),
    (timedelta(hours=4), "4h"),
    (timedelta(days=2), "2d"),
    (timedelta(weeks=1), "1w"),
    (timedelta(hours=36), "36h"),
])
def test_format_duration_is_the_inverse_of_parse(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text
    assert parse_duration(format_duration(delta)) == delta


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("LEARNBOT_ANSWER_SLA", "4 hours", "duration"),
    ("LEARNBOT_ANSWER_SLA", "0h", "duration"),
    ("LEARNBOT_ANSWER_SLA", "-5m", "duration"),
    ("LEARNBOT_MANAGERS", "U012ABCDEF,bob", "user ID"),
    ("LEARNBOT_TIMEZONE", "Mars/Olympus_Mons", "time zone"),
    ("LEARNBOT_TIMEZONE", "../etc/passwd", "time zone"),
    ("LEARNBOT_HELP_CHANNEL", "#help", "channel ID"),
    ("LEARNBOT_ANDON_CHANNEL", "c0lower", "channel ID"),
    ("LEARNBOT_DIGEST_CHANNEL", "U012ABCDEF", "channel ID"),
    ("DATABASE_URL", "mysql://localhost/learnbot", "sqlite"),
    ("SLACK_API_URL", "ftp://slack.example.com", "URL"),
    ("LEARNBOT_MATCH_THRESHOLD", "high", "0 to 100"),
    ("LEARNBOT_MATCH_THRESHOLD", "150", "0 to 100"),
    ("LEARNBOT_MAX_EXPERTS", "0", "at least 1"),
    ("LEARNBOT_MAX_EXPERTS", "three", "at least 1"),
    # A value that happens to contain "got" must still be told what is expected.
    ("LEARNBOT_MAX_EXPERTS", "forgot", "at least 1"),
    ("SLACK_BOT_TOKEN", "xoxp-user-token", "xoxb-"),
    ("SLACK_APP_TOKEN", "xoxb-not-an-app-token", "xapp-"),
    ("LEARNBOT_EMBEDDING_RUNTIME", "gpu", "onnx or transformer"),
    ("LEARNBOT_SHARE_DAYS", "0", "at least 1"),
    ("LEARNBOT_SHARE_DAYS", "1w", "at least 1"),
])
def test_bad_value_names_the_variable_and_what_is_expected(variable: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load({variable: value})

    message = str(raised.value)
    assert message.startswith(f"{variable}: expected")
    assert expected in message
    assert "\n" not in message


def test_dotenv_file_is_read_and_the_environment_overrides_it(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# local settings\n"
        f"SLACK_BOT_TOKEN={TOKEN}\n"
        "LEARNBOT_HELP_CHANNEL=C0FROMFILE\n"
        "LEARNBOT_ANSWER_SLA=2h\n"
        'LEARNBOT_TIMEZONE="America/New_York"\n'
    )

    settings = load({"LEARNBOT_HELP_CHANNEL": "C0FROMENV"}, dotenv=dotenv)

    assert settings.slack_bot_token == TOKEN
    assert settings.help_channel == "C0FROMENV"
    assert settings.answer_sla == timedelta(hours=2)
    assert settings.timezone == ZoneInfo("America/New_York")


def test_bad_value_in_dotenv_is_reported(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("LEARNBOT_ANSWER_SLA=soon\n")

    with pytest.raises(ConfigError, match=r"^LEARNBOT_ANSWER_SLA: expected .*duration"):
        load({}, dotenv=dotenv)


def test_missing_dotenv_file_is_fine(tmp_path: Path) -> None:
    assert load({}, dotenv=tmp_path / "absent.env") == Settings()


def test_describe_masks_secrets_and_shows_durations() -> None:
    settings = load({
        "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_APP_TOKEN": APP_TOKEN,
        "LEARNBOT_MANAGERS": "U0AAA,U0BBB", "LEARNBOT_TIMEZONE": "Europe/Paris",
    })

    described = settings.describe()
    printed = "\n".join(f"{k} {v}" for k, v in described.items())

    for secret in (TOKEN, SECRET, APP_TOKEN):
        assert secret not in printed
    assert described["SLACK_BOT_TOKEN"] != TOKEN and described["SLACK_BOT_TOKEN"].startswith("xoxb-")
    assert described["LEARNBOT_ANSWER_SLA"] == "4h"
    assert described["LEARNBOT_MANAGERS"] == "U0AAA,U0BBB"
    assert described["LEARNBOT_TIMEZONE"] == "Europe/Paris"
    assert described["DATABASE_URL"] == "sqlite:///learnbot.db"
    assert described["LEARNBOT_HELP_CHANNEL"] == "(not set)"
    assert set(described) >= {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL",
                              "LEARNBOT_ANSWER_SLA", "LEARNBOT_TIMEZONE", "LEARNBOT_MAX_EXPERTS"}


def test_describe_masks_short_secrets_entirely() -> None:
    described = Settings(slack_signing_secret="abc123").describe()

    assert described["SLACK_SIGNING_SECRET"] == "****"
    assert Settings().describe()["SLACK_BOT_TOKEN"] == "(not set)"


def test_describe_hides_the_database_password() -> None:
    """`learnbot config` prints describe(): a password in DATABASE_URL is a secret too."""
    settings = load({"DATABASE_URL": "postgresql+psycopg://learnbot:s3cr3t-Pa55@db.internal:5432/learnbot"})

    shown = settings.describe()["DATABASE_URL"]

    assert "s3cr3t-Pa55" not in shown
    assert "db.internal" in shown
