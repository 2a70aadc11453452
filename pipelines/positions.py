"""Every write to positions (open seats): create, edit, fill and cancel.

A position is planned capacity, not a person. Filling one puts the person in the position's
team at its FTE and records who filled it, in one transaction: both writes are recorded in
history with the same author, or neither is made.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from pipelines.models import Pipeline, Position, PositionStatus
from teams.actor import SYSTEM, Actor
from teams.models import Organisation, Person, Team
from teams.services import (
    UNSET,
    lock_unchanged,
    membership_set,
    require_same_org,
    validate_instance,
)

# What an edit may set; the status moves only through fill, cancel and reopen.
EDITABLE = ("title", "role", "level", "fte", "target_date")


def _check_date(value) -> None:
    if value is not None and not isinstance(value, datetime.date):
        raise ValidationError({"target_date": "A target date is a date, such as 2027-03-31."})


@transaction.atomic
def position_create(
    *,
    organisation: Organisation,
    team: Team,
    title: str,
    role: str = "other",
    level: str = "",
    fte: int = 100,
    target_date: datetime.date | None = None,
    pipeline: Pipeline | None = None,
    actor: Actor = SYSTEM,
) -> Position:
    """A new open position in `team`."""
    require_same_org(organisation.pk, "team", team)
    require_same_org(organisation.pk, "pipeline", pipeline)
    _check_date(target_date)
    position = Position(
        organisation=organisation, team=team, title=(title or "").strip(), role=role,
        level=(level or "").strip(), fte=fte, target_date=target_date, pipeline=pipeline,
    )
    validate_instance(position)
    actor.stamp(position)
    position.save()
    return position


def check_record_kept(position: Position, *, team=UNSET, fte=UNSET) -> None:
    """A filled or cancelled position keeps its team and FTE: they are its record (who was
    hired where, at what share). Only an open one moves or changes size."""
    if position.pk is None or position.status == PositionStatus.OPEN:
        return
    if team is not UNSET and team != position.team or fte is not UNSET and fte != position.fte:
        raise ValidationError(
            f"This position is {position.status}: its team and FTE are part of the record; "
            "open a new position instead."
        )


@transaction.atomic
def position_update(
    *,
    position: Position,
    team: Team = UNSET,
    pipeline: Pipeline | None = UNSET,
    expected_version: str | None = None,
    actor: Actor = SYSTEM,
    **fields,
) -> Position:
    """Change what the seat is (title, role, level, FTE, target date, team, pipeline). A
    filled or cancelled position keeps its record: only an open one changes team or FTE."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Positions have no field {', '.join(sorted(unknown))}.")
    lock_unchanged(position, expected_version)
    check_record_kept(position, team=team, fte=fields.get("fte", UNSET))
    if team is not UNSET:
        require_same_org(position.organisation_id, "team", team)
        position.team = team
    if pipeline is not UNSET:
        require_same_org(position.organisation_id, "pipeline", pipeline)
        position.pipeline = pipeline
    if "target_date" in fields:
        _check_date(fields["target_date"])
    for field, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(position, field, value)
    validate_instance(position)
    actor.stamp(position)
    position.save()
    return position


def _lock_open(position: Position, expected_version: str | None, doing: str) -> Position:
    lock_unchanged(position, expected_version)
    current = Position.objects.select_for_update().get(pk=position.pk)
    if current.status != PositionStatus.OPEN:
        raise ValidationError(
            {"status": f"Only an open position can be {doing}; this one is {current.status}."}
        )
    return current


@transaction.atomic
def position_fill(
    *,
    position: Position,
    person: Person,
    expected_version: str | None = None,
    actor: Actor = SYSTEM,
) -> Position:
    """Fill an open position with `person`: they join its team at its FTE (an allocation
    they already have there becomes the position's), and the position records them."""
    current = _lock_open(position, expected_version, "filled")
    if person is None:
        raise ValidationError({"person": "Say who fills the position."})
    require_same_org(current.organisation_id, "person", person)
    if not person.active:
        raise ValidationError({"person": f"{person.name} has left: fill it with someone active."})
    membership_set(person=person, team=current.team, allocation=current.fte, actor=actor)
    current.status = PositionStatus.FILLED
    current.person = person
    actor.stamp(current)
    current.save()
    position.refresh_from_db()
    return position


@transaction.atomic
def position_cancel(
    *, position: Position, expected_version: str | None = None, actor: Actor = SYSTEM
) -> Position:
    """Cancel an open position: it stays in the list, counted nowhere."""
    current = _lock_open(position, expected_version, "cancelled")
    current.status = PositionStatus.CANCELLED
    actor.stamp(current)
    current.save()
    position.refresh_from_db()
    return position


@transaction.atomic
def position_reopen(
    *, position: Position, expected_version: str | None = None, actor: Actor = SYSTEM
) -> Position:
    """Open a cancelled position again (a filled one stays filled: its person is in the team)."""
    lock_unchanged(position, expected_version)
    current = Position.objects.select_for_update().get(pk=position.pk)
    if current.status != PositionStatus.CANCELLED:
        raise ValidationError(
            {"status": f"Only a cancelled position can be opened again; this one is "
                       f"{current.status}."}
        )
    current.status = PositionStatus.OPEN
    actor.stamp(current)
    current.save()
    position.refresh_from_db()
    return position


@transaction.atomic
def position_delete(*, position: Position, actor: Actor = SYSTEM) -> None:
    """Delete a position made by mistake (history keeps it; cancel one that was real)."""
    actor.stamp(position)
    position.delete()
