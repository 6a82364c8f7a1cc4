"""Settings, read once from the environment (and `.env`); a bad value fails at start, naming it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from sqlalchemy.engine import make_url

SLACK_API_DEFAULT = "https://slack.com/api/"
EMBEDDING_RUNTIMES = ("onnx", "transformer")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


class BadValue(ValueError):
    """Raised by a parser: the message says what is expected and what was given."""


def parse_duration(text: str) -> timedelta:
    """Parse `90s`, `30m`, `4h`, `2d` or `1w` into a timedelta."""
    m = _DURATION.match(text)
    if not m or int(m.group(1)) == 0:
        raise BadValue(f"a positive duration such as 90s, 30m, 4h or 2d, got {text!r}")
    return timedelta(seconds=int(m.group(1)) * _UNIT_SECONDS[m.group(2)])


DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def parse_cron(text: str) -> tuple[int, int, int]:
    """`mon 09:00` -> (weekday 0-6, hour, minute)."""
    try:
        day, clock = text.lower().split()
        hour, minute = (int(part) for part in clock.split(":"))
        if day[:3] not in DAYS or not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise BadValue(f"a day and a time such as 'mon 09:00', got {text!r}") from None
    return DAYS[day[:3]], hour, minute


def _cron(text: str) -> str:
    parse_cron(text)
    return " ".join(text.lower().split())


def format_duration(delta: timedelta) -> str:
    """The inverse of parse_duration, choosing the largest exact unit."""
    seconds = int(delta.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def _user_ids(text: str) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in text.split(",") if part.strip())
    bad = [i for i in ids if not _USER_ID.match(i)]
    if bad:
        raise BadValue(f"comma-separated Slack user IDs such as U012ABCDEF, got {bad[0]!r}")
    return ids


def _channel(text: str) -> str:
    text = text.strip()
    if not re.match(r"^[CGD][A-Z0-9]{2,}$", text):
        raise BadValue(f"a Slack channel ID such as C012ABCDEF, got {text!r}")
    return text


def _timezone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise BadValue(f"an IANA time zone name such as Europe/Paris, got {text!r}") from None


def _url(text: str) -> str:
    text = text.strip()
    if not re.match(r"^https?://[^\s/]+", text):
        raise BadValue(f"an http(s) URL, got {text!r}")
    return text if text.endswith("/") else text + "/"


def _database_url(text: str) -> str:
    text = text.strip()
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", text):
        raise BadValue(f"a sqlite:/// or postgresql+psycopg:// URL, got {text!r}")
    return text


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise BadValue(f"a number from 0 to 100, got {text!r}")
    return value


def _directory(text: str) -> Path:
    path = Path(text.strip()).expanduser()
    if not path.is_dir():
        raise BadValue(f"a directory holding a sentence-transformers model, got {text!r}")
    return path


def _path(text: str) -> Path:
    return Path(text.strip()).expanduser()


def _runtime(text: str) -> str:
    value = text.strip().lower()
    if value not in EMBEDDING_RUNTIMES:
        raise BadValue(f"{' or '.join(EMBEDDING_RUNTIMES)}, got {text!r}")
    return value


def _on_off(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("on", "off", "true", "false", "1", "0", "yes", "no"):
        raise BadValue(f"on or off, got {text!r}")
    return value in ("on", "true", "1", "yes")


def _positive_int(text: str) -> int:
    value = int(text) if text.strip().isdigit() else 0
    if value < 1:
        raise BadValue(f"a whole number of at least 1, got {text!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment. Secrets are masked by `describe()`."""

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = SLACK_API_DEFAULT
    database_url: str = "sqlite:///learnbot.db"
    help_channel: str | None = None
    andon_channel: str | None = None
    digest_channel: str | None = None
    managers: tuple[str, ...] = ()
    answer_sla: timedelta = timedelta(hours=4)
    timezone: ZoneInfo = ZoneInfo("UTC")
    match_threshold: float | None = None
    max_experts_pinged: int = 3
    max_pings_per_day: int = 5
    sweep_interval: timedelta = timedelta(seconds=60)
    course_threshold: int = 3
    course_window: timedelta = timedelta(days=14)
    andon_repeat: timedelta = timedelta(hours=24)
    digest_cron: str = "mon 09:00"
    semantic: bool = True  # use the hybrid matcher when the semantic extra is installed
    embedding_model: Path | None = None
    embedding_runtime: str = "onnx"  # docs/semantic.md: onnx (int8, exported once) or transformer (fp32)
    embedding_cache: Path = Path("~/.cache/learnbot").expanduser()  # where the onnx export is kept
    embedding_threads: int = 1
    share_days: int = 7  # how long approvers have to decide a share request

    def describe(self) -> dict[str, str]:
        """The effective settings as environment names and printable values, secrets masked."""
        out: dict[str, str] = {}
        for f in fields(self):
            env, _ = _SPEC[f.name]
            value = getattr(self, f.name)
            if f.name in _SECRETS:
                shown = _mask(value)
            elif isinstance(value, timedelta):
                shown = format_duration(value)
            elif isinstance(value, tuple):
                shown = ",".join(value) or "(none)"
            elif isinstance(value, bool):
                shown = "on" if value else "off"
            elif value is None:
                shown = "(not set)"
            elif f.name == "database_url":
                shown = make_url(value).render_as_string(hide_password=True)
            else:
                shown = str(value)
            out[env] = shown
        return out


