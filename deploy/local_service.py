"""What the throwaway local servers in deploy/ have in common: kafka_local.py (a Kafka broker)
and pg_local.py (a PostgreSQL server).

Both are stdlib-only scripts that run as plain files, from any directory, without being
installed; so is this module (each script puts the checkout's root on ``sys.path`` and imports
``deploy.local_service``). Keeping the lifecycle and the ``serve``/``run`` commands here means
the two servers start, report failures, handle signals, stop and pick exit codes the same way:

- ``Service``: what tells the two apart (names, messages, defaults);
- ``ServerProcess``: the lifecycle of one server process on 127.0.0.1 with a temp dir of its
  own; ``KafkaBroker`` and ``PostgresServer`` fill in how to launch and probe theirs;
- ``serve`` and ``run`` for any ``LocalServer``, and ``add_serve_and_run`` for the command
  line;
- small helpers: ports, the log tail in error messages, reading a wire protocol.
"""

from __future__ import annotations

import abc
import argparse
import atexit
import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import ClassVar, NoReturn, Protocol, Self


class LocalServer(Protocol):
    """A server on 127.0.0.1 in a process of its own: what ``serve`` and ``run`` need of it."""

    @property
    def pid(self) -> int | None:
        """The server process, while it runs."""

    @property
    def log_path(self) -> Path | None:
        """Its log file, shown to the user (it is gone after ``stop()``)."""

    def start(self, timeout: float) -> str:
        """Start it and wait until it answers; return the address clients use."""

    def stop(self) -> None:
        """Stop it by pid and remove its files; a no-op once it is stopped."""

    def wait(self) -> int:
        """Block until the server process exits; return its exit code."""


@dataclass(frozen=True, slots=True)
class Service:
    """What tells the two scripts and their servers apart: names, messages and defaults.

    ``serve_ready`` and ``run_ready`` are the lines the commands print to stderr once the server
    answers: ``str.format`` templates with the fields ``address``, ``seconds`` (the time it took
    to start), ``pid`` and ``log``.
    """

    prog: str  # "kafka_local": the first word of the script's messages
    product: str  # "Kafka": "stopping Kafka ...", "is another Kafka running?"
    noun: str  # "broker": "the Kafka broker is not running", "the broker exited by itself"
    error: type[Exception]  # the script's own failure: "prog: message", exit code 1
    env_names: tuple[str, ...]  # what ``run`` sets to the server's address for the command
    serve_port: int  # ``serve --port``'s default; ``run`` picks a free port
    timeout: float  # how long a start may take by default, in seconds
    tail_lines: int  # how much of the server log an error message shows
    serve_ready: str
    run_ready: str


@dataclass(frozen=True, slots=True)
class RunAs:
    """The environment and the account a server's processes run with (None: ours)."""

    env: Mapping[str, str] | None = None
    user: int | None = None
    group: int | None = None
    extra_groups: list[int] | None = None


# --------------------------------------------------------------------------- ports and logs


def free_port(exclude: int = 0) -> int:
    """A TCP port on 127.0.0.1 that is free now (and is not ``exclude``). Another process may
    take it before the server binds it: ``ServerProcess.start`` retries then."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port != exclude:
            return port


def check_port_free(port: int, *, product: str, error: type[Exception]) -> None:
    """Raise ``error`` when a port the user asked for is taken: a clearer message, and sooner,
    than the server's own failure to bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise error(
                f"127.0.0.1:{port} is already in use ({exc.strerror}); is another {product} "
                "running? Stop it or pick another port (0 = any free port)"
            ) from None


def tail(path: Path | None, lines: int) -> str:
    """The last lines of a server log, for error messages ("" when there is none): the log
    says why a server failed, and it is deleted when the server stops."""
    if path is None:
        return ""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def recv_exact(sock: socket.socket, size: int, peer: str = "server") -> bytes:
    """Exactly ``size`` bytes (``recv`` may return fewer), for the readiness probes that speak
    a server's wire protocol; ``ConnectionError`` when the ``peer`` closes the connection."""
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ConnectionError(f"connection closed by the {peer}")
        buf += chunk
    return bytes(buf)


# --------------------------------------------------------------------------- server process

_live: weakref.WeakSet[ServerProcess] = weakref.WeakSet()


@atexit.register
def _stop_live_servers() -> None:
    """A server its user forgot to stop must not outlive the tests or script that started it."""
    for server in list(_live):
        server.stop()


