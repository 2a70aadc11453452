"""Every write to the level table and the organisation's currency: what people cost.

Only admins reach these (the doors check the role; money is theirs alone). A level's name is
what people and positions name (`Person.level`, `Position.level`), so renaming one renames it
nowhere else: the people keep their HR string, and a name with no level costs nothing.
"""

from __future__ import annotations

from django.db import transaction

from teams.actor import SYSTEM, Actor
from teams.models import Level, Organisation
from teams.services import UNSET, lock_unchanged, validate_instance


@transaction.atomic
def level_create(
    *, organisation: Organisation, name: str, annual_cost: int, actor: Actor = SYSTEM
) -> Level:
    level = Level(organisation=organisation, name=(name or "").strip(), annual_cost=annual_cost)
    validate_instance(level)
    actor.stamp(level)
    level.save()
    return level


@transaction.atomic
def level_update(
    *,
    level: Level,
    name: str = UNSET,
    annual_cost: int = UNSET,
    expected_version: str | None = None,
    actor: Actor = SYSTEM,
) -> Level:
    lock_unchanged(level, expected_version)
    if name is not UNSET:
        level.name = (name or "").strip()
    if annual_cost is not UNSET:
        level.annual_cost = annual_cost
    validate_instance(level)
    actor.stamp(level)
    level.save()
    return level


@transaction.atomic
def level_delete(*, level: Level, actor: Actor = SYSTEM) -> None:
    """Delete a level: whoever holds it keeps the name, and costs nothing until a level of
    that name is made again."""
    actor.stamp(level)
    level.delete()


@transaction.atomic
def currency_set(*, organisation: Organisation, currency: str, actor: Actor = SYSTEM
                 ) -> Organisation:
    organisation.currency = (currency or "").strip().upper()
    validate_instance(organisation)
    actor.stamp(organisation)
    organisation.save()
    return organisation
