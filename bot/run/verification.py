"""Slack requests at the door: a body Bolt cannot read is a 400, a malformed signature header a 401
like a wrong one; neither is ever a 500.

slack_sdk's verifier trusts the header's shape: `int()` of an empty, float or non-numeric timestamp
raises, and so does comparing a non-ASCII signature. Here anything that is not a plain ASCII number
and an ASCII signature is refused before the HMAC is computed.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from slack_bolt import BoltRequest
from slack_bolt.middleware.request_verification import RequestVerification
from slack_bolt.request import payload_utils as bolt
from slack_sdk.signature import SignatureVerifier

MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970 have 10 digits until the year 2286


class StrictSignatureVerifier(SignatureVerifier):
    def is_valid(self, body: str | bytes, timestamp: str, signature: str) -> bool:
        if not (isinstance(timestamp, str) and timestamp.isascii() and timestamp.isdigit()
                and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
            return False
        if not (isinstance(signature, str) and signature.isascii() and signature.startswith("v0=")):
            return False
        return super().is_valid(body, timestamp, signature)


class StrictRequestVerification(RequestVerification):
    """Bolt's request verification with the strict verifier (give it as `before_authorize`)."""

    @property
    def verifier(self) -> SignatureVerifier:
        if self._verifier is None:
            self._verifier = StrictSignatureVerifier(signing_secret=self._signing_secret)
        return self._verifier


def readable(raw: bytes, headers: Mapping[str, str | Sequence[str]]) -> bool:
    """Whether Bolt can read `raw`: UTF-8 that parses, as Bolt parses it, into an object whose parts
    (event, action, view, ...) Bolt can take apart before any middleware of ours sees them."""
    try:
        body = BoltRequest(body=raw.decode("utf-8"), headers=dict(headers)).body
        if not isinstance(body, dict) or not isinstance(body.get("event", {}), dict):
            return False
        for part in (bolt.to_options, bolt.to_shortcut, bolt.to_action, bolt.to_view, bolt.to_command,
                     bolt.to_event, bolt.to_message, bolt.to_step):
            part(body)
    except Exception:  # noqa: BLE001 - Bolt raises whatever a malformed shape trips over: the sender's fault
        return False
    return True