class ServerProcess(abc.ABC):
    """One server process on 127.0.0.1 with a temp dir of its own, gone after ``stop()``.

    ``start`` picks a free port (or checks the one asked for), calls ``_launch`` and retries
    with another port when the one it picked was taken before the server bound it. The server
    runs in a session of its own, so a terminal's Ctrl-C reaches only the script, which stops
    it in order; servers still running when the interpreter exits are stopped then.

    A subclass sets ``SERVICE`` and implements ``_prepare``, ``_launch`` and ``_terminate``,
    using ``_new_dir``, ``_run_logged``, ``_spawn``, ``_wait_ready`` and ``_fail``.
    """

    SERVICE: ClassVar[Service]

    def __init__(self, *, port: int, keep_data: bool) -> None:
        """``port=0`` picks a free port; ``keep_data`` keeps the temp dir after ``stop()``."""
        self._requested_port = port
        self._keep_data = keep_data
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._log_path: Path | None = None
        self._port: int | None = None

    # -- properties

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1 of the running server."""
        if self._port is None:
            raise RuntimeError(f"the {self._name} is not running")
        return self._port

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path | None:
        """The server's output, inside the temp dir."""
        return self._log_path

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def _name(self) -> str:
        return f"{self.SERVICE.product} {self.SERVICE.noun}"  # "Kafka broker"

    # -- context manager

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- lifecycle

    def start(self, timeout: float | None = None) -> str:
        """Launch the server in a fresh temp dir, wait until it answers, return its address.

        ``timeout`` defaults to ``SERVICE.timeout``; ``_prepare`` (finding or fetching what the
        server needs) is not counted in it. Raises ``SERVICE.error``, with the end of the
        server log, when the server does not start.
        """
        if self._proc is not None:
            raise RuntimeError(f"the {self._name} is already started")
        self._prepare()
        attempts = 3 if self._requested_port == 0 else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._start_once(self.SERVICE.timeout if timeout is None else timeout)
            except self.SERVICE.error as exc:
                # A port picked as free may have been taken before the server bound it.
                if attempt == attempts or "Address already in use" not in str(exc):
                    raise
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        try:
            port = self._requested_port or free_port()
            if self._requested_port:
                check_port_free(port, product=self.SERVICE.product, error=self.SERVICE.error)
            self._port = port
            return self._launch(port, deadline, timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, grace: float = 10) -> None:
        """Stop the server by its pid (``_terminate``, which gives it ``grace`` seconds before
        harsher means) and remove the temp dir unless ``keep_data``. Safe to call again."""
        proc, self._proc = self._proc, None
        self._port = None
        _live.discard(self)
        # Popen has not reaped the child before poll() says it exited, so the pid is still ours.
        if proc is not None and proc.poll() is None:
            self._terminate(proc, grace)
        if self._dir is not None and not self._keep_data:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
            self._log_path = None

    def wait(self) -> int:
        """Block until the server process exits; return its exit code."""
        if self._proc is None:
            raise RuntimeError(f"the {self._name} is not running")
        return self._proc.wait()

    # -- for subclasses

    @abc.abstractmethod
    def _prepare(self) -> None:
        """Once per ``start``, before the first attempt: find or fetch what the server needs."""

    @abc.abstractmethod
    def _launch(self, port: int, deadline: float, timeout: float) -> str:
        """Make the temp dir (``_new_dir``), start the server on ``port`` (``_spawn``), wait
        until it answers (``_wait_ready``) and return the address clients use; by ``deadline``,
        which is ``timeout`` seconds after the start. On failure ``stop()`` is called."""

    @abc.abstractmethod
    def _terminate(self, proc: subprocess.Popen[bytes], grace: float) -> None:
        """Stop the running server process and reap it."""

    def _new_dir(self, prefix: str, log_name: str, parent: str | None = None) -> Path:
        """A fresh temp dir for the server's files, with the log file ``log_name`` in it."""
        self._dir = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        self._log_path = self._dir / log_name
        return self._dir

    def _run_logged(
        self,
        what: str,
        cmd: Sequence[str],
        *,
        cwd: Path,
        deadline: float,
        run_as: RunAs | None = None,
    ) -> None:
        """Run a setup step (``what``) to its end, its output to the log; fail when it fails or
        outlasts the deadline."""
        assert self._log_path is not None
        run_as = run_as or RunAs()
        try:
            with self._log_path.open("ab") as log:
                proc = subprocess.run(  # noqa: S603 - fixed command line
                    cmd,
                    cwd=cwd,
                    env=run_as.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=max(deadline - time.monotonic(), 1.0),
                    check=False,
                    user=run_as.user,
                    group=run_as.group,
                    extra_groups=run_as.extra_groups,
                )
        except subprocess.TimeoutExpired:
            self._fail(f"{what} timed out")
        if proc.returncode != 0:
            self._fail(f"{what} failed (exit {proc.returncode})")

    def _spawn(
        self,
        cmd: Sequence[str],
        *,
        cwd: Path,
        run_as: RunAs | None = None,
    ) -> None:
        """Start the server process, its output to the log, in a session of its own."""
        assert self._log_path is not None
        run_as = run_as or RunAs()
        with self._log_path.open("ab") as log:
            self._proc = subprocess.Popen(  # noqa: S603 - fixed command line
                cmd,
                cwd=cwd,
                env=run_as.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own session: a terminal's Ctrl-C skips it
                user=run_as.user,
                group=run_as.group,
                extra_groups=run_as.extra_groups,
            )
        _live.add(self)

    def _wait_ready(
        self,
        check: Callable[[], str | None],
        *,
        deadline: float,
        timeout: float,
        process: str,
        interval: float,
    ) -> None:
        """Call ``check`` every ``interval`` seconds until it returns None: our server answers
        (not another one on that port). Else it returns what answered, or raises ``OSError``
        or ``struct.error`` when nothing answered properly. Fail when the process (called
        ``process`` in the message) exits, or at the deadline."""
        assert self._proc is not None
        last_error = "no answer yet"
        while True:
            code = self._proc.poll()
            if code is not None:
                self._fail(f"{process} exited with code {code} while starting")
            try:
                not_ready = check()
            except (OSError, struct.error) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if not_ready is None:
                    return
                last_error = not_ready
            if time.monotonic() >= deadline:
                noun = self.SERVICE.noun
                self._fail(f"the {noun} was not ready within {timeout:.0f}s ({last_error})")
            time.sleep(interval)

    def _fail(self, message: str) -> NoReturn:
        """Raise ``SERVICE.error`` with the end of the server log: it says what went wrong."""
        log_tail = tail(self._log_path, self.SERVICE.tail_lines)
        log_hint = f"\n--- last lines of {self._log_path} ---\n{log_tail}" if log_tail else ""
        raise self.SERVICE.error(message + log_hint)


