"""Recognise and validate carrier tracking numbers.

Everything carrier-specific comes from the vendored specification files in
``data/tracking_numbers/couriers/*.json`` (jkeen/tracking_number_data, MIT, see the ``LICENSE``
and ``SOURCE_COMMIT.txt`` next to them).  This module only interprets that data:

* each tracking-number type has a regex (a string or a list of strings to concatenate) written
  in PCRE syntax with named groups ``(?<Name>...)`` and ``\\s*`` between characters; it is
  translated to Python syntax and compiled once;
* ``validation.checksum`` names a check-digit algorithm and its parameters, computed over the
  ``SerialNumber`` group and compared with the ``CheckDigit`` group;
* ``validation.serial_number_format.prepend_if`` prepends ``content`` to the serial number
  when the serial matches ``matches_regex`` (before the checksum is computed);
* ``additional`` lists lookups keyed by a regex group (service type, country, postal operator);
  they are informational, except the ones named in ``validation.additional.exists``, which
  must resolve for the number to be valid (S10: the country code must belong to a known
  postal operator).

Public API: :class:`TrackingMatch`, :func:`validate`, :func:`is_valid`, :func:`find_in_text`.
The specs are loaded lazily, once per process, through :mod:`importlib.resources`; no call does
file I/O after the first.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["TrackingMatch", "find_in_text", "is_valid", "validate"]


@dataclass(frozen=True, slots=True)
class TrackingMatch:
    """One (courier, tracking-number type) interpretation of a valid tracking number."""

    number: str
    """Normalised number: all whitespace removed, upper-case."""
    courier_code: str
    """The data's courier code, e.g. ``"ups"``, ``"usps"``, ``"fedex"``, ``"s10"``."""
    courier_name: str
    """The data's courier name, e.g. ``"United States Postal Service"``."""
    type_id: str
    """The data's id for the number type (its name when the data gives no id)."""
    type_name: str
    """The data's name for the number type, e.g. ``"FedEx Ground"``."""
    carrier: str
    """Short canonical carrier name used by the rest of the app (``"UPS"``, ``"FedEx"``…);
    for S10 (UPU) numbers the issuing postal operator."""
    service: str | None = None
    """The looked-up ``Service Type`` of the number, when the data defines one and it resolves."""
    details: tuple[tuple[str, str], ...] = ()
    """Every ``additional`` lookup that resolved, as ``(lookup name, value)`` pairs."""
    tracking_url: str | None = None
    """The carrier's tracking page for this number, when the data gives a URL template."""


# --------------------------------------------------------------------------------------------
# Canonical carrier names (the only carrier knowledge that is not in the data)

_CARRIER_BY_COURIER_CODE: Mapping[str, str] = {
    "amazon": "Amazon Logistics",
    "canada_post": "Canada Post",
    "canpar": "Canpar",
    "dhl": "DHL",
    "dpd": "DPD",
    "fedex": "FedEx",
    "gofo": "GOFO",
    "landmark": "Landmark",
    "lasership": "LaserShip",
    "old_dominion": "Old Dominion",
    "ontrac": "OnTrac",
    "purolator": "Purolator",
    "speedee": "Speedee",
    "ups": "UPS",
    "usps": "USPS",
    "yodel": "Yodel",
    "yunexpress": "YunExpress",
}
_S10_COURIER_CODE = "s10"
_S10_FALLBACK_CARRIER = "Postal (S10)"
_S10_OPERATOR_LOOKUP = "Courier"
# S10 operators that the app already knows under a short name.
_S10_OPERATOR_ALIASES: Mapping[str, str] = {
    "United States Postal Service": "USPS",
    "Canada Post": "Canada Post",
}
_SERVICE_LOOKUP = "Service Type"


# --------------------------------------------------------------------------------------------
# Check-digit algorithms.  Each builder takes the spec's parameters and returns a predicate
# ``(serial, check_digit) -> bool`` over normalised (whitespace-free, upper-case) strings.

