"""Run a server as a child process on 127.0.0.1 until it answers its health URL; always stop it afterwards.

Used to start `rag serve` and llama.cpp's OpenAI-compatible server from the tests and bench/bench_load.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.core.errors import RagError
from rag.core.settings import ROOT


class ServerFailed(RagError):
    """A child server exited or did not become healthy in time."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rag_command(*args: str) -> list[str]:
    """The installed `rag` script (not `python -m`, under which plugin commands register elsewhere)."""
    return [str(Path(sys.executable).parent / "rag"), *args]


def rag_serve_command(port: int) -> list[str]:
    return rag_command("serve", "--host", "127.0.0.1", "--port", str(port))


def llama_server_command(model: Path, port: int, n_ctx: int = 2048, n_threads: int = 2) -> list[str]:
    """llama-cpp-python's OpenAI-compatible server (needs its extras: sse-starlette, starlette-context).

    It generates one answer at a time (no parallel slots; llama.cpp's own `llama-server --parallel N` or vLLM
    have them) and by default cuts a running stream short when the next request arrives: turned off here."""
    return [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"] + [
        "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(n_threads), "--seed", "0",
        "--interrupt_requests", "false",
    ]  # fmt: skip


def environ(overrides: dict[str, str]) -> dict[str, str]:
    """This process's environment with `overrides`; an empty value removes the variable."""
    return {k: v for k, v in (os.environ | overrides).items() if v or k not in overrides}


@contextmanager
def running(
    command: list[str], health_url: str, log: Path, env: dict[str, str] | None = None, timeout_s: float = 180
) -> Iterator[subprocess.Popen]:
    """The server process, once `health_url` answers 200; terminated (then killed) on the way out."""
    with open(log, "w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=environ(env or {}), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise ServerFailed(f"{' '.join(command[:4])} exited with {proc.returncode}: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise ServerFailed(f"{health_url} did not answer in {timeout_s:.0f} s: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(health_url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, timeout_s: float = 15) -> None:
    """Terminate a server process, killing it if it does not end within `timeout_s`."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
