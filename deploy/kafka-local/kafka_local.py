#!/usr/bin/env python3
"""A real single-node Apache Kafka broker (KRaft mode) for local runs and tests.

The broker is built from the Kafka jars on Maven Central (see ``pom.xml`` beside this file):
``fetch`` copies them into ``libs/`` once with Maven, then every start formats a fresh temporary
data directory and runs ``java -cp 'libs/*' kafka.Kafka server.properties`` in its own process
group. Stdlib only; needs ``java`` (17+) and, for the first fetch, ``mvn``.

Library use::

    with KafkaBroker() as broker:
        use(broker.bootstrap)          # "127.0.0.1:PORT"

Command line::

    python deploy/kafka-local/kafka_local.py fetch
    python deploy/kafka-local/kafka_local.py serve [--port 9092]
    python deploy/kafka-local/kafka_local.py run -- pytest -m kafka

``run`` starts a broker on a free port, runs the command with ``WISMO_TEST_KAFKA_BOOTSTRAP`` and
``WISMO_BUS__KAFKA__BOOTSTRAP_SERVERS`` set to its bootstrap address, stops the broker whatever
happens and exits with the command's exit code.

Environment knobs: ``JAVA_HOME`` (else ``java`` on PATH), ``KAFKA_LOCAL_MVN`` (Maven command,
default ``mvn``), ``KAFKA_LOCAL_HEAP`` (default ``512m``), ``KAFKA_LOCAL_JAVA_OPTS`` (extra JVM
options, split on whitespace).
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import weakref
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import NoReturn

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LIBS = HERE / "libs"
MARKER = LIBS / ".fetched"
WORK = HERE / "target"  # git-ignored: Maven staging dir and the fetch lock

BOOTSTRAP_ENV_VARS = ("WISMO_TEST_KAFKA_BOOTSTRAP", "WISMO_BUS__KAFKA__BOOTSTRAP_SERVERS")
DEFAULT_SERVE_PORT = 9092
NODE_ID = 1
_LOG_TAIL_LINES = 60

_LOG4J2_PROPERTIES = """\
# Written by kafka_local.py. The JVM's stdout is redirected to broker.log.
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${sys:kafka_local.log.level:-INFO}
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.netty.name = io.netty
logger.netty.level = WARN
"""


class KafkaLocalError(RuntimeError):
    """The jars could not be fetched, or the broker could not be started."""


# --------------------------------------------------------------------------- jars


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def _jars_ready(digest: str) -> bool:
    try:
        marker = MARKER.read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return marker == digest and any(LIBS.glob("kafka_2.13-*.jar"))


@contextlib.contextmanager
def _fetch_lock() -> Iterator[None]:
    WORK.mkdir(parents=True, exist_ok=True)
    with (WORK / "fetch.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def fetch_jars(*, force: bool = False, quiet: bool = True) -> Path:
    """Make sure ``libs/`` holds the jars that ``pom.xml`` names; return its path.

    Runs Maven only when ``libs/`` is missing, incomplete (no marker) or was fetched for another
    ``pom.xml``; otherwise returns at once. Safe to call from several processes at a time.
    """
    digest = _pom_digest()
    if not force and _jars_ready(digest):
        return LIBS
    with _fetch_lock():
        if not force and _jars_ready(digest):
            return LIBS
        mvn = shutil.which(os.environ.get("KAFKA_LOCAL_MVN", "mvn"))
        if mvn is None:
            raise KafkaLocalError(
                "Maven (mvn) is needed once to download the Kafka jars into "
                f"{LIBS}; install it or set KAFKA_LOCAL_MVN"
            )
        staging = WORK / "libs-staging"
        shutil.rmtree(staging, ignore_errors=True)
        cmd = [
            mvn,
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        if quiet:
            cmd.insert(1, "-q")
        proc = subprocess.run(  # noqa: S603 - fixed command line
            cmd,
            cwd=HERE,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        if proc.returncode != 0 or not any(staging.glob("kafka_2.13-*.jar")):
            output = (proc.stdout + proc.stderr).strip().splitlines()
            tail = "\n".join(output[-40:])
            raise KafkaLocalError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{tail}")
        # Replace libs/ as a whole: jars of an older version must not stay on the classpath.
        shutil.rmtree(LIBS, ignore_errors=True)
        staging.rename(LIBS)
        MARKER.write_text(digest + "\n", encoding="utf-8")
    return LIBS


def _storage_tool_class(libs: Path) -> str:
    """The main class that formats storage: it moved between Kafka versions."""
    candidates = ("org/apache/kafka/tools/StorageTool.class", "kafka/tools/StorageTool.class")
    for jar in sorted(libs.glob("*.jar")):
        with zipfile.ZipFile(jar) as zf:
            names = set(zf.namelist())
        for entry in candidates:
            if entry in names:
                return entry.removesuffix(".class").replace("/", ".")
    raise KafkaLocalError(f"no StorageTool class in the jars under {libs}")


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file():
            return str(candidate)
    java = shutil.which("java")
    if java is None:
        raise KafkaLocalError("java (17 or newer) is needed to run Kafka; none on PATH")
    return java


# --------------------------------------------------------------------------- readiness probe


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        buf += chunk
    return bytes(buf)


def _request(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> bytes:
    """Send one request (header v1) and return the response body (after header v0)."""
    client_id = b"kafka-local-probe"
    header = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    response = _recv_exact(sock, size)
    (got,) = struct.unpack_from(">i", response, 0)
    if got != corr:
        raise ConnectionError(f"correlation id {got}, expected {corr}")
    return response[4:]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def int16(self) -> int:
        (value,) = struct.unpack_from(">h", self.data, self.pos)
        self.pos += 2
        return int(value)

    def int32(self) -> int:
        (value,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return int(value)

    def string(self) -> str | None:
        length = self.int16()
        if length < 0:
            return None
        value = self.data[self.pos : self.pos + length].decode("utf-8")
        self.pos += length
        return value


_API_METADATA = 3
_API_API_VERSIONS = 18


def probe_broker(
    host: str, port: int, timeout: float = 5.0
) -> tuple[str | None, list[tuple[int, str, int]]]:
    """Ask the broker for its API versions and cluster metadata over the Kafka protocol.

    Returns the cluster id and the live (unfenced) brokers as ``(node_id, host, port)``; raises
    ``OSError`` (or ``ConnectionError``/``struct.error``) when the broker does not answer properly.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        reader = _Reader(_request(sock, _API_API_VERSIONS, 0, 1, b""))
        error = reader.int16()
        if error not in (0, 35):  # 35 UNSUPPORTED_VERSION still carries the version list
            raise ConnectionError(f"ApiVersions error code {error}")
        ranges = {}
        for _ in range(reader.int32()):
            key, low, high = reader.int16(), reader.int16(), reader.int16()
            ranges[key] = (low, high)
        low, high = ranges.get(_API_METADATA, (-1, -1))
        # Versions 4..8 share one non-flexible layout up to the broker list.
        if high < 4 or low > 8:
            raise KafkaLocalError(f"broker supports Metadata v{low}..v{high}, probe needs 4..8")
        version = min(high, 8)
        body = struct.pack(">ib", 0, 0)  # no topics, allow_auto_topic_creation=false
        if version >= 8:
            body += struct.pack(">bb", 0, 0)  # no authorized-operations lists
        reader = _Reader(_request(sock, _API_METADATA, version, 2, body))
        reader.int32()  # throttle_time_ms
        brokers = []
        for _ in range(reader.int32()):
            node_id = reader.int32()
            broker_host = reader.string() or ""
            broker_port = reader.int32()
            reader.string()  # rack
            brokers.append((node_id, broker_host, broker_port))
        return reader.string(), brokers


