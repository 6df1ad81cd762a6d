"""The customer model (when people write, what they say, what calms them) and the desk."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest

from router.classify import load_classifier
from router.events import ShipmentStatus as S
from router.settings import ClassifierSettings
from router.simulate.customers import (
    ANGRY,
    CURIOUS,
    FOLLOW_UP,
    LATE,
    NO_NUMBER,
    NOTICE_REPLY,
    SILENT,
    TROUBLE_TEXTS,
    Behaviour,
    Customer,
    Desk,
    days_named,
    new_day,
)
from tests.simulate.factory import MONDAY, at, order, scan

TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + timedelta(days=n) for n in range(1, 5))
NEXT_MONDAY = MONDAY + timedelta(days=7)


def moving(promised_by: date = THURSDAY) -> Customer:
    """Shipped Monday, scanned daily, never arriving (within these tests)."""
    scans = [
        scan(MONDAY, 10, S.PRE_TRANSIT, promised_by),
        scan(MONDAY, 18, S.IN_TRANSIT, promised_by),
        scan(TUESDAY, 9, S.IN_TRANSIT, promised_by),
        scan(WEDNESDAY, 9, S.IN_TRANSIT, promised_by),
        scan(THURSDAY, 6, S.IN_TRANSIT, promised_by),
        scan(FRIDAY, 6, S.IN_TRANSIT, promised_by),
    ]
    return Customer(order(scans, promised_by=promised_by), seed=1)


def test_days_named_reads_the_formats_replies_use() -> None:
    today = date(2026, 3, 2)
    assert days_named("Expected Thu 5 Mar.", today) == [date(2026, 3, 5)]
    assert days_named("arriving March 6th", today) == [date(2026, 3, 6)]
    assert days_named("Expected today.", today) == [today]
    assert days_named("It should come tomorrow", today) == [today + timedelta(days=1)]
    assert days_named("nothing here, order #20001", today) == []
    # The year is the one nearest to today: early January dates seen in December.
    assert days_named("Expected Sat 2 Jan", date(2026, 12, 30)) == [date(2027, 1, 2)]


def test_new_day_is_the_latest_day_not_yet_past() -> None:
    today = date(2026, 3, 10)
    text = (
        "This is later than the Thu 5 Mar we promised. The last update was on Mon 9 Mar. "
        "The new expected delivery date is Fri 13 Mar."
    )
    assert new_day(text, today) == date(2026, 3, 13)
    assert new_day("The last update from the carrier was on Mon 9 Mar.", today) is None


def test_nobody_writes_at_night_before_ordering_or_after_it_arrived() -> None:
    c = moving()
    late_night = at(NEXT_MONDAY, 23.5)
    assert c.rate(late_night) == 0
    assert c.rate(at(NEXT_MONDAY, 6)) == 0
    assert c.rate(at(NEXT_MONDAY, 12)) > 0
    assert c.rate(c.order.placed_at - timedelta(minutes=1)) == 0
    arrived = replace(c.order, parcel=replace(c.order.parcel, arrived_at=at(FRIDAY, 12)))
    assert Customer(arrived, seed=1).rate(at(FRIDAY, 13)) == 0


def test_the_urge_rises_once_the_promised_day_has_passed_and_keeps_rising() -> None:
    c = moving()
    calm = c.rate(at(WEDNESDAY, 12))
    due = c.rate(at(THURSDAY, 18))
    overdue = c.rate(at(FRIDAY, 12))
    later = c.rate(at(NEXT_MONDAY, 12))
    b = c.behaviour
    assert calm == pytest.approx(b.curiosity)
    assert due == pytest.approx(b.curiosity + b.due_evening)
    assert overdue > 20 * calm
    assert later > overdue


def test_a_visible_problem_and_a_long_silence_make_people_write() -> None:
    b = Behaviour()
    quiet = Customer(order([scan(MONDAY, 10, S.PRE_TRANSIT, FRIDAY)], promised_by=FRIDAY), 1)
    assert quiet.rate(at(WEDNESDAY, 12)) == pytest.approx(b.curiosity)
    assert quiet.rate(at(THURSDAY, 12)) == pytest.approx(b.curiosity + b.silence)
    trouble = Customer(
        order(
            [scan(MONDAY, 10, S.PRE_TRANSIT, FRIDAY), scan(TUESDAY, 10, S.EXCEPTION, FRIDAY)],
            promised_by=FRIDAY,
        ),
        1,
    )
    assert trouble.rate(at(TUESDAY, 12)) == pytest.approx(b.curiosity + b.trouble)
    assert trouble.rate(at(FRIDAY, 12)) == pytest.approx(b.curiosity)  # 72 h later


def test_a_notice_with_a_new_day_calms_them_until_that_day_passes() -> None:
    told, untold = moving(), moving()
    told.hear(at(WEDNESDAY, 10), "The new expected delivery date is Mon 9 Mar.", "notice")
    b = told.behaviour
    assert told.expected() == NEXT_MONDAY
    assert told.rate(at(FRIDAY, 12)) == pytest.approx(b.curiosity * b.told_with_day)
    assert untold.rate(at(FRIDAY, 12)) > 50 * told.rate(at(FRIDAY, 12))
    # The day we named passes without the parcel: worse than a plain late parcel.
    tuesday_after = NEXT_MONDAY + timedelta(days=1)
    plain = Customer(replace(told.order, promised_by=NEXT_MONDAY), seed=1)
    assert told.rate(at(tuesday_after, 12)) > plain.rate(at(tuesday_after, 12))


def test_a_notice_without_a_day_helps_less_and_for_a_while() -> None:
    c = moving()
    c.hear(at(FRIDAY, 9), "The tracking for your order hasn't been updated recently.", "notice")
    b = c.behaviour
    base = moving().rate(at(FRIDAY, 12))
    assert c.rate(at(FRIDAY, 12)) == pytest.approx(base * b.told_without_day)
    assert c.rate(at(NEXT_MONDAY + timedelta(days=1), 12)) == pytest.approx(
        moving().rate(at(NEXT_MONDAY + timedelta(days=1), 12))
    )


def test_an_answer_calms_them_for_a_day_or_two() -> None:
    c = moving()
    c.hear(at(FRIDAY, 11), "Order #20001: on its way with UPS.", "answer")
    assert c.rate(at(FRIDAY, 12)) == pytest.approx(
        moving().rate(at(FRIDAY, 12)) * c.behaviour.answered
    )


def test_writing_is_seeded_per_customer_and_follows_the_rate() -> None:
    def times(seed: int) -> list[int]:
        c = moving()
        c = Customer(c.order, seed=seed)
        written = []
        for step in range(24 * 14):
            now = at(FRIDAY, 0) + timedelta(hours=step)
            if c.wants_to_write(now, 1.0):
                written.append(step)
                c.contacts.append(now)
        return written

    assert times(3) == times(3)
    assert times(3) != times(4)
    # Poisson by inversion: with a constant rate the count over many customers matches it.
    rate, hours, people = 0.01, 200, 400
    total = 0
    for number in range(people):
        c = Customer(order([], number=str(20001 + number)), seed=9)
        c.rate = lambda now: rate  # type: ignore[method-assign]
        total += sum(c.wants_to_write(at(MONDAY, 0), 1.0) for _ in range(hours))
    assert total / people == pytest.approx(rate * hours, rel=0.15)


def test_a_notice_sometimes_gets_a_reply() -> None:
    c = Customer(moving().order, seed=1, behaviour=Behaviour(notice_reply=1.0))
    now = at(WEDNESDAY, 12)
    c.hear(now, "A heads-up: your order #20001 might arrive later.", "notice")
    assert c.wants_to_write(now, 0.5)
    assert c.compose(now) in {t.format(n="20001") for t in NOTICE_REPLY}
    assert not Customer(moving().order, seed=1, behaviour=Behaviour()).replying


def test_messages_name_the_order_most_of_the_time() -> None:
    c = moving()
    texts = [c.compose(at(FRIDAY, 12)) for _ in range(400)]
    with_number = sum("20001" in t for t in texts) / len(texts)
    assert 0.75 <= with_number <= 0.95
    assert "20001" in c.follow_up()


def test_every_message_template_reads_as_wismo_to_the_classifier() -> None:
    classifier = load_classifier(ClassifierSettings())
    templates = [
        *CURIOUS, *LATE, *TROUBLE_TEXTS, *SILENT, *NO_NUMBER, *ANGRY, *NOTICE_REPLY, *FOLLOW_UP,
    ]  # fmt: skip
    wismo = [
        classifier.classify(t.format(n="20417", weekday="Thursday", days=3)).wismo
        for t in templates
    ]
    assert sum(wismo) >= 0.9 * len(wismo)


def test_the_desk_answers_in_office_hours_after_a_pickup_delay() -> None:
    desk = Desk()
    rng = random.Random(1)
    asked = at(TUESDAY, 11)  # New York office hours
    answered = desk.answers_at(asked, rng)
    assert asked < answered < asked + timedelta(hours=6)
    friday_night = at(FRIDAY, 20)
    monday = desk.answers_at(friday_night, random.Random(1))
    assert at(NEXT_MONDAY, 9) < monday < at(NEXT_MONDAY, 18)
    assert desk.answers_at(asked, random.Random(5)) == desk.answers_at(asked, random.Random(5))
