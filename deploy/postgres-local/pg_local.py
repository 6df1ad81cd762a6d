#!/usr/bin/env python3
"""A real PostgreSQL server for local runs and tests, in a fresh temporary directory.

Every start runs ``initdb`` into a new temp dir and launches ``postgres`` in its own session,
listening on 127.0.0.1 only (TCP on a free port, the unix socket inside the temp dir),
with ``trust`` authentication for local and 127.0.0.1 connections only. It creates the login
role ``wismo`` (with CREATEDB, not a superuser) and its database ``wismo``. For speed the server
runs with ``fsync=off``, ``synchronous_commit=off`` and ``full_page_writes=off``: a crash of the
machine can lose or corrupt its data, which is fine for throwaway test data and nothing else.

PostgreSQL refuses to run as root. When this script runs as root (CI does), ``initdb`` and
``postgres`` run as an unprivileged account instead: ``$PG_LOCAL_USER`` if set, else an
existing ``postgres`` account, else a ``wismo-pg`` system account created with ``useradd``.

Stdlib only; needs the PostgreSQL server binaries (``initdb``, ``postgres``): Debian/Ubuntu
package ``postgresql``. No client library and no ``psql``: the readiness check and the two
``CREATE`` statements speak the PostgreSQL wire protocol directly.

Library use::

    with PostgresServer() as server:
        use(server.url)        # "postgresql+asyncpg://wismo@127.0.0.1:PORT/wismo"

Command line::

    python deploy/postgres-local/pg_local.py serve [--port 5432]
    python deploy/postgres-local/pg_local.py run -- pytest tests/store
    python deploy/postgres-local/pg_local.py bindir

``run`` starts a server on a free port, runs the command with ``WISMO_TEST_POSTGRES_URL`` set to
its URL, stops the server whatever happens and exits with the command's exit code.

Environment knobs: ``PG_LOCAL_BINDIR`` (directory holding ``initdb`` and ``postgres``),
``PG_LOCAL_USER`` (account to run the server as when running as root), ``PG_LOCAL_TMPDIR``
(where the temp dir goes; default ``/dev/shm`` when it has room, else the usual temp dir).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

# The checkout's root: the code both local servers share is deploy/local_service.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from deploy import local_service as ls

URL_ENV_VAR = "WISMO_TEST_POSTGRES_URL"
DEFAULT_SERVE_PORT = 5432
SUPERUSER = "postgres"  # the bootstrap superuser initdb creates (not an OS account)
APP_USER = "wismo"
APP_DATABASE = "wismo"
SYSTEM_ACCOUNT = "wismo-pg"  # created when running as root and no `postgres` account exists
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, 104 on macOS
RAM_DIR = "/dev/shm"  # noqa: S108 - tmpfs on Linux
_RAM_DIR_MIN_FREE = 1 << 30

# Test-speed settings; see the module docstring. Each can be overridden by `settings=`.
FAST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "lc_messages": "C",
}

_HBA_CONF = """\
# Written by pg_local.py: trust, and only on the unix socket and 127.0.0.1.
local all all trust
host  all all 127.0.0.1/32 trust
"""


class PgLocalError(RuntimeError):
    """The server binaries are missing, or the server could not be started."""


# --------------------------------------------------------------------------- binaries


def _has_server(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in ("initdb", "postgres"))


def _version_key(directory: str) -> tuple[int, ...]:
    """/usr/lib/postgresql/16/bin sorts before .../9.6/bin: newest first."""
    return tuple(-int(part) for part in re.findall(r"\d+", directory))


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        proc = subprocess.run(  # noqa: S603 - fixed command line
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = proc.stdout.strip()
    return Path(out) if proc.returncode == 0 and out else None


def _candidate_bindirs() -> Iterator[Path]:
    override = os.environ.get("PG_LOCAL_BINDIR")
    if override:
        yield Path(override)
        return
    on_path = shutil.which("initdb")
    if on_path is not None:
        # /usr/local/bin/initdb may be a symlink into the real bindir, where postgres is too.
        yield Path(on_path).resolve().parent
        yield Path(on_path).parent
    from_pg_config = _pg_config_bindir()
    if from_pg_config is not None:
        yield from_pg_config
    patterns = (
        "/usr/lib/postgresql/*/bin",
        "/usr/pgsql-*/bin",
        "/opt/homebrew/opt/postgresql@*/bin",
    )
    for pattern in patterns:
        for found in sorted(glob.glob(pattern), key=_version_key):
            yield Path(found)
    yield Path("/usr/local/pgsql/bin")
    yield Path("/usr/local/bin")


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``postgres`` (see the module docstring)."""
    for directory in _candidate_bindirs():
        if _has_server(directory):
            return directory
    hint = (
        "set PG_LOCAL_BINDIR" if os.environ.get("PG_LOCAL_BINDIR") else "apt-get install postgresql"
    )
    raise PgLocalError(f"no PostgreSQL server binaries (initdb, postgres) found; {hint}")


