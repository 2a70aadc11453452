"""`?as_of=`: the design as history says it was at a moment (docs/design.md section 4), for
the matrix, findings, chart and structure pages, the API's matrix and findings, and the first
design of compare. Read only: pages shown as of a moment offer no edit.

A date means the end of that day, UTC (`2026-09-30` is 2026-09-30 23:59:59.999999 UTC); a
datetime without a zone is UTC; a moment still to come is now.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import BadRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from orgdesign.analysis.kept import Analysis, analysis_as_of, analysis_of
from teams.models import Organisation

PARAM = "as_of"


class BadMoment(BadRequest):
    """An `as_of` that names no moment, or one before the design existed: the page answers
    400 with these words (the API: `{"as_of": [words]}`)."""


def parse_moment(text: str, *, now: datetime.datetime | None = None) -> datetime.datetime:
    now = now or timezone.now()
    text = text.strip()
    # A date first: parse_datetime reads "2026-09-30" too, as its start, not its end. The
    # length is capped: Python reads hundreds of digits as some moment of the year 1111.
    try:
        if len(text) > 40:
            raise ValueError(text)
        day = parse_date(text)
        moment = None if day is not None else parse_datetime(text)
    except ValueError:
        moment = day = None
    if day is not None:
        moment = datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)
    if moment is None:
        raise BadMoment(
            f"{text[:40]!r} is not a date: give one as 2026-09-30, or a moment as "
            "2026-09-30T14:00:00Z."
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return min(moment, now)


@dataclass
class Shown:
    """The design a page shows: its analysis, and the moment it is as of (None: now)."""

    analysis: Analysis
    as_of: datetime.datetime | None = None

    @property
    def editable_now(self) -> bool:
        """Whether the page is the design of now (a design of the past is read only)."""
        return self.as_of is None

    def context(self) -> dict:
        """What the templates' banner and links read."""
        return {"as_of": self.as_of,
                "as_of_param": self.as_of.isoformat() if self.as_of is not None else ""}


def moment_asked(query) -> datetime.datetime | None:
    """The moment `?as_of=` asks for, or None when it asks for none (absent or empty)."""
    text = query.get(PARAM, "")
    return parse_moment(text) if text.strip() else None


def design_shown(organisation: Organisation, query) -> Shown:
    """The analysis of the design a request asks for: now, or as of `?as_of=`."""
    return past_design(organisation, query) or Shown(analysis_of(organisation))


def past_design(organisation: Organisation, query) -> Shown | None:
    """The design as of `?as_of=`, or None when the request asks for none (compare: the
    designs of now are read together, `kept.comparison_of`)."""
    moment = moment_asked(query)
    if moment is None:
        return None
    analysis = analysis_as_of(organisation, moment)
    if analysis is None:
        raise BadMoment(
            f"{organisation.name} did not exist yet on {moment:%Y-%m-%d %H:%M} UTC: its "
            f"history begins on {organisation.created_at:%Y-%m-%d %H:%M} UTC."
        )
    return Shown(analysis, moment)


def api_design_shown(organisation: Organisation, query, *, now_too: bool = True
                     ) -> Shown | None:
    """`design_shown` for the API (`past_design` without `now_too`): a refused moment is a
    400 naming the field."""
    try:
        return (design_shown if now_too else past_design)(organisation, query)
    except BadMoment as refusal:
        raise serializers.ValidationError({PARAM: [str(refusal)]}) from None


AS_OF_HELP = ("A date (the end of that day, UTC) or an ISO datetime: the design as its "
              "history says it was then, read only.")


def validate_as_of(value: str) -> str:
    """A serializer field's check of `as_of` (its meaning is read by `api_design_shown`)."""
    if value.strip():
        try:
            parse_moment(value)
        except BadMoment as refusal:
            raise serializers.ValidationError(str(refusal)) from None
    return value