# --------------------------------------------------------------------------- signals


class Terminated(Exception):
    """SIGTERM, raised like KeyboardInterrupt is for SIGINT, so ``finally`` stops the server."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


def raise_terminated(signum: int, frame: FrameType | None) -> None:
    """Signal handler for SIGTERM: by default it would end the script and leave the server.
    Later signals are ignored: ``timeout`` and process managers send SIGTERM to the script and
    again to its process group, and the second one must not cut the stopping short."""
    ignore_interrupts()
    raise Terminated(signum)


def ignore_interrupts() -> None:
    """While stopping the server, a second Ctrl-C (or SIGTERM) must not leave it running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def stop_uninterrupted(server: LocalServer) -> None:
    """Stop the server with Ctrl-C and SIGTERM ignored (see ``ignore_interrupts``)."""
    ignore_interrupts()
    server.stop()


def signal_and_wait(proc: subprocess.Popen[bytes], signum: int, grace: float | None) -> bool:
    """Send ``signum`` to the process; True when it exited within ``grace`` seconds (None:
    however long it takes). The caller makes sure the process was not reaped yet, so that its
    pid cannot belong to another process by now."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signum)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        return False
    return True


def stop_child(child: subprocess.Popen[bytes], signum: int, grace: float = 10) -> None:
    """Send ``signum`` to the user's command, give it ``grace`` seconds, then SIGKILL it."""
    if child.poll() is None and not signal_and_wait(child, signum, grace):
        signal_and_wait(child, signal.SIGKILL, None)


# --------------------------------------------------------------------------- commands


def serve(server: LocalServer, service: Service, timeout: float) -> int:
    """Run the server in the foreground until Ctrl-C or SIGTERM (exit code 0), or until it
    exits by itself (1, with its log tail). The address goes to stdout alone, for callers to
    read; the rest goes to stderr. When the server does not start, ``service.error`` is raised
    (``dispatch`` reports it) once what was started is stopped."""
    signal.signal(signal.SIGTERM, raise_terminated)
    code = 0
    try:
        started = time.monotonic()
        address = server.start(timeout=timeout)
        print(address, flush=True)
        print(_ready(service.serve_ready, address, started, server), file=sys.stderr, flush=True)
        exit_code = server.wait()
        print(
            f"the {service.noun} exited by itself with code {exit_code}:\n"
            f"{tail(server.log_path, service.tail_lines)}",
            file=sys.stderr,
        )
        code = 1
    except (KeyboardInterrupt, Terminated):
        print(f"stopping {service.product} ...", file=sys.stderr, flush=True)
    finally:
        stop_uninterrupted(server)
    return code


