"""Published event schemas: the checked-in files match the models, and only widen over time."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from pydantic import BaseModel, Field

from router.events import EVENT_TYPES, Event, InboundMessage
from router.schemas import (
    DIRECTORY,
    Schema,
    filename,
    generate,
    problems,
    published,
    render,
    write,
)

CHECKED_IN = sorted(DIRECTORY.glob("*.json"))


# --- the checked-in files --------------------------------------------------------------------


def test_every_event_type_has_a_checked_in_schema() -> None:
    assert sorted(p.name for p in CHECKED_IN) == sorted(
        filename(model) for model in EVENT_TYPES.values()
    )
    assert filename(InboundMessage) == "inbound_message.v1.json"


@pytest.mark.parametrize("model", EVENT_TYPES.values(), ids=list(EVENT_TYPES))
def test_checked_in_file_is_what_generate_produces(model: type[Event]) -> None:
    """Fails when a model changed without `wismo schema` being run."""
    path = DIRECTORY / filename(model)
    assert path.read_text(encoding="utf-8") == render(generate(model))


@pytest.mark.parametrize("path", CHECKED_IN, ids=[p.name for p in CHECKED_IN])
def test_current_models_accept_everything_the_published_schema_accepted(path: Path) -> None:
    old = json.loads(path.read_text(encoding="utf-8"))
    model = EVENT_TYPES.get(old["x-event-type"])
    assert model is not None, f"{path.name}: no event type {old['x-event-type']!r}"
    assert model.SCHEMA_VERSION == old["x-schema-version"]
    assert problems(old, generate(model)) == []


def test_generate_adds_identity_fields() -> None:
    schema = generate(InboundMessage)
    assert schema["$id"] == "urn:wismo:event:inbound_message:v1"
    assert schema["x-event-type"] == "inbound_message"
    assert schema["x-schema-version"] == 1
    assert schema["title"] == "InboundMessage"
    assert set(schema["required"]) >= {"event_id", "occurred_at", "channel", "text", "sender"}


def test_render_is_stable_sorted_json_with_a_trailing_newline() -> None:
    text = render({"b": 1, "a": {"é": "ü"}})
    assert text == '{\n  "a": {\n    "é": "ü"\n  },\n  "b": 1\n}\n'


def test_published_reads_every_json_file(tmp_path: Path) -> None:
    (tmp_path / "b.v1.json").write_text('{"x": 1}', encoding="utf-8")
    (tmp_path / "a.v1.json").write_text('{"y": 2}', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    assert published(tmp_path) == {"a.v1.json": {"y": 2}, "b.v1.json": {"x": 1}}


# --- problems(): a baseline and its changes -----------------------------------------------------


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class FewerColours(StrEnum):
    RED = "red"
    GREEN = "green"


class MoreColours(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"
    BLACK = "black"


class Address(BaseModel):
    city: str
    postcode: str | None = None


class Base(Event):
    """The published version every variant below is compared with."""

    EVENT_TYPE: ClassVar[str] = "probe"

    name: str | None = None
    weight: float = 0.0
    count: int = 0
    code: str = Field(default="", max_length=10)
    colour: Colour = Colour.RED
    tags: list[str] = Field(default_factory=list)
    address: Address | None = None

    def key(self) -> str:
        return self.event_id


def _schema(model: type[Event]) -> Schema:
    return generate(model)


BASE = _schema(Base)


def test_a_model_has_no_problems_with_itself() -> None:
    assert problems(BASE, _schema(Base)) == []
    for model in EVENT_TYPES.values():
        assert problems(generate(model), generate(model)) == []


def test_field_removed() -> None:
    class Removed(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Removed)) == ["$.tags: field removed"]


def test_field_renamed() -> None:
    class Renamed(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        full_name: str | None = None
        weight: float = 0.0
        count: int = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Renamed)) == ["$.name: field removed"]


def test_nested_field_removed() -> None:
    class CityOnly(BaseModel):
        city: str

    class Nested(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: CityOnly | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Nested)) == ["$.address.postcode: field removed"]


def test_optional_made_required_is_narrowing_and_a_new_required_field() -> None:
    class NotNull(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str
        weight: float = 0.0
        count: int = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    issues = problems(BASE, _schema(NotNull))
    assert "$.name: type narrowed from ['null'] to ['string']" in issues
    assert "$.name: new required field" in issues
    assert len(issues) == 2


def test_type_narrowed_float_to_int() -> None:
    class IntWeight(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: int = 0
        count: int = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(IntWeight)) == [
        "$.weight: type narrowed from ['integer', 'number'] to ['integer']"
    ]


def test_type_narrowed_str_to_literal() -> None:
    class LiteralCode(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int = 0
        code: Literal["", "a", "b"] = ""
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(LiteralCode)) == [
        "$.code: allowed values narrowed to ['', 'a', 'b']"
    ]


def test_enum_value_removed() -> None:
    class Fewer(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int = 0
        code: str = Field(default="", max_length=10)
        colour: FewerColours = FewerColours.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Fewer)) == [
        "$.colour: allowed values narrowed to ['red', 'green']"
    ]


def test_new_required_field() -> None:
    class Required(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None
        region: str

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Required)) == ["$.region: new required field"]


def test_max_length_tightened_and_added() -> None:
    class Tighter(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = Field(default=None, max_length=100)
        weight: float = 0.0
        count: int = 0
        code: str = Field(default="", max_length=5)
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Tighter)) == [
        "$.name: new limit maxLength=100",
        "$.code: maxLength changed from 10 to 5",
    ]


def test_range_and_list_limits_added() -> None:
    class Limited(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int = Field(default=0, ge=0, le=99)
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list, max_length=3)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Limited)) == [
        "$.count: new limit maximum=99",
        "$.count: new limit minimum=0",
        "$.tags: new limit maxItems=3",
    ]


def test_item_type_narrowed() -> None:
    class IntTags(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: list[int] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(IntTags)) == [
        "$.tags[]: type narrowed from ['string'] to ['integer']"
    ]


def test_pattern_added() -> None:
    class Patterned(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int = 0
        code: str = Field(default="", max_length=10, pattern=r"^[A-Z]*$")
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Patterned)) == ["$.code: pattern changed from None to '^[A-Z]*$'"]


def test_safe_changes_are_not_flagged() -> None:
    """New optional field, int → int | str, a new enum value, a looser limit, a nullable field."""

    class Widened(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int | str = 0
        code: str = Field(default="", max_length=20)
        colour: MoreColours = MoreColours.RED
        tags: list[str] | None = None
        address: Address | None = None
        nickname: str | None = None
        extra_tags: list[str] = Field(default_factory=list)

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Widened)) == []


def test_int_widened_to_float_is_safe_but_not_back() -> None:
    class FloatCount(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: float = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(FloatCount)) == []
    assert problems(_schema(FloatCount), BASE) == [
        "$.count: type narrowed from ['integer', 'number'] to ['integer']"
    ]


def test_union_narrowed_back_is_flagged() -> None:
    class IntOrStr(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int | str = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(IntOrStr)) == []
    assert problems(_schema(IntOrStr), BASE) == [
        "$.count: type narrowed from ['string'] to ['integer']"
    ]


def test_exclusive_range_narrowed() -> None:
    class Open(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = Field(default=0.5, gt=0.0, lt=1.0)
        count: int = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: list[str] = Field(default_factory=list)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Open)) != []


def test_unique_items_added() -> None:
    class Unique(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        name: str | None = None
        weight: float = 0.0
        count: int = 0
        code: str = Field(default="", max_length=10)
        colour: Colour = Colour.RED
        tags: set[str] = Field(default_factory=set)
        address: Address | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(BASE, _schema(Unique)) != []


class TreeNode(BaseModel):
    label: str = ""
    children: list[TreeNode] = Field(default_factory=list)


def test_recursive_model_is_compared() -> None:
    class Tree(Event):
        EVENT_TYPE: ClassVar[str] = "probe"
        root: TreeNode | None = None

        def key(self) -> str:
            return self.event_id

    assert problems(generate(Tree), generate(Tree)) == []


def test_extra_keys_no_longer_allowed() -> None:
    old: Schema = {"type": "object", "properties": {}, "additionalProperties": True}
    new: Schema = {"type": "object", "properties": {}, "additionalProperties": False}
    assert problems(old, new) == ["$: extra keys no longer allowed"]
    assert problems(new, old) == []


def test_map_value_type_narrowed() -> None:
    old: Schema = {"type": "object", "additionalProperties": {"type": "string"}}
    new: Schema = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert problems(old, new) == ["${}: type narrowed from ['string'] to ['integer']"]


def test_real_event_with_a_narrowed_field_is_flagged() -> None:
    published_schema = generate(InboundMessage)
    edited = json.loads(json.dumps(published_schema))
    edited["properties"]["text"]["maxLength"] = 4096
    assert problems(published_schema, edited) == ["$.text: maxLength changed from 65536 to 4096"]


# --- write() ---------------------------------------------------------------------------------


def test_write_creates_every_file_then_is_idempotent(tmp_path: Path) -> None:
    written, refused = write(tmp_path)
    assert refused == {}
    assert sorted(written) == sorted(filename(m) for m in EVENT_TYPES.values())
    for model in EVENT_TYPES.values():
        assert (tmp_path / filename(model)).read_text(encoding="utf-8") == render(generate(model))
    assert write(tmp_path) == ([], {})


def test_write_refuses_an_incompatible_change_and_leaves_the_file(tmp_path: Path) -> None:
    """The published file had a field the model no longer has: removing it would break readers."""
    write(tmp_path)
    name = filename(InboundMessage)
    old = generate(InboundMessage)
    old["properties"]["legacy_ref"] = {"type": "string", "title": "Legacy Ref"}
    old["required"] = [*old["required"], "legacy_ref"]
    before = render(old)
    (tmp_path / name).write_text(before, encoding="utf-8")

    written, refused = write(tmp_path)

    assert written == []
    assert refused == {name: ["$.legacy_ref: field removed"]}
    assert (tmp_path / name).read_text(encoding="utf-8") == before


def test_write_accepts_a_compatible_change(tmp_path: Path) -> None:
    """The published file lacked an optional field the model has now: adding it is safe."""
    write(tmp_path)
    name = filename(InboundMessage)
    old = generate(InboundMessage)
    del old["properties"]["attachments"]
    del old["$defs"]["Attachment"]
    (tmp_path / name).write_text(render(old), encoding="utf-8")

    written, refused = write(tmp_path)

    assert (written, refused) == ([name], {})
    assert (tmp_path / name).read_text(encoding="utf-8") == render(generate(InboundMessage))
