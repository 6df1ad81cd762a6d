"""The README stays true: every setting is in its table, and CI runs its test command."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import BaseModel

from router.settings import Settings
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def env_names(model: type[BaseModel], prefix: str = "WISMO_") -> Iterator[str]:
    for name, field in model.model_fields.items():
        annotation = field.annotation
        env = prefix + name.upper()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from env_names(annotation, env + "__")
        else:
            yield env


def test_every_setting_is_in_the_configuration_table() -> None:
    documented = set(re.findall(r"^\| `(WISMO_[A-Z_]+)` \|", README, re.MULTILINE))
    names = set(env_names(Settings))
    assert names - documented == set()
    assert documented - names == set()  # nothing documented that does not exist


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [
        line.strip()
        for line in ci.splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert commands == ["make test"]
    assert "```sh\nmake test\n```" in README
    assert "```sh\nmake run\n```" in README
