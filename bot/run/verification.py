"""Slack request signatures, checked strictly: a malformed header is a 401 like a wrong one, never a 500.

slack_sdk's verifier trusts the header's shape: `int()` of an empty, float or non-numeric timestamp
raises, and so does comparing a non-ASCII signature. Here anything that is not a plain ASCII number
and an ASCII signature is refused before the HMAC is computed.
"""

from __future__ import annotations

from slack_bolt.middleware.request_verification import RequestVerification
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
