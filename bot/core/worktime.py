"""Working hours in a person's own time zone: when reminders and digests may arrive.

All moments are timezone-aware; the local wall clock comes from zoneinfo, so a daylight-saving
change moves UTC, never the local 09:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_STARTS = time(9, 0)
DAY_ENDS = time(17, 0)
FRIDAY = 4
MONDAY = 0


def zone(name: str | None, default: str) -> ZoneInfo:
    """The person's zone, or the default when theirs is missing or unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo(default)
    except (KeyError, ValueError):
        return ZoneInfo(default)


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def is_working_time(moment: datetime, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz)
    return local.weekday() <= FRIDAY and DAY_STARTS <= local.time() < DAY_ENDS


def next_working_moment(moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment` itself if it falls on a working day between 09:00 and 17:00 local time, else the
    next working day's 09:00 (local), in UTC."""
    local = moment.astimezone(tz)
    if is_working_time(local, tz):
        return local.astimezone(UTC)
    day = local.date()
    if local.weekday() > FRIDAY or local.time() >= DAY_ENDS:
        day += timedelta(days=1)
    while day.weekday() > FRIDAY:
        day += timedelta(days=1)
    return _at(day, DAY_STARTS, tz).astimezone(UTC)


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() > FRIDAY:
        day -= timedelta(days=1)
    return day


def next_monday_morning(moment: datetime, tz: ZoneInfo) -> datetime:
    """The first Monday 09:00 local strictly after `moment`, in UTC."""
    local = moment.astimezone(tz)
    day = local.date() + timedelta(days=(MONDAY - local.weekday()) % 7)
    candidate = _at(day, DAY_STARTS, tz)
    if candidate <= local:
        candidate = _at(day + timedelta(days=7), DAY_STARTS, tz)
    return candidate.astimezone(UTC)


def reminder_moments(start: datetime, deadline: date | None, tz: ZoneInfo) -> list[datetime]:
    """At most two reminders, each in working hours and before the deadline.

    With a deadline: one when about 40% of the time has passed, one on the last working day
    before the deadline at 10:00. Without: after three and after seven days.
    """
    if deadline is None:
        plan = [start + timedelta(days=3), start + timedelta(days=7)]
        return [next_working_moment(m, tz) for m in plan]
    end = _at(deadline, DAY_ENDS, tz)
    moments: list[datetime] = []
    first = next_working_moment(start + (end - start) * 0.4, tz)
    last = _at(previous_working_day(deadline), time(10, 0), tz).astimezone(UTC)
    for moment in (first, last):
        later_than_before = not moments or moment - moments[-1] >= timedelta(hours=20)
        if start < moment < end and later_than_before:
            moments.append(moment)
    return moments
