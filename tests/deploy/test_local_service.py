"""The lifecycle and exit codes both throwaway servers share, on a real (tiny) server process:
Python's own HTTP server stands in for Kafka and PostgreSQL, which their own tests start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deploy import local_service as ls

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


class HttpError(RuntimeError):
    pass


SERVICE = ls.Service(
    prog="http_local",
    product="HTTP",
    noun="server",
    error=HttpError,
    env_names=("TEST_HTTP_URL",),
    serve_port=0,
    timeout=20,
    tail_lines=5,
    serve_ready="ready at {address} in {seconds:.1f}s (pid {pid}, log {log})",
    run_ready="ready at {address} in {seconds:.1f}s (pid {pid})",
)


class HttpServer(ls.ServerProcess):
    SERVICE = SERVICE

    def __init__(self, *, port: int = 0, keep_data: bool = False, exit_at_once: bool = False):
        super().__init__(port=port, keep_data=keep_data)
        self._exit_at_once = exit_at_once

    def _prepare(self) -> None:
        pass

    def _launch(self, port: int, deadline: float, timeout: float) -> str:
        root = self._new_dir("http-local-", "server.log")
        code = "raise SystemExit(3)" if self._exit_at_once else ""
        cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "http.server"]
        self._spawn([*cmd, str(port), "--bind", "127.0.0.1"], cwd=root)
        url = f"http://127.0.0.1:{port}/"

        def check() -> str | None:
            with urllib.request.urlopen(url, timeout=1) as response:
                return None if response.status == 200 else f"HTTP {response.status}"

        self._wait_ready(check, deadline=deadline, timeout=timeout, process="http.server",
                         interval=0.05)  # fmt: skip
        return url

    def _terminate(self, proc: subprocess.Popen[bytes], grace: float) -> None:
        if not ls.signal_and_wait(proc, signal.SIGTERM, grace):
            ls.signal_and_wait(proc, signal.SIGKILL, None)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_start_answers_and_stop_removes_process_and_files() -> None:
    server = HttpServer()
    url = server.start()
    pid, log = server.pid, server.log_path
    assert pid is not None
    assert log is not None
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
    server.stop()
    assert not _alive(pid)
    assert not log.parent.exists()
    assert server.pid is None
    server.stop()  # a second stop is a no-op


def test_keep_data_keeps_the_temp_dir(tmp_path: Path) -> None:
    with HttpServer(keep_data=True) as server:
        log = server.log_path
    assert log is not None
    assert log.exists()
    log.unlink()
    log.parent.rmdir()


def test_a_server_that_exits_while_starting_fails_with_its_code() -> None:
    server = HttpServer(exit_at_once=True)
    with pytest.raises(HttpError, match="exited with code 3 while starting"):
        server.start(timeout=10)
    assert server.pid is None


def test_a_taken_port_is_refused_before_launching() -> None:
    with HttpServer() as first:
        taken = first.port
        with pytest.raises(HttpError, match=f"127.0.0.1:{taken} is already in use"):
            HttpServer(port=taken).start()


def _run(command: list[str]) -> int:
    return ls.run(HttpServer(), command, SERVICE, timeout=20)


def test_run_gives_the_command_the_address_and_its_exit_code() -> None:
    check = "import os, sys; sys.exit(7 if os.environ['TEST_HTTP_URL'].startswith('http') else 1)"
    assert _run(["--", sys.executable, "-c", check]) == 7


def test_run_without_a_command_is_a_usage_error() -> None:
    assert _run(["--"]) == 2


def test_run_of_a_missing_program_is_127() -> None:
    assert _run(["/nonexistent/program"]) == 127


def test_run_reports_the_signal_that_ended_the_command() -> None:
    kill_self = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    assert _run([sys.executable, "-c", kill_self]) == 128 + signal.SIGKILL


def test_sigterm_stops_the_command_and_the_server_and_exits_143(tmp_path: Path) -> None:
    """The script as a whole: SIGTERM reaches the command, both stop, exit code 128+15."""
    script = tmp_path / "http_local.py"
    script.write_text(
        "import sys\n"
        f"sys.path[:0] = [{str(HERE)!r}, {str(ROOT)!r}]\n"
        "import test_local_service as t\n"
        "sys.exit(t._run(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    marker = tmp_path / "child-started"
    child = f"import pathlib, time; pathlib.Path({str(marker)!r}).touch(); time.sleep(60)"
    proc = subprocess.Popen(
        [sys.executable, str(script), sys.executable, "-c", child], stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the command did not start"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    assert proc.stderr is not None
    proc.stderr.close()


def test_serve_exits_1_when_the_server_exits_by_itself(capsys: pytest.CaptureFixture[str]) -> None:
    server = HttpServer()

    def kill_it() -> None:
        deadline = time.monotonic() + 20
        while server.pid is None or not server.running():
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)
        time.sleep(0.2)
        os.kill(server.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_it)
    killer.start()
    try:
        assert ls.serve(server, SERVICE, timeout=20) == 1
    finally:
        killer.join()
    out = capsys.readouterr()
    assert out.out.startswith("http://127.0.0.1:")
    assert "the server exited by itself with code -9" in out.err


def test_free_port_avoids_the_excluded_one() -> None:
    first = ls.free_port()
    assert ls.free_port(exclude=first) != first


def test_tail_of_a_missing_log_is_empty(tmp_path: Path) -> None:
    assert ls.tail(None, 5) == ""
    assert ls.tail(tmp_path / "none.log", 5) == ""
    log = tmp_path / "server.log"
    log.write_text("a\nb\nc\n", encoding="utf-8")
    assert ls.tail(log, 2) == "b\nc"


def test_dispatch_turns_the_scripts_error_into_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    parser, sub = ls.command_line(SERVICE, "test")
    ls.add_serve_and_run(sub, SERVICE, lambda args: HttpServer(exit_at_once=True))
    assert ls.dispatch(parser, ["run", "--", "true"], SERVICE) == 1
    assert capsys.readouterr().err.startswith("http_local: http.server exited with code 3")


def test_serve_stops_on_sigterm() -> None:
    """Signal handling lives in the process that calls serve: check it in a child process."""
    code = (
        "import sys\n"
        f"sys.path[:0] = [{str(HERE)!r}, {str(ROOT)!r}]\n"
        "import test_local_service as t\n"
        "sys.exit(t.ls.serve(t.HttpServer(), t.SERVICE, 20))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), proc.stderr.read()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert "stopping HTTP" in proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)
