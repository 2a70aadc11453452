"""/Groups and /Groups/.search: listing and searching teams; creating, reading, replacing,
patching and deleting one. A write locks the team's row, so that its If-Match check and its
writes cannot interleave with another SCIM write to the team.
"""

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from scim2_models import Context, MutabilityException, NotFoundException

from teams import services
from teams.models import ApiToken, Organisation, Person, Team
from teams.scim.endpoint import (
    actor_for,
    base_url,
    collection_views,
    read_payload,
    scim_endpoint,
)
from teams.scim.errors import service_errors
from teams.scim.filters import teams_filter
from teams.scim.groups import (
    group_resource,
    group_state,
    member_ids,
    members_of,
    resolve_members,
    teams_with_versions,
)
from teams.scim.patch import apply_patch
from teams.scim.payloads import (
    GroupRequest,
    page_bounds,
    response_parameters,
    validated,
)
from teams.scim.responses import list_response, resource_response
from teams.scim.schemas import CORE_GROUP, GroupResource
from teams.scim.users import as_id
from teams.scim.versions import check_if_match, group_etag, not_modified


def _group_list(
    request: HttpRequest, organisation: Organisation, search: Any, context: Context
) -> HttpResponse:
    # Queries: the token, the count, the page of teams with their versions, and (unless
    # excluded, as Entra ID does) the page's members.
    selected = teams_filter(search)
    start, count = page_bounds(search)
    total = Team.objects.filter(organisation=organisation).filter(selected).count()
    page = list(
        teams_with_versions(organisation).filter(selected).order_by("pk")[
            start - 1 : start - 1 + count
        ]
    )
    return list_response(
        GroupResource, group_resources(request, page, search), total, start, search, context
    )


def _wants_members(params: Any) -> bool:
    """Whether an answer shows members: not when the client excluded them, or asked for
    other attributes only (loading a large team's members for nothing is costly)."""
    def names(paths):
        return {str(path).lower().removeprefix(CORE_GROUP.lower() + ":") for path in paths}

    if params is None:
        return True
    if params.attributes:
        return any(name.startswith("members") for name in names(params.attributes))
    return "members" not in names(params.excluded_attributes or [])


def group_resources(request: HttpRequest, teams: list[Team], params: Any) -> list:
    """The Groups these teams are, with their members unless `params` leaves them out."""
    members = members_of(teams) if _wants_members(params) else None
    base = base_url(request)
    return [
        group_resource(team, members.get(team.pk, []) if members is not None else None, base)
        for team in teams
    ]


def _group_response(request: HttpRequest, team: Team, status: int = 200) -> HttpResponse:
    """The group of a team that comes from `_team` (with its version)."""
    params = response_parameters(request, GroupResource)
    return resource_response(group_resources(request, [team], params)[0], params, status)


def _create_group(request: HttpRequest, token: ApiToken) -> HttpResponse:
    organisation = token.organisation
    group = validated(GroupRequest, read_payload(request), Context.RESOURCE_CREATION_REQUEST)
    wanted = member_ids(group)
    with transaction.atomic(), service_errors():
        people = resolve_members(organisation, wanted)
        team = services.team_create(
            organisation=organisation, name=group.display_name.strip(),
            external_id=(group.external_id or "").strip(), actor=actor_for(token),
        )
        for person_id in wanted:
            services.membership_set(
                person=people[person_id], team=team, allocation=100, actor=actor_for(token)
            )
    return _group_response(request, _team(organisation, str(team.pk)), status=201)


groups, groups_search = collection_views(GroupResource, _create_group, _group_list)


def _team(organisation: Organisation, group_id: str, *, lock: bool = False) -> Team:
    """The team a group id names, with its version. `lock` holds the team's row until the
    transaction ends (a query with aggregates cannot lock, hence a query of its own)."""
    team_id = as_id(group_id)
    team = None
    if team_id is not None:
        if lock:
            list(
                Team.objects.select_for_update()
                .filter(organisation=organisation, pk=team_id)
                .values_list("pk", flat=True)
            )
        team = teams_with_versions(organisation).filter(pk=team_id).first()
    if team is None:
        raise NotFoundException(detail=f"There is no group {group_id!r}.")
    return team


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, token: ApiToken, group_id: str) -> HttpResponse:
    organisation = token.organisation
    if request.method == "GET":
        team = _team(organisation, group_id)
        etag = group_etag(team, team.member_count, team.members_changed)
        if not_modified(request, etag):
            return HttpResponse(status=304, headers={"ETag": etag})
        return _group_response(request, team)
    if request.method == "DELETE":
        with transaction.atomic(), service_errors():
            team = _team(organisation, group_id, lock=True)
            check_if_match(
                request.headers.get("If-Match"),
                group_etag(team, team.member_count, team.members_changed),
            )
            services.team_delete(team=team, actor=actor_for(token))
        return HttpResponse(status=204)
    payload = read_payload(request)
    with transaction.atomic(), service_errors():
        # The team row stays locked until the writes commit: the If-Match check and the
        # writes cannot interleave with another SCIM write to this team.
        team = _team(organisation, group_id, lock=True)
        check_if_match(
            request.headers.get("If-Match"),
            group_etag(team, team.member_count, team.members_changed),
        )
        members = members_of([team]).get(team.pk, [])
        if request.method == "PUT":
            wanted = validated(
                GroupRequest, payload, Context.RESOURCE_REPLACEMENT_REQUEST
            )
        else:
            wanted = apply_patch(
                GroupRequest, group_state(team, members), payload
            )
        _write_group(token, team, members, wanted)
    return _group_response(request, _team(organisation, group_id))


def _write_group(token: ApiToken, team: Team, members: list[Person], wanted: Any) -> None:
    """Rename the team, keep its externalId, and bring its members to the wanted ones:
    newcomers join at 100%."""
    name = (wanted.display_name or "").strip()
    if not name:
        raise MutabilityException(detail="displayName cannot be removed: a team has a name.")
    external_id = (wanted.external_id or "").strip()
    wanted_ids = member_ids(wanted)
    current = {str(person.pk): person for person in members}
    newcomers = resolve_members(
        team.organisation, [pid for pid in wanted_ids if pid not in current]
    )
    actor = actor_for(token)
    if name != team.name or external_id != team.external_id:
        services.team_update(team=team, name=name, external_id=external_id, actor=actor)
    for person in newcomers.values():
        services.membership_set(person=person, team=team, allocation=100, actor=actor)
    for person_id, person in current.items():
        if person_id not in wanted_ids:
            services.membership_remove(person=person, team=team, actor=actor)