CheckFn = Callable[[str, str], bool]

_ALNUM36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _digits(text: str) -> list[int] | None:
    if not text.isascii() or not text.isdigit():
        return None
    return [ord(c) - 48 for c in text]


def _mod10_value(char: str) -> int:
    """Digit value of a serial character for the mod10 family.

    Digits are themselves; letters (only UPS ``1Z`` numbers carry them) follow UPS's published
    conversion, A=2, B=3, … wrapping modulo 10.
    """
    if "0" <= char <= "9":
        return ord(char) - 48
    return (ord(char) - ord("A") + 2) % 10


def _build_mod10(params: Mapping[str, Any]) -> CheckFn:
    """Weighted sum with alternating multipliers.

    Characters are indexed from 0 (from the right-hand end of the serial when ``reverse``):
    even indexes are multiplied by ``evens_multiplier``, odd ones by ``odds_multiplier``
    (products are added as they are, not digit-summed).  The check digit is
    ``(modulo - total % modulo) % modulo``.
    """
    modulo = _int_param(params, "modulo", 10)
    evens = _int_param(params, "evens_multiplier")
    odds = _int_param(params, "odds_multiplier")
    reverse = bool(params.get("reverse", False))

    def check(serial: str, check_digit: str) -> bool:
        expected = _digits(check_digit)
        if expected is None or len(expected) != 1 or not serial.isalnum():
            return False
        chars = serial[::-1] if reverse else serial
        total = 0
        for index, char in enumerate(chars):
            total += _mod10_value(char) * (evens if index % 2 == 0 else odds)
        return (modulo - total % modulo) % modulo == expected[0]

    return check


def _build_mod7(params: Mapping[str, Any]) -> CheckFn:
    """The serial read as one integer, modulo ``modulo`` (7), equals the check digit."""
    modulo = _int_param(params, "modulo", 7)

    def check(serial: str, check_digit: str) -> bool:
        if _digits(serial) is None or _digits(check_digit) is None:
            return False
        return int(serial) % modulo == int(check_digit)

    return check


def _build_luhn(params: Mapping[str, Any]) -> CheckFn:
    """Luhn: from the check digit leftwards, double every second digit (subtracting 9 when
    the product exceeds 9); the sum of serial and check digit is a multiple of ``modulo``."""
    modulo = _int_param(params, "modulo", 10)

    def check(serial: str, check_digit: str) -> bool:
        digits = _digits(serial + check_digit)
        if digits is None:
            return False
        total = 0
        for index, digit in enumerate(reversed(digits)):
            if index % 2 == 1:
                digit *= 2
                if digit > 9:
                    digit -= 9
            total += digit
        return total % modulo == 0

    return check


def _build_s10(params: Mapping[str, Any]) -> CheckFn:
    """UPU S10: weights over the 8 serial digits, ``r = modulo - sum % modulo``; a result of
    10 is written 0 and 11 is written 5 (the S10 standard's rule for two-digit results)."""
    weights = _int_list_param(params, "weightings")
    modulo = _int_param(params, "modulo", 11)

    def check(serial: str, check_digit: str) -> bool:
        digits = _digits(serial)
        expected = _digits(check_digit)
        if digits is None or expected is None or len(digits) != len(weights):
            return False
        result = modulo - sum(w * d for w, d in zip(weights, digits, strict=True)) % modulo
        if result == 10:
            result = 0
        elif result == 11:
            result = 5
        return [result] == expected

    return check


def _build_sum_product(params: Mapping[str, Any]) -> CheckFn:
    """FedEx: ``sum(weight_i * digit_i) % modulo1 % modulo2`` equals the check digit; the
    weights line up with the serial digits left to right."""
    weights = _int_list_param(params, "weightings")
    modulo1 = _int_param(params, "modulo1")
    modulo2 = _int_param(params, "modulo2")

    def check(serial: str, check_digit: str) -> bool:
        digits = _digits(serial)
        expected = _digits(check_digit)
        if digits is None or expected is None or len(digits) != len(weights):
            return False
        total = sum(w * d for w, d in zip(weights, digits, strict=True))
        return [total % modulo1 % modulo2] == expected

    return check


