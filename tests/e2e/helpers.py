"""Running the real `learnbot` command as a separate process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

LEARNBOT = [sys.executable, "-m", "bot.run.cli"]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: nothing from the developer's shell or .env leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEARNBOT_", "DATABASE_URL"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'learnbot.db'}", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def learnbot(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """Run `learnbot ARGS` to completion in `tmp_path`."""
    return subprocess.run([*LEARNBOT, *args], input=stdin, capture_output=True, text=True, cwd=tmp_path,
                          env=env_for(tmp_path, **env), timeout=120)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(port: int, process: subprocess.Popen[str], timeout: float = 30.0) -> dict[str, object]:
    """Poll /healthz until it answers; fail early if the process died."""
    import json

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"learnbot run exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return dict(json.loads(response.read()))
        except OSError:
            time.sleep(0.1)
    raise AssertionError("learnbot run did not become healthy")
