"""Real services for the deployment tests, started by the test and stopped by PID: the Dagster daemon and
webserver, Celery workers, a Redis broker, nginx. Each writes its output to a log file that a failure shows."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv's scripts: dagster-daemon, dagster-celery (which calls celery)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Service:
    """A process in its own session (so that stopping it stops its children too)."""

    name: str
    args: list[str]
    env: dict[str, str]
    logs: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def log(self) -> Path:
        return self.logs / f"{self.name}.log"

    def start(self) -> Service:
        self.logs.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pids(self) -> set[int]:
        """This service's process and all its descendants (from /proc)."""
        if self.proc is None:
            return set()
        children: dict[int, list[int]] = {}
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(status.parent.name))
        found, todo = set(), [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.add(pid)
            todo += children.get(pid, [])
        return found

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with_group = os.getpgid(self.proc.pid)
        os.killpg(with_group, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(with_group, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return f"--- {self.name} ---\n" + "\n".join(text[-lines:])


def wait_until(condition: Callable[[], object], what: str, services: list[Service], timeout: float = 600) -> object:
    """Poll until ``condition`` is truthy; fail with the services' logs when one died or time ran out."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        dead = [s for s in services if not s.alive()]
        if dead or time.monotonic() > deadline:
            why = f"{', '.join(s.name for s in dead)} ended" if dead else f"no {what} within {timeout:g} s"
            raise AssertionError(f"{why} while waiting for {what}\n" + "\n".join(s.tail() for s in services))
        time.sleep(0.5)


def graphql(url: str, query: str, variables: dict | None = None, auth: tuple[str, str] | None = None) -> dict:
    resp = requests.post(url, json={"query": query, "variables": variables or {}}, auth=auth, timeout=30)
    resp.raise_for_status()
    body = resp.json()
    assert "errors" not in body, body
    return body["data"]