def _build_mod_37_36(params: Mapping[str, Any]) -> CheckFn:
    """ISO/IEC 7064 MOD 37,36 (hybrid system) over ``alphabet`` with ``modulo`` M = 36:
    start with P = M; per character P = ((P + value) mod M, or M when 0) * 2 mod (M + 1);
    the check character's value is (M + 1 - P) mod M."""
    alphabet = str(params.get("alphabet", _ALNUM36))
    modulo = _int_param(params, "modulo", len(alphabet))
    values = {char: index for index, char in enumerate(alphabet)}

    def check(serial: str, check_digit: str) -> bool:
        if len(check_digit) != 1 or check_digit not in values:
            return False
        product = modulo
        for char in serial:
            value = values.get(char)
            if value is None:
                return False
            total = (product + value) % modulo or modulo
            product = total * 2 % (modulo + 1)
        return (modulo + 1 - product) % modulo == values[check_digit]

    return check


_CHECKSUM_BUILDERS: Mapping[str, Callable[[Mapping[str, Any]], CheckFn]] = {
    "mod10": _build_mod10,
    "mod7": _build_mod7,
    "luhn": _build_luhn,
    "s10": _build_s10,
    "sum_product_with_weightings_and_modulo": _build_sum_product,
    "mod_37_36": _build_mod_37_36,
}


def _checksum_strength(name: str, params: Mapping[str, Any]) -> int:
    """How many values the check digit can take, i.e. 1 in N random serials pass."""
    if name == "mod7":
        return _int_param(params, "modulo", 7)
    if name == "sum_product_with_weightings_and_modulo":
        return _int_param(params, "modulo2")
    if name == "s10":
        return 10  # eleven residues folded onto ten digits
    return _int_param(params, "modulo", 10)


def _int_param(params: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = params.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"checksum parameter {key!r} must be an integer, got {value!r}")
    return value


def _int_list_param(params: Mapping[str, Any], key: str) -> tuple[int, ...]:
    value = params.get(key)
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"checksum parameter {key!r} must be a list of integers")
    return tuple(value)


# --------------------------------------------------------------------------------------------
# Spec loading


_NAMED_GROUP = re.compile(r"\(\?<(?=[A-Za-z_])")


def _translate_regex(source: str | list[str]) -> str:
    """PCRE → Python ``re``: join list parts and turn ``(?<Name>`` into ``(?P<Name>``
    (lookbehinds ``(?<=`` / ``(?<!`` are left alone)."""
    joined = source if isinstance(source, str) else "".join(source)
    return _NAMED_GROUP.sub("(?P<", joined)


@dataclass(frozen=True, slots=True)
class _LookupEntry:
    exact: str | None
    pattern: re.Pattern[str] | None
    value: str

    def matches(self, text: str) -> bool:
        if self.exact is not None:
            return text == self.exact
        return self.pattern is not None and self.pattern.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class _Lookup:
    name: str
    group: str
    entries: tuple[_LookupEntry, ...]

    def resolve(self, text: str) -> str | None:
        for entry in self.entries:
            if entry.matches(text):
                return entry.value
        return None


