"""Settings: defaults, WISMO_* environment (nested with `__`), a TOML file, precedence, secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from router.settings import ROLES, Settings, load


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No WISMO_* variable from the outer environment; load() may set WISMO_CONFIG_FILE, and
    monkeypatch restores it afterwards because it is recorded here."""
    for name in list(os.environ):
        if name.upper().startswith("WISMO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("WISMO_CONFIG_FILE", "")


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "wismo.toml"
    path.write_text(
        """
host = "0.0.0.0"
port = 9000
demo = true
roles = ["pipeline"]
log_level = "debug"

[bus]
backend = "kafka"
topic_prefix = "file."

[bus.kafka]
bootstrap_servers = "kafka-from-file:9092"
client_id = "from-file"
sasl_username = "svc"
sasl_password = "file-secret-password"

[brand]
name = "File Shop"

[classifier]
threshold = 0.7

[channels.webchat]
enabled = true
origins = ["https://shop.example"]
""",
        encoding="utf-8",
    )
    return path


def test_defaults() -> None:
    s = Settings()
    assert (s.host, s.port, s.demo) == ("127.0.0.1", 8080, False)
    assert s.roles == list(ROLES) == ["ingest", "pipeline", "dispatch", "desk", "notify"]
    assert (s.log_level, s.log_format) == ("info", "json")
    assert s.shutdown_timeout_s == 8.0
    assert s.max_message_bytes == 4096
    assert s.bus.backend == "memory"
    assert s.bus.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert s.bus.kafka.partitions == 8
    assert s.bus.kafka.sasl_password is None
    assert s.database.url == "sqlite+aiosqlite:///var/wismo.db"
    assert s.brand.name == "Demo Shop"
    assert s.classifier.threshold == 0.6
    assert s.channels == {}


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISMO_HOST", "0.0.0.0")
    monkeypatch.setenv("WISMO_PORT", "9100")
    monkeypatch.setenv("WISMO_DEMO", "true")
    monkeypatch.setenv("WISMO_ROLES", '["ingest", "dispatch"]')
    monkeypatch.setenv("WISMO_LOG_LEVEL", "warning")
    s = Settings()
    assert (s.host, s.port, s.demo) == ("0.0.0.0", 9100, True)
    assert s.roles == ["ingest", "dispatch"]
    assert s.log_level == "warning"


def test_environment_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("wismo_port", "9101")
    assert Settings().port == 9101


def test_nested_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISMO_BUS__BACKEND", "kafka")
    monkeypatch.setenv("WISMO_BUS__KAFKA__BOOTSTRAP_SERVERS", "broker-1:9092,broker-2:9092")
    monkeypatch.setenv("WISMO_BUS__KAFKA__PARTITIONS", "12")
    monkeypatch.setenv("WISMO_DATABASE__URL", "postgresql+asyncpg://db/wismo")
    monkeypatch.setenv("WISMO_CLASSIFIER__THRESHOLD", "0.65")
    monkeypatch.setenv("WISMO_CHANNELS__WEBCHAT__PATH", "/chat")
    s = Settings()
    assert s.bus.backend == "kafka"
    assert s.bus.kafka.bootstrap_servers == "broker-1:9092,broker-2:9092"
    assert s.bus.kafka.partitions == 12
    assert s.bus.kafka.client_id == "wismo-router"
    assert s.database.url == "postgresql+asyncpg://db/wismo"
    assert s.classifier.threshold == 0.65
    assert s.channels == {"webchat": {"path": "/chat"}}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WISMO_PORT", "70000"),
        ("WISMO_PORT", "http"),
        ("WISMO_LOG_LEVEL", "verbose"),
        ("WISMO_ROLES", '["ingest", "sender"]'),
        ("WISMO_BUS__BACKEND", "redis"),
        ("WISMO_BUS__KAFKA__PARTITIONS", "0"),
        ("WISMO_CLASSIFIER__THRESHOLD", "1.5"),
        ("WISMO_SHUTDOWN_TIMEOUT_S", "0"),
        ("WISMO_MAX_MESSAGE_BYTES", "100"),
    ],
)
def test_invalid_environment_is_rejected(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_toml_file_from_the_environment(monkeypatch: pytest.MonkeyPatch, config_file: Path) -> None:
    monkeypatch.setenv("WISMO_CONFIG_FILE", str(config_file))
    s = Settings()
    assert (s.host, s.port, s.demo) == ("0.0.0.0", 9000, True)
    assert s.roles == ["pipeline"]
    assert s.log_level == "debug"
    assert s.bus.backend == "kafka"
    assert s.bus.topic_prefix == "file."
    assert s.bus.kafka.bootstrap_servers == "kafka-from-file:9092"
    assert s.bus.kafka.client_id == "from-file"
    assert s.brand.name == "File Shop"
    assert s.bus.max_attempts == 5  # not in the file: default
    assert s.classifier.threshold == 0.7
    assert s.channels == {"webchat": {"enabled": True, "origins": ["https://shop.example"]}}


def test_load_with_a_config_file(config_file: Path) -> None:
    s = load(config_file=str(config_file))
    assert s.port == 9000
    assert s.bus.kafka.client_id == "from-file"
    # The file applies to this load only: the environment is left as it was.
    assert os.environ.get("WISMO_CONFIG_FILE", "") == ""
    assert Settings().port == 8080


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(FileNotFoundError, match=r"nope\.toml does not exist"):
        load(config_file=str(missing))


def test_empty_config_file_variable_means_no_file() -> None:
    assert os.environ["WISMO_CONFIG_FILE"] == ""
    assert Settings().port == 8080


def test_precedence_env_over_file_over_defaults(
    monkeypatch: pytest.MonkeyPatch, config_file: Path
) -> None:
    monkeypatch.setenv("WISMO_PORT", "9200")
    monkeypatch.setenv("WISMO_BUS__KAFKA__CLIENT_ID", "from-env")
    monkeypatch.setenv("WISMO_BRAND__NAME", "Env Shop")
    s = load(config_file=str(config_file))
    assert s.port == 9200  # env over file
    assert s.host == "0.0.0.0"  # file over default
    assert s.shutdown_timeout_s == 8.0  # default
    # Nested sections are merged key by key, not replaced whole.
    assert s.bus.kafka.client_id == "from-env"
    assert s.bus.kafka.bootstrap_servers == "kafka-from-file:9092"
    assert s.bus.kafka.request_timeout_ms == 10_000
    assert s.brand.name == "Env Shop"
    assert s.bus.topic_prefix == "file."


def test_arguments_win_over_everything(monkeypatch: pytest.MonkeyPatch, config_file: Path) -> None:
    monkeypatch.setenv("WISMO_PORT", "9200")
    s = load(config_file=str(config_file), port=9300, demo=False)
    assert s.port == 9300
    assert s.demo is False
    assert s.host == "0.0.0.0"


def test_secret_is_not_shown(monkeypatch: pytest.MonkeyPatch, config_file: Path) -> None:
    s = load(config_file=str(config_file))
    password = s.bus.kafka.sasl_password
    assert isinstance(password, SecretStr)
    assert password.get_secret_value() == "file-secret-password"
    for text in (repr(s), str(s), repr(s.bus.kafka), str(s.bus), s.model_dump_json()):
        assert "file-secret-password" not in text
    assert "**********" in repr(s.bus.kafka)

    monkeypatch.setenv("WISMO_BUS__KAFKA__SASL_PASSWORD", "env-secret-password")
    from_env = Settings()
    assert from_env.bus.kafka.sasl_password is not None
    assert from_env.bus.kafka.sasl_password.get_secret_value() == "env-secret-password"
    assert "env-secret-password" not in repr(from_env)


def test_unknown_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISMO_NOT_A_SETTING", "x")
    assert not hasattr(Settings(), "not_a_setting")