# --------------------------------------------------------------------------- broker


def _free_port(exclude: int = 0) -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port != exclude:
            return port


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise KafkaLocalError(
                f"127.0.0.1:{port} is already in use ({exc.strerror}); is another Kafka "
                "running? Stop it or pick another port (0 = any free port)"
            ) from None


def _random_cluster_id() -> str:
    while True:  # Kafka's Uuid.randomUuid() also avoids ids that start with "-"
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _tail(path: Path | None, lines: int = _LOG_TAIL_LINES) -> str:
    if path is None:
        return ""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


_live_brokers: weakref.WeakSet[KafkaBroker] = weakref.WeakSet()


@atexit.register
def _stop_live_brokers() -> None:
    for broker in list(_live_brokers):
        broker.stop()


class KafkaBroker:
    """One Kafka process acting as broker and KRaft controller, on 127.0.0.1, in a temp dir."""

    def __init__(
        self,
        *,
        port: int = 0,
        num_partitions: int = 3,
        heap: str | None = None,
        properties: Mapping[str, str] | None = None,
        keep_data: bool = False,
    ) -> None:
        """``port=0`` picks a free port; ``properties`` override the generated server.properties."""
        self._requested_port = port
        self._num_partitions = num_partitions
        self._heap = heap or os.environ.get("KAFKA_LOCAL_HEAP", "512m")
        self._extra = dict(properties or {})
        self._keep_data = keep_data
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._log_path: Path | None = None
        self._bootstrap: str | None = None

    # -- properties

    @property
    def bootstrap(self) -> str:
        """``"127.0.0.1:PORT"`` of the running broker."""
        if self._bootstrap is None:
            raise RuntimeError("the Kafka broker is not running")
        return self._bootstrap

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path | None:
        """The broker's log file (JVM stdout/stderr and log4j), inside the temp dir."""
        return self._log_path

    @property
    def data_dir(self) -> Path | None:
        return self._dir

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- context manager

    def __enter__(self) -> KafkaBroker:
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

    def start(self, timeout: float = 90) -> str:
        """Format a fresh data dir, launch the broker and wait until it serves metadata.

        Returns the bootstrap address. The jars are fetched first if needed (not counted in
        ``timeout``). Raises ``KafkaLocalError`` with the tail of the broker log on failure.
        """
        if self._proc is not None:
            raise RuntimeError("the Kafka broker is already started")
        libs = fetch_jars()
        attempts = 3 if self._requested_port == 0 else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._start_once(libs, timeout)
            except KafkaLocalError as exc:
                # A port picked as free may have been taken before the broker bound it.
                if attempt == attempts or "Address already in use" not in str(exc):
                    raise
        raise AssertionError("unreachable")

    def _properties(self, data_dir: Path, port: int, controller_port: int) -> dict[str, str]:
        props = {
            "process.roles": "broker,controller",
            "node.id": str(NODE_ID),
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
            "log.dirs": str(data_dir),
            "num.partitions": str(self._num_partitions),
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "auto.create.topics.enable": "true",
            "delete.topic.enable": "true",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "10",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "group.min.session.timeout.ms": "1000",
            "num.network.threads": "2",
            "num.io.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
            "log.retention.hours": "24",
        }
        props.update(self._extra)
        return props

    def _start_once(self, libs: Path, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        java = _java()
        tmp = Path(tempfile.mkdtemp(prefix="kafka-local-"))
        self._dir = tmp
        self._log_path = tmp / "broker.log"
        try:
            port = self._requested_port or _free_port()
            if self._requested_port:
                _check_port_free(port)
            cluster_id = _random_cluster_id()
            properties_file = self._write_config(tmp, port, _free_port(exclude=port))
            jvm_common = [
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={tmp / 'log4j2.properties'}",
                f"-Dkafka.logs.dir={tmp}",
                "-cp",
                str(libs / "*"),
            ]
            self._format_storage(java, jvm_common, libs, properties_file, cluster_id, deadline)
            jvm_opts = [
                f"-Xmx{self._heap}",
                "-Xms128m",
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-XX:InitiatingHeapOccupancyPercent=35",
                "-XX:+ExplicitGCInvokesConcurrent",
                *os.environ.get("KAFKA_LOCAL_JAVA_OPTS", "").split(),
            ]
            with self._log_path.open("ab") as log:
                self._proc = subprocess.Popen(  # noqa: S603 - fixed command line
                    [java, *jvm_opts, *jvm_common, "kafka.Kafka", str(properties_file)],
                    cwd=tmp,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # own process group: a terminal's Ctrl-C skips it
                )
            _live_brokers.add(self)
            self._wait_ready(port, cluster_id, deadline, timeout)
        except BaseException:
            self.stop()
            raise
        self._bootstrap = f"127.0.0.1:{port}"
        return self._bootstrap

    def _write_config(self, tmp: Path, port: int, controller_port: int) -> Path:
        props = self._properties(tmp / "data", port, controller_port)
        properties_file = tmp / "server.properties"
        properties_file.write_text(
            "".join(f"{key}={value}\n" for key, value in props.items()), encoding="utf-8"
        )
        (tmp / "log4j2.properties").write_text(_LOG4J2_PROPERTIES, encoding="utf-8")
        return properties_file

    def _format_storage(
        self,
        java: str,
        jvm_common: list[str],
        libs: Path,
        properties_file: Path,
        cluster_id: str,
        deadline: float,
    ) -> None:
        assert self._log_path is not None
        cmd = [
            java,
            "-Xmx256m",
            "-Dkafka_local.log.level=WARN",  # its config dump would fill the log
            *jvm_common,
            _storage_tool_class(libs),
            "format",
            "--config",
            str(properties_file),
            "--cluster-id",
            cluster_id,
            "--standalone",
        ]
        try:
            with self._log_path.open("ab") as log:
                fmt = subprocess.run(  # noqa: S603 - fixed command line
                    cmd,
                    cwd=properties_file.parent,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=max(deadline - time.monotonic(), 1.0),
                    check=False,
                )
        except subprocess.TimeoutExpired:
            self._fail("formatting the storage timed out")
        if fmt.returncode != 0:
            self._fail(f"formatting the storage failed (exit {fmt.returncode})")

    def _wait_ready(self, port: int, cluster_id: str, deadline: float, timeout: float) -> None:
        assert self._proc is not None
        last_error = "no answer yet"
        while True:
            code = self._proc.poll()
            if code is not None:
                self._fail(f"the broker exited with code {code} while starting")
            try:
                found_cluster, brokers = probe_broker("127.0.0.1", port, timeout=2.0)
            except (OSError, struct.error) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if found_cluster != cluster_id:  # not ours: another server on that port
                    last_error = f"port {port} answers for cluster {found_cluster}"
                elif any(node == NODE_ID and p == port for node, _, p in brokers):
                    return
                else:
                    last_error = f"metadata lists brokers {brokers}"
            if time.monotonic() >= deadline:
                self._fail(f"the broker was not ready within {timeout:.0f}s ({last_error})")
            time.sleep(0.2)

    def _fail(self, message: str) -> NoReturn:
        tail = _tail(self._log_path)
        log_hint = f"\n--- last lines of {self._log_path} ---\n{tail}" if tail else ""
        raise KafkaLocalError(message + log_hint)

    def stop(self, grace: float = 10) -> None:
        """SIGTERM the broker's pid, SIGKILL it after ``grace`` seconds, remove the temp dir."""
        proc, self._proc = self._proc, None
        self._bootstrap = None
        _live_brokers.discard(self)
        # Popen has not reaped the child before poll() says it exited, so the pid is still ours.
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._dir is not None and not self._keep_data:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
            self._log_path = None

    def wait(self) -> int:
        """Block until the broker process exits; return its exit code."""
        if self._proc is None:
            raise RuntimeError("the Kafka broker is not running")
        return self._proc.wait()


# --------------------------------------------------------------------------- command line


class _Terminated(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated(signum)


def _ignore_interrupts() -> None:
    """While stopping the broker, a second Ctrl-C must not leave it running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _cmd_fetch(args: argparse.Namespace) -> int:
    started = time.monotonic()
    libs = fetch_jars(force=args.force, quiet=False)
    jars = sorted(libs.glob("*.jar"))
    size = sum(jar.stat().st_size for jar in jars)
    print(
        f"{len(jars)} jars, {size / 1e6:.1f} MB in {libs} ({time.monotonic() - started:.1f}s)",
        flush=True,
    )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    broker = KafkaBroker(port=args.port, num_partitions=args.partitions)
    signal.signal(signal.SIGTERM, _raise_terminated)
    code = 0
    try:
        started = time.monotonic()
        bootstrap = broker.start(timeout=args.timeout)
        print(bootstrap, flush=True)
        print(
            f"Kafka {bootstrap} ready in {time.monotonic() - started:.1f}s "
            f"(pid {broker.pid}, log {broker.log_path}); Ctrl-C stops it",
            file=sys.stderr,
            flush=True,
        )
        exit_code = broker.wait()
        print(
            f"the broker exited by itself with code {exit_code}:\n{_tail(broker.log_path)}",
            file=sys.stderr,
        )
        code = 1
    except (KeyboardInterrupt, _Terminated):
        print("stopping Kafka ...", file=sys.stderr, flush=True)
    except KafkaLocalError as exc:
        print(f"kafka_local: {exc}", file=sys.stderr)
        code = 1
    finally:
        _ignore_interrupts()
        broker.stop()
    return code


def _stop_child(child: subprocess.Popen[bytes], signum: int, grace: float = 10) -> None:
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _cmd_run(args: argparse.Namespace) -> int:
    command: list[str] = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("kafka_local run: give a command after --", file=sys.stderr)
        return 2
    broker = KafkaBroker(port=args.port, num_partitions=args.partitions)
    signal.signal(signal.SIGTERM, _raise_terminated)
    child: subprocess.Popen[bytes] | None = None
    code = 1
    try:
        bootstrap = broker.start(timeout=args.timeout)
        print(f"kafka_local: Kafka ready at {bootstrap} (pid {broker.pid})", file=sys.stderr)
        env = dict(os.environ)
        for name in BOOTSTRAP_ENV_VARS:
            env[name] = bootstrap
        try:
            child = subprocess.Popen(command, env=env)  # noqa: S603 - the user's command
        except OSError as exc:
            print(f"kafka_local run: cannot run {command[0]!r}: {exc}", file=sys.stderr)
            return 127
        returncode = child.wait()
        code = returncode if returncode >= 0 else 128 - returncode
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the command too; give it time to finish.
        if child is not None:
            _stop_child(child, signal.SIGINT)
        code = 130
    except _Terminated as exc:
        if child is not None:
            _stop_child(child, signal.SIGTERM)
        code = 128 + exc.signum
    except KafkaLocalError as exc:
        print(f"kafka_local: {exc}", file=sys.stderr)
        code = 1
    finally:
        _ignore_interrupts()
        broker.stop()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kafka_local.py", description="Single-node Apache Kafka (KRaft) for local use."
    )
    sub = parser.add_subparsers(dest="action", required=True)
    p_fetch = sub.add_parser("fetch", help="download the Kafka jars into libs/ (once)")
    p_fetch.add_argument("--force", action="store_true", help="download again")
    p_fetch.set_defaults(func=_cmd_fetch)

    p_serve = sub.add_parser("serve", help="run a broker in the foreground until Ctrl-C")
    p_serve.add_argument("--port", type=int, default=DEFAULT_SERVE_PORT, help="0 = any free port")
    p_run = sub.add_parser("run", help="run a command against a fresh broker: run -- CMD ARGS")
    p_run.add_argument("--port", type=int, default=0, help="default: any free port")
    for p in (p_serve, p_run):
        p.add_argument("--partitions", type=int, default=3, help="num.partitions (default 3)")
        p.add_argument("--timeout", type=float, default=90, help="start timeout in seconds")
    p_serve.set_defaults(func=_cmd_serve)
    p_run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    p_run.set_defaults(func=_cmd_run)

    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except KafkaLocalError as exc:
        print(f"kafka_local: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
