"""Why an encoder cannot be loaded as specified; the caller names the setting to fix."""

from __future__ import annotations

from pathlib import Path


class EncoderError(Exception):
    """An encoder of an EncoderSpec cannot be loaded."""


class CacheNotWritable(EncoderError):
    """The onnx runtime cannot write its exported model to ``cache_dir``."""

    def __init__(self, cache_dir: Path, reason: str) -> None:
        super().__init__(f"cannot write the exported model to {cache_dir} ({reason})")
        self.cache_dir, self.reason = cache_dir, reason


class TokenizerMissing(EncoderError):
    """The onnx runtime needs the fast tokenizer file ``file`` in the model directory ``model_dir``."""

    def __init__(self, model_dir: Path, file: str) -> None:
        super().__init__(f"the onnx runtime needs {file} in {model_dir}")
        self.model_dir, self.file = model_dir, file
