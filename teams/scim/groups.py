"""Teams as Groups: the organisation's teams with their versions, a team's members (the people
SCIM serves), the Group a team is, the state a PATCH applies to, and the people a written
Group's members name. Teams hold people only: a group in a group is refused.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from scim2_models import InvalidValueException, Meta

from teams.models import Membership, Organisation, Person, Team
from teams.scim.payloads import GroupRequest
from teams.scim.schemas import GroupMember, GroupResource
from teams.scim.users import as_id, visible_people
from teams.scim.versions import group_etag


def teams_with_versions(organisation: Organisation) -> QuerySet[Team]:
    """The organisation's teams, each with the count of its members SCIM serves and the time of
    the latest change among them: what a Group's version is made of."""
    served = Q(memberships__person__scim_deleted_at__isnull=True)
    return Team.objects.filter(organisation=organisation).annotate(
        member_count=Count("memberships", filter=served),
        members_changed=Max("memberships__updated_at", filter=served),
    )


def members_of(teams: Iterable[Team]) -> dict[int, list[Person]]:
    """Each team's members that SCIM serves (active or not; not those a provider deleted),
    by person id, in one query."""
    by_team: dict[int, list[Person]] = {}
    ids = [team.pk for team in teams]
    if not ids:
        return by_team
    rows = (
        Membership.objects.filter(team_id__in=ids, person__scim_deleted_at__isnull=True)
        .select_related("person")
        .order_by("team_id", "person_id")
    )
    for membership in rows:
        by_team.setdefault(membership.team_id, []).append(membership.person)
    return by_team


def group_resource(team: Team, members: list[Person] | None, base_url: str) -> Any:
    """The Group a team is; `members` None leaves them out (a client excluded them). The
    team must come from `teams_with_versions`."""
    last_modified = team.updated_at
    if team.members_changed and team.members_changed > last_modified:
        last_modified = team.members_changed
    return GroupResource(
        id=str(team.pk),
        external_id=team.external_id or None,
        display_name=team.name,
        members=[
            GroupMember(
                value=str(person.pk), ref=f"{base_url}/Users/{person.pk}", type="User",
                display=person.name,
            )
            for person in members
        ]
        if members
        else None,
        meta=Meta(
            resource_type="Group",
            created=team.created_at,
            last_modified=last_modified,
            location=f"{base_url}/Groups/{team.pk}",
            version=group_etag(team, team.member_count, team.members_changed),
        ),
    )


def group_state(team: Team, members: list[Person]) -> Any:
    """The team as the request model holds it, for PATCH operations to apply to."""
    return GroupRequest(
        id=str(team.pk),
        external_id=team.external_id or None,
        display_name=team.name,
        members=[GroupRequest.Members(value=str(person.pk), type="User") for person in members]
        or None,
    )


def member_ids(group: Any) -> list[str]:
    """The user ids a Group's members name; refuses groups in groups and members without id."""
    ids = []
    for member in group.members or []:
        if member.type and member.type.lower() != "user":
            raise InvalidValueException(
                detail="members: teams hold people, not other teams (type must be User)."
            )
        value = member.value or _last_segment(member.ref)
        if not value:
            raise InvalidValueException(detail="members: each member needs a value (a user id).")
        ids.append(str(value))
    return list(dict.fromkeys(ids))


def _last_segment(ref: str | None) -> str | None:
    return ref.rstrip("/").rsplit("/", 1)[-1] if ref else None


def resolve_members(organisation: Organisation, ids: list[str]) -> dict[str, Person]:
    """The people these user ids name (those SCIM serves), in one query; an unknown id is
    refused."""
    people = {
        str(person.pk): person
        for person in visible_people(organisation).filter(
            pk__in=[as_id(value) for value in ids if as_id(value) is not None]
        )
    }
    unknown = [value for value in ids if value not in people]
    if unknown:
        raise InvalidValueException(
            detail=f"members: there is no user with id {', '.join(map(repr, unknown))}."
        )
    return people