def _mask(secret: str | None) -> str:
    if not secret:
        return "(not set)"
    return secret[:5] + "…" + "*" * 4 if len(secret) > 12 else "****"


_SECRETS = {"slack_bot_token", "slack_signing_secret", "slack_app_token"}

def _prefixed(prefix: str, what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text.strip().startswith(prefix):
            raise BadValue(f"{what} starting {prefix}, got a value starting {text.strip()[:5]!r}")
        return text.strip()

    return parse


# field name -> (environment variable, parser)
_SPEC: dict[str, tuple[str, Callable[[str], object]]] = {
    "slack_bot_token": ("SLACK_BOT_TOKEN", _prefixed("xoxb-", "a bot token")),
    "slack_signing_secret": ("SLACK_SIGNING_SECRET", str.strip),
    "slack_app_token": ("SLACK_APP_TOKEN", _prefixed("xapp-", "an app-level token")),
    "slack_api_url": ("SLACK_API_URL", _url),
    "database_url": ("DATABASE_URL", _database_url),
    "help_channel": ("LEARNBOT_HELP_CHANNEL", _channel),
    "andon_channel": ("LEARNBOT_ANDON_CHANNEL", _channel),
    "digest_channel": ("LEARNBOT_DIGEST_CHANNEL", _channel),
    "managers": ("LEARNBOT_MANAGERS", _user_ids),
    "answer_sla": ("LEARNBOT_ANSWER_SLA", parse_duration),
    "timezone": ("LEARNBOT_TIMEZONE", _timezone),
    "match_threshold": ("LEARNBOT_MATCH_THRESHOLD", _score),
    "max_experts_pinged": ("LEARNBOT_MAX_EXPERTS", _positive_int),
    "max_pings_per_day": ("LEARNBOT_MAX_PINGS_PER_DAY", _positive_int),
    "sweep_interval": ("LEARNBOT_SWEEP_INTERVAL", parse_duration),
    "course_threshold": ("LEARNBOT_COURSE_THRESHOLD", _positive_int),
    "course_window": ("LEARNBOT_COURSE_WINDOW", parse_duration),
    "andon_repeat": ("LEARNBOT_ANDON_REPEAT", parse_duration),
    "digest_cron": ("LEARNBOT_DIGEST_CRON", _cron),
    "semantic": ("LEARNBOT_SEMANTIC", _on_off),
    "embedding_model": ("LEARNBOT_EMBEDDING_MODEL", _directory),
    "embedding_runtime": ("LEARNBOT_EMBEDDING_RUNTIME", _runtime),
    "embedding_cache": ("LEARNBOT_EMBEDDING_CACHE", _path),
    "embedding_threads": ("LEARNBOT_EMBEDDING_THREADS", _positive_int),
    "share_days": ("LEARNBOT_SHARE_DAYS", _positive_int),
}


def load_settings(environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    """Read settings from `environ` (default: os.environ) over a `.env` file if one exists.

    Raises ConfigError with one line naming the variable and what is expected.
    """
    values: dict[str, str | None] = {}
    if dotenv is not None and dotenv.is_file():
        values.update(dotenv_values(dotenv))
    values.update(os.environ if environ is None else environ)
    kwargs: dict[str, object] = {}
    for name, (env, parse) in _SPEC.items():
        raw = values.get(env)
        if raw is None or raw.strip() == "":
            continue
        try:
            kwargs[name] = parse(raw)
        except BadValue as exc:
            raise ConfigError(f"{env}: expected {exc}") from None
    return Settings(**kwargs)  # type: ignore[arg-type]