@dataclass(frozen=True, slots=True)
class _Spec:
    order: int
    courier_code: str
    courier_name: str
    type_id: str
    type_name: str
    regex: re.Pattern[str]
    checksum: CheckFn | None
    strength: int
    prepend_if: tuple[re.Pattern[str], str] | None
    lookups: tuple[_Lookup, ...]
    required_lookups: frozenset[str]
    tracking_url: str | None

    def pinned(self, number: str) -> int:
        """How many characters of ``number`` this type's regex fixes: positions where no
        other letter or digit would still match (e.g. ``420`` and ``9x`` of a USPS IMpb)."""
        count = 0
        for index, original in enumerate(number):
            head, tail = number[:index], number[index + 1 :]
            if not any(
                char != original and self.regex.fullmatch(head + char + tail) is not None
                for char in _ALNUM36
            ):
                count += 1
        return count

    def match(self, number: str) -> TrackingMatch | None:
        found = self.regex.fullmatch(number)
        if found is None:
            return None
        groups = found.groupdict()
        if self.checksum is not None:
            serial = groups.get("SerialNumber")
            check_digit = groups.get("CheckDigit")
            if serial is None or check_digit is None:
                return None
            if self.prepend_if is not None:
                pattern, content = self.prepend_if
                if pattern.search(serial) is not None:
                    serial = content + serial
            if not self.checksum(serial, check_digit):
                return None
        details: list[tuple[str, str]] = []
        service: str | None = None
        operator: str | None = None
        for lookup in self.lookups:
            raw = groups.get(lookup.group)
            value = lookup.resolve(raw) if raw is not None else None
            if value is None:
                if lookup.name in self.required_lookups:
                    return None
                continue
            details.append((lookup.name, value))
            if lookup.name == _SERVICE_LOOKUP and service is None:
                service = value
            if lookup.name == _S10_OPERATOR_LOOKUP:
                operator = value
        return TrackingMatch(
            number=number,
            courier_code=self.courier_code,
            courier_name=self.courier_name,
            type_id=self.type_id,
            type_name=self.type_name,
            carrier=self._carrier(operator),
            service=service,
            details=tuple(details),
            tracking_url=self.tracking_url.replace("%s", number) if self.tracking_url else None,
        )

    def _carrier(self, operator: str | None) -> str:
        if self.courier_code == _S10_COURIER_CODE:
            if operator is None:
                return _S10_FALLBACK_CARRIER
            return _S10_OPERATOR_ALIASES.get(operator, operator)
        return _CARRIER_BY_COURIER_CODE.get(self.courier_code, self.courier_name)


def _build_lookup(raw: Mapping[str, Any]) -> _Lookup:
    name = str(raw["name"])
    entries: list[_LookupEntry] = []
    for item in raw.get("lookup", []):
        # The label: the operator for S10's "Courier", else the entry's name, else its country.
        label = item.get("courier") or item.get("name") or item.get("country")
        if not label:
            continue
        if "matches" in item:
            entries.append(_LookupEntry(str(item["matches"]), None, str(label)))
        elif "matches_regex" in item:
            pattern = re.compile(_translate_regex(str(item["matches_regex"])))
            entries.append(_LookupEntry(None, pattern, str(label)))
    return _Lookup(name=name, group=str(raw["regex_group_name"]), entries=tuple(entries))


_KNOWN_VALIDATION_KEYS = frozenset({"checksum", "serial_number_format", "additional"})