# --------------------------------------------------------------------------- unprivileged account


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    uid: int
    gid: int


def _lookup(name: str) -> Account | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _create_system_account(name: str) -> Account:
    useradd = shutil.which("useradd")
    if useradd is None:
        raise PgLocalError(f"running as root and no {name!r} account; useradd is not available")
    cmd = [
        useradd,
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
        "--comment",
        "PostgreSQL of pg_local.py (tests)",
        name,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    account = _lookup(name)  # another process may have created it first: that is fine too
    if account is None:
        raise PgLocalError(f"useradd {name} failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return account


def server_account() -> Account | None:
    """The account to run PostgreSQL as; None when not root (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    wanted = os.environ.get("PG_LOCAL_USER")
    if wanted:
        account = _lookup(wanted)
        if account is None or account.uid == 0:
            raise PgLocalError(f"PG_LOCAL_USER={wanted}: no such unprivileged account")
        return account
    for name in ("postgres", SYSTEM_ACCOUNT):
        account = _lookup(name)
        if account is not None and account.uid != 0:
            return account
    return _create_system_account(SYSTEM_ACCOUNT)


def _run_as(account: Account | None) -> ls.RunAs:
    """initdb and postgres run without our PG* variables, and as the unprivileged account
    (without root's supplementary groups) when there is one; else as ourselves."""
    if account is None:
        return ls.RunAs(env=_server_env())
    return ls.RunAs(env=_server_env(), user=account.uid, group=account.gid, extra_groups=[])


def _ram_dir() -> str | None:
    """RAM_DIR when it is there with room to spare: a test cluster in RAM starts in half the
    time, and CREATE DATABASE takes milliseconds instead of a few hundred on some disks."""
    try:
        st = os.statvfs(RAM_DIR)
    except OSError:
        return None
    room = st.f_bavail * st.f_frsize
    return RAM_DIR if room >= _RAM_DIR_MIN_FREE and os.access(RAM_DIR, os.W_OK | os.X_OK) else None


def _usable_parent(directory: str, account: Account | None) -> bool:
    """The server account can reach it (not a root-only TMPDIR), and the unix socket path
    inside it is not too long."""
    base = Path(directory)
    reachable = account is None or all(
        p.stat().st_mode & stat.S_IXOTH for p in (base, *base.parents)
    )
    short = len(str(base)) + len("/pg-local-XXXXXXXX/socket/.s.PGSQL.65535") < _MAX_SOCKET_PATH
    return reachable and short


def temp_parent(account: Account | None) -> str:
    """Where the temp dir goes: $PG_LOCAL_TMPDIR, else /dev/shm, else the usual temp dir."""
    override = os.environ.get("PG_LOCAL_TMPDIR")
    if override:
        return override
    for candidate in (_ram_dir(), tempfile.gettempdir()):
        if candidate is not None and _usable_parent(candidate, account):
            return candidate
    return "/tmp"  # noqa: S108 - a mkdtemp parent


# --------------------------------------------------------------------------- wire protocol


class ServerError(Exception):
    """An ErrorResponse from the server."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(f"{message} (SQLSTATE {sqlstate})")
        self.sqlstate = sqlstate


_CANNOT_CONNECT_NOW = "57P03"  # the database system is starting up / shutting down


def _read_message(sock: socket.socket) -> tuple[bytes, bytes]:
    kind = ls.recv_exact(sock, 1)
    (length,) = struct.unpack(">i", ls.recv_exact(sock, 4))
    return kind, ls.recv_exact(sock, length - 4)


def _error(body: bytes) -> ServerError:
    fields = {part[:1]: part[1:].decode("utf-8", "replace") for part in body.split(b"\0") if part}
    return ServerError(fields.get(b"C", "?????"), fields.get(b"M", "unknown error"))


def _rows_until_ready(sock: socket.socket) -> list[tuple[str | None, ...]]:
    """Read to ReadyForQuery; return the DataRows; raise the first ErrorResponse, if any."""
    rows: list[tuple[str | None, ...]] = []
    failure: ServerError | None = None
    while True:
        kind, body = _read_message(sock)
        if kind == b"R" and struct.unpack_from(">i", body)[0] != 0:
            method = struct.unpack_from(">i", body)[0]
            raise PgLocalError(f"the server asks for a password (method {method}); expected trust")
        if kind == b"E":
            failure = failure or _error(body)
        elif kind == b"D":
            rows.append(_data_row(body))
        elif kind == b"Z":
            if failure is not None:
                raise failure
            return rows


def _data_row(body: bytes) -> tuple[str | None, ...]:
    (count,) = struct.unpack_from(">h", body, 0)
    pos = 2
    values: list[str | None] = []
    for _ in range(count):
        (size,) = struct.unpack_from(">i", body, pos)
        pos += 4
        if size < 0:
            values.append(None)
            continue
        values.append(body[pos : pos + size].decode("utf-8"))
        pos += size
    return tuple(values)


def query(
    host: str,
    port: int,
    sql: str,
    *,
    user: str = SUPERUSER,
    database: str = "postgres",
    timeout: float = 5.0,
) -> list[tuple[str | None, ...]]:
    """Run one statement over a fresh connection (trust auth, simple query protocol).

    Returns the rows as text; raises ``ServerError`` for an error the server reports and
    ``OSError`` (or ``ConnectionError``/``struct.error``) when it does not answer properly.
    """
    params = {"user": user, "database": database, "application_name": "pg_local"}
    startup = struct.pack(">i", 196608)  # protocol 3.0
    startup += b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in params.items()) + b"\0"
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(startup) + 4) + startup)
        _rows_until_ready(sock)
        text = sql.encode("utf-8") + b"\0"
        sock.sendall(b"Q" + struct.pack(">i", len(text) + 4) + text)
        rows = _rows_until_ready(sock)
        sock.sendall(b"X" + struct.pack(">i", 4))
        return rows


# --------------------------------------------------------------------------- server


def _server_env() -> dict[str, str]:
    """Our environment without PG* variables (PGDATA, PGPORT, … must not steer the server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C")
    return env


class PostgresServer(ls.ServerProcess):
    """One PostgreSQL cluster on 127.0.0.1, in a temp dir, gone after ``stop()``.

    ``start(timeout=60)`` runs initdb in a fresh temp dir, launches postgres, waits until it
    answers and creates the role and database ``wismo``; it returns the URL and raises
    ``PgLocalError`` with the log tail on failure. ``pid`` is the postmaster's (it runs in a
    session of its own, as does each child); ``log_path`` holds initdb's and postgres's output.
    """

    SERVICE = ls.Service(
        prog="pg_local",
        product="PostgreSQL",
        noun="server",
        error=PgLocalError,
        env_names=(URL_ENV_VAR,),
        serve_port=DEFAULT_SERVE_PORT,
        timeout=60,
        tail_lines=40,
        serve_ready="PostgreSQL ready in {seconds:.1f}s (pid {pid}, log {log}); "
        "Ctrl-C stops it and deletes its data",
        run_ready="pg_local: PostgreSQL ready at {address} in {seconds:.1f}s (pid {pid})",
    )

    def __init__(
        self,
        *,
        port: int = 0,
        bindir: Path | None = None,
        settings: Mapping[str, str] | None = None,
        keep_data: bool = False,
    ) -> None:
        """``port=0`` picks a free port; ``settings`` override server settings (``-c k=v``)."""
        super().__init__(port=port, keep_data=keep_data)
        self._bindir = bindir
        self._settings = {**FAST_SETTINGS, **(settings or {})}
        self._server_bindir = Path()  # bindir, or the one find_bindir() finds: _prepare()
        self._account: Account | None = None

    # -- properties

    @property
    def url(self) -> str:
        """``postgresql+asyncpg://wismo@127.0.0.1:PORT/wismo`` of the running server."""
        return f"postgresql+asyncpg://{APP_USER}@127.0.0.1:{self.port}/{APP_DATABASE}"

    @property
    def data_dir(self) -> Path | None:
        return self._dir / "data" if self._dir is not None else None

    @property
    def socket_dir(self) -> Path | None:
        return self._dir / "socket" if self._dir is not None else None

    def query(
        self, sql: str, *, user: str = SUPERUSER, database: str = "postgres"
    ) -> list[tuple[str | None, ...]]:
        """One statement on the running server, as the superuser by default."""
        return query("127.0.0.1", self.port, sql, user=user, database=database)

    # -- lifecycle

    def _prepare(self) -> None:
        self._server_bindir = self._bindir or find_bindir()
        self._account = server_account()

    def _launch(self, port: int, deadline: float, timeout: float) -> str:
        tmp = self._new_dir("pg-local-", "postgres.log", temp_parent(self._account))
        self._prepare_dir(tmp)
        self._initdb(tmp / "data", deadline)
        (tmp / "data" / "pg_hba.conf").write_text(_HBA_CONF, encoding="utf-8")
        self._start_postgres(tmp, port)
        self._wait_ready(
            self._readiness_check(port),
            deadline=deadline,
            timeout=timeout,
            process="postgres",
            interval=0.05,
        )
        self._create_app_database(port)
        return self.url

    def _prepare_dir(self, tmp: Path) -> None:
        """The socket dir and the log; all of the temp dir belongs to the server's account."""
        (tmp / "socket").mkdir()
        (tmp / "postgres.log").touch(mode=0o600)
        if self._account is not None:
            for path in (tmp, tmp / "socket", tmp / "postgres.log"):
                os.chown(path, self._account.uid, self._account.gid)

    def _initdb(self, data: Path, deadline: float) -> None:
        cmd = [
            str(self._server_bindir / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",  # test data: no need to wait for the disk
        ]
        self._run_logged(
            "initdb",
            cmd,
            cwd=data.parent,
            deadline=deadline,
            run_as=_run_as(self._account),
        )

    def _start_postgres(self, tmp: Path, port: int) -> None:
        settings = {
            **self._settings,
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(tmp / "socket"),
        }
        args = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        self._spawn(
            [str(self._server_bindir / "postgres"), "-D", str(tmp / "data"), *args],
            cwd=tmp,
            run_as=_run_as(self._account),
        )

    def _readiness_check(self, port: int) -> Callable[[], str | None]:
        """Our server (its data directory, not another one on that port) runs a query."""
        assert self._dir is not None
        ours = os.path.realpath(self._dir / "data")

        def check() -> str | None:
            try:
                rows = query("127.0.0.1", port, "SHOW data_directory", timeout=2.0)
            except ServerError as exc:
                if exc.sqlstate != _CANNOT_CONNECT_NOW:
                    self._fail(f"the server refused the readiness check: {exc}")
                return str(exc)
            found = rows[0][0] if rows else None
            if found is not None and os.path.realpath(found) == ours:
                return None
            return f"port {port} answers for data directory {found}"

        return check

    def _create_app_database(self, port: int) -> None:
        query("127.0.0.1", port, f"CREATE ROLE {APP_USER} LOGIN CREATEDB")
        query("127.0.0.1", port, f"CREATE DATABASE {APP_DATABASE} OWNER {APP_USER}")

    def _fail(self, message: str) -> NoReturn:
        if "Address already in use" in ls.tail(self._log_path, self.SERVICE.tail_lines):
            message += " (port already in use)"
        super()._fail(message)

    def _terminate(self, proc: subprocess.Popen[bytes], grace: float) -> None:
        """Fast shutdown (SIGINT to the postmaster's pid: sessions are ended, a clean
        checkpoint); after ``grace`` seconds immediate shutdown (SIGQUIT); after 5 more
        seconds SIGKILL to the postmaster and each of its children. The postmaster exits only
        after all its children did, so once it is gone no process of the server is left."""
        stopped = ls.signal_and_wait(proc, signal.SIGINT, grace)  # fast shutdown
        stopped = stopped or ls.signal_and_wait(proc, signal.SIGQUIT, 5)  # immediate
        if not stopped:
            _kill_hard(proc)


def _children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (Linux /proc; elsewhere none are found)."""
    found = []
    for stat_file in glob.glob("/proc/[0-9]*/stat"):
        try:
            data = Path(stat_file).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        fields = data.rsplit(")", 1)[-1].split()  # after "pid (comm)": state, ppid, …
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(stat_file.split("/")[2]))
    return found


def _kill_hard(proc: subprocess.Popen[bytes]) -> None:
    """Last resort. Freeze the postmaster, so it neither starts nor reaps a backend and the
    pids of its children stay theirs; SIGKILL each child (every one runs in a session of its
    own, so a process-group kill would miss them); then SIGKILL the postmaster and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGSTOP)
    for child in _children(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


# --------------------------------------------------------------------------- command line


def _cmd_bindir(args: argparse.Namespace) -> int:
    print(find_bindir(), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    description = "A throwaway PostgreSQL server for local use and tests."
    parser, sub = ls.command_line(PostgresServer.SERVICE, description)
    p_bindir = sub.add_parser("bindir", help="print the directory of initdb and postgres")
    p_bindir.set_defaults(func=_cmd_bindir)
    ls.add_serve_and_run(sub, PostgresServer.SERVICE, lambda args: PostgresServer(port=args.port))
    return ls.dispatch(parser, argv, PostgresServer.SERVICE)


if __name__ == "__main__":
    sys.exit(main())
