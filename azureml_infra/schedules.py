"""Compute instance start/stop schedules: the cron expressions Azure ML takes, and the hours a
set of schedules keeps an instance running.

Azure ML reads a schedule's ``cron.expression`` in NCrontab's format (the REST API's ``Cron``:
"The expression should follow NCronTab format"): five fields, minute hour day-of-month month
day-of-week, each ``*``, a number, a range ``a-b``, a step ``*/n`` or ``a-b/n``, or a comma list
of those; months and days may be written as names (JAN, MON); Sunday is 0. ``parse_cron`` accepts
exactly that and says what is wrong otherwise.

``monthly_hours`` is what the cost ceiling (``azureml_infra.cost``) counts for an instance with a
Start and a Stop schedule: the hours from each start to the next stop over a year, a twelfth of
them. A day counts when both its day of month and its day of week match, as NCrontab matches
them. Time zones are lined up by their standard offsets (``azureml_infra.time_zones``).

Pure Python, no third-party import: the config models, the cost table and the policy pack use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from azureml_infra.time_zones import TIME_ZONES

# The form every cron problem ends with: what a good expression looks like.
CRON_FORM = "five fields: minute hour day-of-month month day-of-week, such as 0 19 * * 1-5"

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names for low, low + 1, ...


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 6, _DAYS),
)
_ITEM = re.compile(r"(?P<range>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>[0-9]+))?")


class CronError(ValueError):
    """Why a text is not a cron expression Azure ML takes."""


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the values each field matches."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 is Sunday

    def matches_day(self, day: date) -> bool:
        return day.month in self.months and day.day in self.days and day.isoweekday() % 7 in self.weekdays

    def times(self) -> list[int]:
        """The minutes of a matching day it fires at, earliest first."""
        return sorted(h * 60 + m for h in self.hours for m in self.minutes)


def _value(text: str, field: _Field) -> int:
    upper = text.upper()
    if field.names and upper in field.names:
        return field.low + field.names.index(upper)
    if not text.isdigit():
        named = f" or a name ({field.names[0]}-{field.names[-1]})" if field.names else ""
        raise CronError(f"{field.name} '{text}' is not a number{named}")
    value = int(text)
    if not field.low <= value <= field.high:
        extra = " (0 is Sunday)" if field.name == "day of week" else ""
        raise CronError(f"{field.name} {value} is out of range {field.low}-{field.high}{extra}")
    return value


def _parse_field(text: str, field: _Field) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        match = _ITEM.fullmatch(item)
        if not match:
            raise CronError(f"{field.name} '{item}' is not *, a number, a range a-b or a step */n")
        part, step_text = match.group("range"), match.group("step")
        if part == "*":
            low, high = field.low, field.high
        elif "-" in part:
            first, last = part.split("-")
            low, high = _value(first, field), _value(last, field)
            if high < low:
                raise CronError(f"{field.name} range {part} runs backwards")
        else:
            if step_text is not None:
                raise CronError(f"{field.name} '{item}': a step needs * or a range before it, such as */{step_text}")
            low = high = _value(part, field)
        step = int(step_text) if step_text is not None else 1
        if step == 0:
            raise CronError(f"{field.name} '{item}' has a step of 0")
        values.update(range(low, high + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> Cron:
    """The expression parsed; CronError saying what is wrong otherwise."""
    fields = expression.split()
    if len(fields) != len(_FIELDS):
        raise CronError(f"it has {len(fields)} field{'s' if len(fields) != 1 else ''}")
    minutes, hours, days, months, weekdays = (_parse_field(t, f) for t, f in zip(fields, _FIELDS, strict=True))
    cron = Cron(minutes, hours, days, months, weekdays)
    # A leap year and a common one: "0 8 29 2 *" fires, "0 8 31 2 *" never does.
    if not any(cron.matches_day(d) for year in (2024, 2025) for d in _days_of(year)):
        raise CronError("it never fires (no date matches its day of month, month and day of week)")
    return cron


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a cron expression Azure ML takes, or None when it is one."""
    try:
        parse_cron(expression)
    except CronError as error:
        return f"not a cron expression Azure ML takes: {error}; {CRON_FORM}"
    return None


def _days_of(year: int) -> Iterable[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


# --- hours on ---------------------------------------------------------------------------------

# The year the hours are counted over: a common year (365 days; its weekdays are as good as any).
REFERENCE_YEAR = 2025
_YEAR_MINUTES = 365 * 24 * 60
HOURS_PER_MONTH = 730  # Azure's month: 365 days x 24 hours / 12


@dataclass(frozen=True)
class Schedule:
    """One start or stop schedule, as the cost ceiling reads it."""

    action: str  # Start | Stop
    expression: str
    time_zone: str = "UTC"


def _events(schedule: Schedule) -> Iterable[tuple[int, str]]:
    """(minute of the reference year in UTC, action) of every time it fires, wrapped into the year."""
    cron = parse_cron(schedule.expression)
    offset = TIME_ZONES.get(schedule.time_zone, 0)
    times = cron.times()
    for index, day in enumerate(_days_of(REFERENCE_YEAR)):
        if cron.matches_day(day):
            for minute in times:
                yield (index * 1440 + minute - offset) % _YEAR_MINUTES, schedule.action


def monthly_hours(schedules: Sequence[Schedule]) -> float | None:
    """The hours a month the schedules keep an instance on, from each Start to the next Stop (the
    year seen as a circle, a twelfth of its hours); None when they do not bound it: without a
    Start schedule the instance runs whenever someone starts it, and without a Stop schedule it
    runs until someone stops it."""
    actions = {s.action for s in schedules}
    if not {"Start", "Stop"} <= actions:
        return None
    # A Stop and a Start at the same minute leave it on: stops first.
    events = sorted((e for s in schedules for e in _events(s)), key=lambda e: (e[0], e[1] != "Stop"))
    # The state at the start of the year is the one the last event of the year left.
    on = events[-1][1] == "Start"
    on_minutes, since = 0, 0
    for minute, action in events:
        if on:
            on_minutes += minute - since
        on, since = action == "Start", minute
    if on:
        on_minutes += _YEAR_MINUTES - since
    return on_minutes / 60 / 12