def _build_spec(order: int, courier: Mapping[str, Any], raw: Mapping[str, Any]) -> _Spec:
    type_name = str(raw["name"])
    validation: Mapping[str, Any] = raw.get("validation") or {}
    unknown = set(validation) - _KNOWN_VALIDATION_KEYS
    if unknown:
        raise ValueError(f"{type_name}: unsupported validation keys {sorted(unknown)}")

    checksum: CheckFn | None = None
    strength = 1
    checksum_spec: Mapping[str, Any] | None = validation.get("checksum")
    if checksum_spec:
        checksum_name = str(checksum_spec["name"])
        builder = _CHECKSUM_BUILDERS.get(checksum_name)
        if builder is None:
            raise ValueError(f"{type_name}: unsupported checksum {checksum_name!r}")
        checksum = builder(checksum_spec)
        strength = _checksum_strength(checksum_name, checksum_spec)

    prepend_if: tuple[re.Pattern[str], str] | None = None
    serial_format: Mapping[str, Any] = validation.get("serial_number_format") or {}
    if "prepend_if" in serial_format:
        rule = serial_format["prepend_if"]
        prepend_if = (
            re.compile(_translate_regex(str(rule["matches_regex"]))),
            str(rule["content"]),
        )

    required: Mapping[str, Any] = validation.get("additional") or {}
    required_lookups = frozenset(str(name) for name in required.get("exists", []))
    lookups = tuple(_build_lookup(item) for item in raw.get("additional", []))
    missing = required_lookups - {lookup.name for lookup in lookups}
    if missing:
        raise ValueError(f"{type_name}: required lookups {sorted(missing)} are not defined")

    regex = re.compile(_translate_regex(raw["regex"]))
    needed = {lookup.group for lookup in lookups}
    if checksum is not None:
        needed |= {"SerialNumber", "CheckDigit"}
    if needed - set(regex.groupindex):
        raise ValueError(
            f"{type_name}: regex lacks groups {sorted(needed - set(regex.groupindex))}"
        )

    url = raw.get("tracking_url")
    return _Spec(
        order=order,
        courier_code=str(courier["courier_code"]),
        courier_name=str(courier["name"]),
        type_id=str(raw.get("id") or type_name),
        type_name=type_name,
        regex=regex,
        checksum=checksum,
        strength=strength,
        prepend_if=prepend_if,
        lookups=lookups,
        required_lookups=required_lookups,
        tracking_url=str(url) if url else None,
    )


