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
import time
import uuid
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

# The checkout's root: the code both local servers share is deploy/local_service.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from deploy import local_service as ls

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LIBS = HERE / "libs"
MARKER = LIBS / ".fetched"
WORK = HERE / "target"  # git-ignored: Maven staging dir and the fetch lock

BOOTSTRAP_ENV_VARS = ("WISMO_TEST_KAFKA_BOOTSTRAP", "WISMO_BUS__KAFKA__BOOTSTRAP_SERVERS")
DEFAULT_SERVE_PORT = 9092
NODE_ID = 1

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


def _request(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> bytes:
    """Send one request (header v1) and return the response body (after header v0)."""
    client_id = b"kafka-local-probe"
    header = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    (size,) = struct.unpack(">i", ls.recv_exact(sock, 4, "broker"))
    response = ls.recv_exact(sock, size, "broker")
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


def _random_cluster_id() -> str:
    while True:  # Kafka's Uuid.randomUuid() also avoids ids that start with "-"
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class KafkaBroker(ls.ServerProcess):
    """One Kafka process acting as broker and KRaft controller, on 127.0.0.1, in a temp dir.

    ``start(timeout=90)`` fetches the jars if needed (not counted in ``timeout``), formats a
    fresh data dir, launches the broker and waits until it serves metadata; it returns the
    bootstrap address and raises ``KafkaLocalError`` with the tail of the broker log on
    failure. ``stop(grace=10)`` sends SIGTERM to the broker's pid, SIGKILL after ``grace``
    seconds, and removes the temp dir. ``log_path`` holds the JVM's stdout/stderr and log4j.
    """

    SERVICE = ls.Service(
        prog="kafka_local",
        product="Kafka",
        noun="broker",
        error=KafkaLocalError,
        env_names=BOOTSTRAP_ENV_VARS,
        serve_port=DEFAULT_SERVE_PORT,
        timeout=90,
        tail_lines=60,
        serve_ready="Kafka {address} ready in {seconds:.1f}s (pid {pid}, log {log}); "
        "Ctrl-C stops it",
        run_ready="kafka_local: Kafka ready at {address} (pid {pid})",
    )

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
        super().__init__(port=port, keep_data=keep_data)
        self._num_partitions = num_partitions
        self._heap = heap or os.environ.get("KAFKA_LOCAL_HEAP", "512m")
        self._extra = dict(properties or {})
        self._libs = LIBS

    @property
    def bootstrap(self) -> str:
        """``"127.0.0.1:PORT"`` of the running broker."""
        return f"127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path | None:
        return self._dir

    def _prepare(self) -> None:
        self._libs = fetch_jars()

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

    def _launch(self, port: int, deadline: float, timeout: float) -> str:
        java = _java()
        tmp = self._new_dir("kafka-local-", "broker.log")
        cluster_id = _random_cluster_id()
        properties_file = self._write_config(tmp, port, ls.free_port(exclude=port))
        jvm_common = [
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={tmp / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={tmp}",
            "-cp",
            str(self._libs / "*"),
        ]
        self._format_storage(java, jvm_common, properties_file, cluster_id, deadline)
        jvm_opts = [
            f"-Xmx{self._heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            *os.environ.get("KAFKA_LOCAL_JAVA_OPTS", "").split(),
        ]
        self._spawn([java, *jvm_opts, *jvm_common, "kafka.Kafka", str(properties_file)], cwd=tmp)

        def check() -> str | None:
            found_cluster, brokers = probe_broker("127.0.0.1", port, timeout=2.0)
            if found_cluster != cluster_id:  # not ours: another server on that port
                return f"port {port} answers for cluster {found_cluster}"
            if any(node == NODE_ID and p == port for node, _, p in brokers):
                return None
            return f"metadata lists brokers {brokers}"

        self._wait_ready(
            check, deadline=deadline, timeout=timeout, process="the broker", interval=0.2
        )
        return self.bootstrap

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
        properties_file: Path,
        cluster_id: str,
        deadline: float,
    ) -> None:
        cmd = [
            java,
            "-Xmx256m",
            "-Dkafka_local.log.level=WARN",  # its config dump would fill the log
            *jvm_common,
            _storage_tool_class(self._libs),
            "format",
            "--config",
            str(properties_file),
            "--cluster-id",
            cluster_id,
            "--standalone",
        ]
        self._run_logged(
            "formatting the storage", cmd, cwd=properties_file.parent, deadline=deadline
        )

    def _terminate(self, proc: subprocess.Popen[bytes], grace: float) -> None:
        if not ls.signal_and_wait(proc, signal.SIGTERM, grace):
            ls.signal_and_wait(proc, signal.SIGKILL, None)


# --------------------------------------------------------------------------- command line


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


def _broker(args: argparse.Namespace) -> KafkaBroker:
    return KafkaBroker(port=args.port, num_partitions=args.partitions)


def _partitions_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partitions", type=int, default=3, help="num.partitions (default 3)")


def main(argv: Sequence[str] | None = None) -> int:
    parser, sub = ls.command_line(
        KafkaBroker.SERVICE, "Single-node Apache Kafka (KRaft) for local use."
    )
    p_fetch = sub.add_parser("fetch", help="download the Kafka jars into libs/ (once)")
    p_fetch.add_argument("--force", action="store_true", help="download again")
    p_fetch.set_defaults(func=_cmd_fetch)
    ls.add_serve_and_run(sub, KafkaBroker.SERVICE, _broker, options=_partitions_option)
    return ls.dispatch(parser, argv, KafkaBroker.SERVICE)


if __name__ == "__main__":
    sys.exit(main())
