"""`wismo serve` as users run it: a real process, signals, and roles split over Kafka."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.chat_client import Chat
from tests.helpers import ROOT, unique_prefix

SHUTDOWN_LIMIT_S = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Proc:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("w")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "router.cli", *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    def terminate_and_time(self) -> tuple[int, float]:
        start = time.monotonic()
        self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout=SHUTDOWN_LIMIT_S + 5)
        finally:
            self.handle.close()
        return code, time.monotonic() - start

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        self.handle.close()


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.kill()


async def wait_ready(port: int, proc: Proc) -> None:
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise AssertionError(f"process exited: {proc.log.read_text()[-2000:]}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"not ready: {proc.log.read_text()[-2000:]}")


def base_env(tmp_path: Path) -> dict[str, str]:
    return {
        "WISMO_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path}/wismo.db",
        "WISMO_CHANNELS__WEBCHAT__SESSION_SECRET": "process-test",
        "WISMO_LOG_FORMAT": "json",
    }


async def test_serve_demo_answers_and_stops_on_sigterm(tmp_path: Path, procs: list[Proc]) -> None:
    port = free_port()
    proc = Proc(["serve", "--demo", "--port", str(port)], base_env(tmp_path), tmp_path / "log")
    procs.append(proc)
    await wait_ready(port, proc)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/") as resp:
            assert resp.status == 200
            assert "chat.js" in await resp.text()
        chat = await Chat.open(http, port)
        reply = await chat.ask("Where is my order #1001? My email is alice@example.com")
        # SIGTERM while the socket is open and the next message is in flight.
        await chat.send("where is my order #1002? ben.carter@example.com")
        code, took = proc.terminate_and_time()
    assert "1ZXK3DEG0359083017" in reply["text"]
    assert code == 0
    assert took < SHUTDOWN_LIMIT_S
    log = proc.log.read_text()
    assert "service_stopped" in log
    assert "alice@example.com" not in log  # PII is masked in logs


@pytest.mark.kafka
async def test_roles_run_as_separate_processes_over_kafka(
    tmp_path: Path, procs: list[Proc], kafka_bootstrap: str
) -> None:
    env = {
        **base_env(tmp_path),
        "WISMO_BUS__BACKEND": "kafka",
        "WISMO_BUS__TOPIC_PREFIX": unique_prefix(),
        "WISMO_BUS__KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "WISMO_BUS__KAFKA__SESSION_TIMEOUT_MS": "6000",
        "WISMO_BUS__KAFKA__HEARTBEAT_INTERVAL_MS": "500",
    }
    edge_port, worker_port = free_port(), free_port()
    edge = Proc(
        ["serve", "--demo", "--roles", "ingest,dispatch", "--port", str(edge_port)],
        env,
        tmp_path / "edge.log",
    )
    procs.append(edge)
    await wait_ready(edge_port, edge)
    worker = Proc(
        ["serve", "--roles", "pipeline", "--port", str(worker_port)], env, tmp_path / "worker.log"
    )
    procs.append(worker)
    await wait_ready(worker_port, worker)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{worker_port}/") as resp:
            assert resp.status == 404  # the pipeline process serves no channel routes
        chat = await Chat.open(http, edge_port)
        reply = await chat.ask("Where is my order #1003? diego@example.com")
        await chat.close()
    assert "388853933638" in reply["text"]
    for proc in (worker, edge):
        code, took = proc.terminate_and_time()
        assert code == 0
        assert took < SHUTDOWN_LIMIT_S
    assert '"decided"' in worker.log.read_text()
    assert '"delivered"' in edge.log.read_text()
