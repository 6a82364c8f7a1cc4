"""The bot's channels at start: Slack sends message and reaction events only from channels the bot is
in, so `learnbot run` joins each public channel it uses and checks it is in the private ones."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings

MEMBER = "member"
ROLES = {"help": "help_channel", "andon": "andon_channel", "digest": "digest_channel"}
HINTS = {  # what to do about each answer, for `learnbot config`, /healthz and the log
    "not_in_channel": "invite @learnbot",
    "channel_not_found": "check the ID, or invite @learnbot if the channel is private",
    "is_archived": "unarchive the channel or choose another one",
    "missing_scope": "reinstall the app from manifest.yml",
    "invalid_auth": "check SLACK_BOT_TOKEN",
}


def configured(settings: Settings) -> dict[str, str]:
    """Each role (help, andon, digest) with a channel set, and its channel ID."""
    return {role: getattr(settings, name) for role, name in ROLES.items() if getattr(settings, name)}


def channel_states(client: WebClient, settings: Settings, *, join: bool) -> dict[str, str]:
    """Each configured role's state: `member`, or Slack's error and what to do about it. With `join`
    the bot joins a public channel it is not in; without it nothing changes in Slack."""
    return {role: _state(client, channel, join) for role, channel in configured(settings).items()}


def _state(client: WebClient, channel: str, join: bool) -> str:
    try:
        info = client.conversations_info(channel=channel)["channel"]
        if info.get("is_member"):
            return MEMBER
        if info.get("is_archived"):
            return _problem("is_archived")
        if info.get("is_private") or not join:
            return _problem("not_in_channel")
        client.conversations_join(channel=channel)
        return MEMBER
    except SlackApiError as exc:
        return _problem(str(exc.response.get("error", "unknown")))
    except OSError as exc:
        return f"unreachable: cannot reach Slack ({exc})"


def _problem(error: str) -> str:
    return f"{error}: {HINTS[error]}" if error in HINTS else error
