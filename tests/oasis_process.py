"""`oasis run` as a real subprocess, so that a test or a benchmark can kill it the way a crash does
(`kill -9`) and start it again on the same database, and the webhook Telegram posts updates to."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import IO, Any

import aiohttp

SETTING_PREFIXES = ("OASIS_", "TELEGRAM_", "SLACK_")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OasisProcess:
    """`settings` are the process's whole configuration: none of ours is inherited from the environment."""

    settings: dict[str, str]
    log: IO[str]
    http: aiohttp.ClientSession
    webhook_secret: str
    port: int = field(default_factory=free_port)
    proc: asyncio.subprocess.Process | None = None

    async def start(self, within: float = 30.0) -> float:
        """Start the server; returns when /healthz answered (time.monotonic())."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
        env.update(self.settings, OASIS_PORT=str(self.port))
        self.proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "run", env=env,
                                                         stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and self.proc.returncode is None:
            try:
                async with self.http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                    if response.status == 200:
                        return time.monotonic()
            except OSError:
                pass
            await asyncio.sleep(0.025)
        raise RuntimeError(f"the server did not come up; see {self.log.name}")

    async def kill(self) -> None:
        """SIGKILL: no shutdown of any kind, as when the machine or the OOM killer stops it."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()

    async def post(self, update: dict[str, Any]) -> int:
        """Post a Telegram update to the webhook; its HTTP status."""
        async with self.http.post(f"http://127.0.0.1:{self.port}/telegram/webhook", json=update,
                                  headers={"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret}) as response:
            await response.read()
            return response.status