@functools.cache
def _specs() -> tuple[_Spec, ...]:
    """Every tracking-number type of every courier, in data order (file name, then type)."""
    couriers = resources.files(__package__ or "router.tracking") / "data" / "tracking_numbers"
    specs: list[_Spec] = []
    for entry in sorted((couriers / "couriers").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        courier = json.loads(entry.read_text(encoding="utf-8"))
        for raw in courier["tracking_numbers"]:
            specs.append(_build_spec(len(specs), courier, raw))
    return tuple(specs)


# --------------------------------------------------------------------------------------------
# Validation

_WHITESPACE = re.compile(r"\s+")


def _normalise(number: str) -> str:
    return _WHITESPACE.sub("", number).upper()


@functools.lru_cache(maxsize=4096)
def _matches(number: str) -> tuple[tuple[_Spec, TrackingMatch], ...]:
    """Every valid interpretation of a normalised number, most specific first.

    Tie-break: the stronger check digit wins (ISO 7064 mod 37/36 > the mod 10/11 families >
    mod 7 > none); then a type whose additional lookups must resolve (S10's issuing country)
    beats one without; then the type whose regex fixes more of the number's characters
    (USPS's ``420…92…`` beats FedEx's 34 free digits, DHL's ``J..`` piece id beats Purolator's
    three free letters); then data order (courier file name, then position in the file).
    """
    found = [(spec, m) for spec in _specs() if (m := spec.match(number)) is not None]
    if len(found) > 1:
        tiers = Counter((spec.strength, len(spec.required_lookups)) for spec, _ in found)

        def key(pair: tuple[_Spec, TrackingMatch]) -> tuple[int, int, int, int]:
            spec = pair[0]
            tier = (spec.strength, len(spec.required_lookups))
            pinned = spec.pinned(number) if tiers[tier] > 1 else 0  # only computed for ties
            return (-tier[0], -tier[1], -pinned, spec.order)

        found.sort(key=key)
    return tuple(found)


def validate(number: str) -> list[TrackingMatch]:
    """Every (courier, type) interpretation of ``number`` whose regex matches the whole
    normalised number and whose check digit and required lookups pass.

    The number is normalised first (whitespace removed, upper-cased).  The list is ordered
    most specific first (see :func:`find_in_text` for the rule); it is empty when nothing
    validates.
    """
    normalised = _normalise(number)
    if not normalised:
        return []
    return [m for _, m in _matches(normalised)]


def is_valid(number: str, carrier: str | None = None) -> bool:
    """Whether ``number`` validates, optionally for one carrier only.

    ``carrier`` is compared case-insensitively with a match's canonical ``carrier`` (``"UPS"``,
    ``"FedEx"``, an S10 postal operator…) and with its ``courier_code`` (``"ups"``, ``"s10"``…).
    """
    matches = validate(number)
    if carrier is None:
        return bool(matches)
    wanted = carrier.strip().casefold()
    return any(wanted in (m.carrier.casefold(), m.courier_code.casefold()) for m in matches)


# --------------------------------------------------------------------------------------------
# Finding numbers in free text
#
# Candidates are built from "chunks": maximal runs of letters/digits (hyphen-joined runs stay
# one chunk, e.g. LaserShip's "1LS7119013618127-1").  A single chunk is always a candidate:
# it is bounded by non-alphanumerics, and the data's regex and check digit decide.  Because the
# data also allows spaces inside a number ("9400 1112 0108 0805 4830 16", "1Z 5R8 939 …"),
# neighbouring chunks are glued into one candidate too, but only under these rules:
#
#   G1  chunks are separated by 1-3 horizontal whitespace characters only (no newline, no
#       punctuation: "1,299.00", "(415) 555-0134" and "2024-05-01" are never glued);
#   G2  every glued chunk has no lower-case letter and no hyphen, and a letters-only chunk has
#       at most 4 letters, so prose is never glued onto a number; a glued candidate may not
#       start with a common word or carrier label ("IN", "MY", "UPS", "NO"…), so a label is
#       never glued onto the number it introduces (such words may still end a candidate:
#       "RB 123 456 785 IN" is an Indian S10 number);
#   G3  digits right after "+", with the digit groups glued to them, are an international
#       phone number and never a candidate, even when they would validate ("+254711303113");
#   G4  a glued candidate never cuts a group of adjacent digits-only chunks in two (no
#       "415 555" out of "415 555 0134", no 12 digits out of a spaced 16-digit card number);
#   G5  a glued candidate made only of digits counts only for types with a check digit of at
#       least 1-in-10 strength (not DHL Express's mod 7, not checksum-less types), since digit
#       groups in messages are mostly phone numbers, amounts and references.
#
# Scanning is left to right; at each chunk the longest candidate that validates wins and the
# scan resumes after it.  A hyphen-joined chunk that does not validate as a whole is retried
# part by part.  Results are deduplicated by normalised number (first appearance kept), and
# each number is reported once, as its most specific interpretation (first of validate();
# the tie-break rule is documented on _matches).

_CHUNK = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_GLUE_GAP = re.compile(r"[^\S\r\n]{1,3}")
_MAX_GLUED_CHUNKS = 40
_MIN_CANDIDATE_LEN = 8
_MAX_CANDIDATE_LEN = 48
_MAX_GLUE_WORD_LEN = 4
_MIN_GLUED_DIGITS_STRENGTH = 10
_GLUE_STOPWORDS = frozenset(
    {
        # English words likely to precede a number in all-caps messages
        "A", "I", "AN", "AND", "ARE", "AT", "BY", "FOR", "HAS", "IN", "IS", "IT", "ITS", "MY",
        "NO", "NOT", "NOW", "OF", "ON", "OR", "OUR", "THE", "TO", "WAS", "WHY", "YOU",
        # labels and carrier names written before a number
        "AWB", "DHL", "DPD", "GLS", "ID", "INV", "NR", "NUM", "ORD", "PO", "REF", "TNT", "UPS",
        "USPS", "TEL", "PH", "FAX",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Chunk:
    start: int
    end: int
    text: str
    glueable: bool
    leads: bool
    """May start a glued candidate (G2)."""
    digits_only: bool


def _chunk(found: re.Match[str]) -> _Chunk:
    text = found.group()
    digits_only = text.isascii() and text.isdigit()
    if "-" in text or text != text.upper():
        glueable = False  # G2: structured (hyphenated) chunk, or a word with lower case
    elif text.isalpha():
        glueable = len(text) <= _MAX_GLUE_WORD_LEN  # G2
    else:
        glueable = True
    leads = glueable and text not in _GLUE_STOPWORDS
    return _Chunk(found.start(), found.end(), text, glueable, leads, digits_only)


def _runs(text: str) -> Iterator[list[_Chunk]]:
    """Groups of chunks that may be glued (G1-G3); non-glueable chunks come alone."""
    run: list[_Chunk] = []
    for found in _CHUNK.finditer(text):
        chunk = _chunk(found)
        if (
            run
            and chunk.glueable
            and run[-1].glueable
            and _GLUE_GAP.fullmatch(text, run[-1].end, chunk.start)
        ):
            run.append(chunk)
            continue
        if run:
            yield from _split_phone(text, run)
        run = [chunk]
    if run:
        yield from _split_phone(text, run)


def _split_phone(text: str, run: list[_Chunk]) -> Iterator[list[_Chunk]]:
    """G3: digits right after "+" (and the digit groups glued to them) are a phone number."""
    if not (run[0].digits_only and run[0].start > 0 and text[run[0].start - 1] == "+"):
        yield run
        return
    index = 0
    while index < len(run) and run[index].digits_only:
        index += 1
    if index < len(run):
        yield run[index:]


def _best_match(number: str, digits_only_glued: bool) -> TrackingMatch | None:
    if not _MIN_CANDIDATE_LEN <= len(number) <= _MAX_CANDIDATE_LEN:
        return None
    for spec, match in _matches(number):
        if digits_only_glued and spec.strength < _MIN_GLUED_DIGITS_STRENGTH:
            continue  # G5
        return match
    return None


def _single(chunk: _Chunk) -> TrackingMatch | None:
    match = _best_match(chunk.text.upper(), digits_only_glued=False)
    if match is None and "-" in chunk.text:
        for part in chunk.text.split("-"):
            match = _best_match(part.upper(), digits_only_glued=False)
            if match is not None:
                break
    return match


def _scan_run(run: Sequence[_Chunk]) -> Iterator[TrackingMatch]:
    start = 0
    while start < len(run):
        found: TrackingMatch | None = None
        stop = min(len(run), start + _MAX_GLUED_CHUNKS)
        # G4: a glued window may not begin inside a group of digits-only chunks.
        cuts_left = start > 0 and run[start - 1].digits_only and run[start].digits_only
        while stop > start + 1 and run[start].leads and not cuts_left:
            window = run[start:stop]
            cuts_right = stop < len(run) and run[stop - 1].digits_only and run[stop].digits_only
            if not cuts_right:
                number = "".join(c.text for c in window).upper()
                if len(number) <= _MAX_CANDIDATE_LEN:
                    digits_only = all(c.digits_only for c in window)
                    found = _best_match(number, digits_only_glued=digits_only)
                    if found is not None:
                        break
            stop -= 1
        if found is None:
            stop = start + 1
            found = _single(run[start])
        if found is not None:
            yield found
        start = stop


# Every valid number in the data has 7 digits close together, or is one long token with digits
# (LaserShip "1LSCXVE005BUEFX"); most messages have neither, and skip the scan entirely.
_MAYBE_NUMBER = re.compile(r"(?:\d[^\n\d]{0,3}){7}|(?=[A-Za-z]*\d)[A-Za-z0-9]{10,}")


def might_contain_number(text: str) -> bool:
    """Cheap test: False means no tracking number (nor phone number) can be in ``text``."""
    return _MAYBE_NUMBER.search(text) is not None


def find_in_text(text: str) -> list[TrackingMatch]:
    """Tracking numbers written in ``text``, in order of appearance, one match per number.

    See the comment block above for how candidates are formed (when spaced chunks are glued)
    and for the tie-break when several couriers accept the same number.
    """
    if not might_contain_number(text):
        return []
    results: list[TrackingMatch] = []
    seen: set[str] = set()
    for run in _runs(text):
        for match in _scan_run(run):
            if match.number not in seen:
                seen.add(match.number)
                results.append(match)
    return results