def run(server: LocalServer, command: Sequence[str], service: Service, timeout: float) -> int:
    """Start the server, run ``command`` (a leading ``--`` is dropped) with each of
    ``service.env_names`` set to its address, stop the server whatever happens.

    The exit code is the command's (128+N when signal N ended it); 130 on Ctrl-C, after the
    command had up to 10 s to finish (the terminal sent it SIGINT too); 128+N when this script
    gets signal N (SIGTERM, passed on to the command); 127 when the command cannot be started;
    2 without a command. When the server does not start, ``service.error`` is raised
    (``dispatch`` reports it: exit code 1).
    """
    command = list(command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print(f"{service.prog} run: give a command after --", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, raise_terminated)
    child: subprocess.Popen[bytes] | None = None
    code = 1
    try:
        started = time.monotonic()
        address = server.start(timeout=timeout)
        print(_ready(service.run_ready, address, started, server), file=sys.stderr)
        env = {**os.environ, **dict.fromkeys(service.env_names, address)}
        try:
            child = subprocess.Popen(command, env=env)  # noqa: S603 - the user's command
        except OSError as exc:
            print(f"{service.prog} run: cannot run {command[0]!r}: {exc}", file=sys.stderr)
            return 127
        returncode = child.wait()
        code = returncode if returncode >= 0 else 128 - returncode
    except KeyboardInterrupt:
        if child is not None:
            stop_child(child, signal.SIGINT)
        code = 130
    except Terminated as exc:
        if child is not None:
            stop_child(child, signal.SIGTERM)
        code = 128 + exc.signum
    finally:
        stop_uninterrupted(server)
    return code


def _ready(template: str, address: str, started: float, server: LocalServer) -> str:
    seconds = time.monotonic() - started
    return template.format(address=address, seconds=seconds, pid=server.pid, log=server.log_path)


# --------------------------------------------------------------------------- command line

Subcommands = argparse._SubParsersAction  # what add_subparsers returns


def command_line(
    service: Service, description: str
) -> tuple[argparse.ArgumentParser, Subcommands[argparse.ArgumentParser]]:
    """The script's parser, and its subcommands to add to (``func`` runs each)."""
    parser = argparse.ArgumentParser(prog=f"{service.prog}.py", description=description)
    return parser, parser.add_subparsers(dest="action", required=True)


def add_serve_and_run(
    sub: Subcommands[argparse.ArgumentParser],
    service: Service,
    server: Callable[[argparse.Namespace], LocalServer],
    options: Callable[[argparse.ArgumentParser], object] | None = None,
) -> None:
    """The ``serve`` and ``run`` commands; ``server`` makes the server from the parsed
    arguments (``--port``, and what ``options`` adds to both commands)."""
    noun = service.noun
    p_serve = sub.add_parser("serve", help=f"run a {noun} in the foreground until Ctrl-C")
    p_serve.add_argument("--port", type=int, default=service.serve_port, help="0 = any free port")
    p_run = sub.add_parser("run", help=f"run a command against a fresh {noun}: run -- CMD ARGS")
    p_run.add_argument("--port", type=int, default=0, help="default: any free port")
    for p in (p_serve, p_run):
        if options is not None:
            options(p)
        p.add_argument(
            "--timeout", type=float, default=service.timeout, help="start timeout in seconds"
        )

    def serve_command(args: argparse.Namespace) -> int:
        return serve(server(args), service, args.timeout)

    def run_command(args: argparse.Namespace) -> int:
        return run(server(args), args.command, service, args.timeout)

    p_serve.set_defaults(func=serve_command)
    p_run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    p_run.set_defaults(func=run_command)


def dispatch(parser: argparse.ArgumentParser, argv: Sequence[str] | None, service: Service) -> int:
    """Parse the command line and run the chosen command; the script's own error (no server
    binaries, a server that does not start, …) becomes a message and exit code 1 instead of a
    traceback."""
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except service.error as exc:
        print(f"{service.prog}: {exc}", file=sys.stderr)
        return 1
    return code
