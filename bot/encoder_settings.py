"""The search engine's encoder as the settings ask for it (bot.search itself reads no settings)."""

from __future__ import annotations

from bot.config import ConfigError, Settings
from bot.search.embedding import Encoder
from bot.search.encoders import EncoderSpec, find_model, load_encoder, stored_model_id
from bot.search.errors import CacheNotWritable, TokenizerMissing


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


def stored_model(settings: Settings) -> str | None:
    """The model id of the vectors semantic matching would use (without loading the model); None when off."""
    return stored_model_id(encoder_spec(settings)) if settings.semantic else None
