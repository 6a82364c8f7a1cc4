"""The real encoder for tests (the packaged model: nothing is downloaded), and a wrapper that counts
what it embeds."""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import pytest

from bot.config import Settings
from bot.encoder_settings import encoder_spec, open_encoder
from bot.search.encoders import find_model


def real_encoder(runtime: str) -> Any:
    """The real encoder of ``runtime``; skip without the extra (fail under CI, which installs it)."""
    settings = Settings(embedding_runtime=runtime)
    found = open_encoder(settings)
    if found is None:
        reason = f"semantic extra not available: {find_model(encoder_spec(settings)).reason}"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the semantic tests: {reason}")
        pytest.skip(reason)
    return found


class Counting:
    """An encoder wrapper that counts the documents it embeds and can pretend to be another model."""

    def __init__(self, inner: Any, model_id: str | None = None) -> None:
        self.inner, self.name, self.dimension = inner, inner.name, inner.dimension
        self.model_id = model_id or inner.model_id
        self.documents = 0

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Any:
        self.documents += len(texts)
        return self.inner.encode(texts, progress)

    def encode_documents(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Any:
        self.documents += len(texts)
        return self.inner.encode_documents(texts, progress)

    def encode_query(self, text: str) -> Any:
        return self.inner.encode_query(text)
