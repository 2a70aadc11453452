"""People as Users, as they are served: which people SCIM serves (not those a provider
deleted), the User a person is (enterprise extension: employee number, HR department,
manager), SCIM ids as row ids, and the person a written manager value names.

What a written User asks of a person is `user_writes`.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from scim2_models import InvalidValueException, Meta

from teams.models import Membership, Organisation, Person, as_row_id
from teams.scim.schemas import (
    Email,
    EnterpriseUser,
    GroupMembership,
    Manager,
    Name,
    UserResource,
)
from teams.scim.versions import user_etag


def visible_people(organisation: Organisation) -> QuerySet[Person]:
    """The people SCIM serves: all but those an identity provider deleted (people who
    left otherwise are served with `active: false`, so a provider can re-enable them)."""
    return Person.objects.filter(organisation=organisation, scim_deleted_at__isnull=True)


def memberships_of(people: Iterable[Person]) -> dict[int, list[Membership]]:
    """Each person's memberships with their teams, in one query."""
    by_person: dict[int, list[Membership]] = {}
    ids = [person.pk for person in people]
    if not ids:
        return by_person
    rows = Membership.objects.filter(person_id__in=ids).select_related("team").order_by("team_id")
    for membership in rows:
        by_person.setdefault(membership.person_id, []).append(membership)
    return by_person


def user_resource(person: Person, memberships: list[Membership], base_url: str) -> Any:
    """The User a person is. `person.manager` must be loaded (select_related)."""
    user = UserResource(
        id=str(person.pk),
        external_id=person.external_id or None,
        user_name=person.scim_user_name or None,
        name=Name(given_name=person.given_name or None, family_name=person.family_name or None)
        if person.given_name or person.family_name
        else None,
        display_name=person.name,
        title=person.title or None,
        user_type=person.user_type or None,
        active=person.active,
        emails=[Email(value=person.email, type="work", primary=True)] if person.email else None,
        groups=[
            GroupMembership(
                value=str(m.team_id), ref=f"{base_url}/Groups/{m.team_id}", display=m.team.name
            )
            for m in memberships
        ]
        or None,
        meta=Meta(
            resource_type="User",
            created=person.created_at,
            last_modified=person.updated_at,
            location=f"{base_url}/Users/{person.pk}",
            version=user_etag(person),
        ),
    )
    manager = person.manager
    enterprise = EnterpriseUser(
        employee_number=person.external_id or None,
        department=person.department or None,
        manager=Manager(
            value=str(manager.pk), ref=f"{base_url}/Users/{manager.pk}",
            display_name=manager.name,
        )
        if manager
        else None,
    )
    if enterprise.employee_number or enterprise.department or enterprise.manager:
        user[EnterpriseUser] = enterprise
    return user


def as_id(value: Any) -> int | None:
    """A SCIM id as a row id, or None when it cannot be one (ids are decimal integers)."""
    return as_row_id(value)


def resolve_manager(organisation: Organisation, value: str, person: Person | None) -> Person | None:
    """The Person a manager value names: an active person of the organisation, or the
    person's current manager (a client may send back what it read). "" clears it."""
    if not value:
        return None
    if person is not None and str(person.manager_id) == value:
        return person.manager
    manager = None
    if as_id(value) is not None:
        manager = visible_people(organisation).filter(pk=as_id(value)).first()
    if manager is None:
        raise InvalidValueException(detail=f"manager: there is no user with id {value!r}.")
    return manager
