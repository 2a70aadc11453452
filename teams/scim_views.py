"""SCIM 2.0 endpoints under /scim/v2/; what people and teams look like there is
`teams.scim`.

The token decides the organisation (`Authorization: Bearer <token>`): without a valid one,
401; a read token cannot write, 403. Requests are JSON (application/scim+json or
application/json), answers application/scim+json, refusals SCIM Error messages. Every write
goes through `teams.services` with SCIM as its door and the token as its author.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import (
    Context,
    ForbiddenException,
    InvalidSyntaxException,
    ListResponse,
    Meta,
    MutabilityException,
    NotFoundException,
    ResourceType,
    Schema,
    SCIMException,
    SearchRequest,
    UnauthorizedException,
)

from orgdesign.bearer import BadToken, token_from_request
from orgdesign.etags import etag_listed
from teams import scim, services
from teams.actor import Actor
from teams.models import ApiToken, Door, Organisation, Person, Team, TokenScope

CONTENT_TYPE = "application/scim+json"
JSON_TYPES = {"application/scim+json", "application/json"}


class MethodNotAllowed(SCIMException):
    status = 405
    _default_detail = "This endpoint does not answer this method."


class UnsupportedMediaType(SCIMException):
    status = 415
    _default_detail = "Send JSON, as application/scim+json or application/json."


# Plumbing ------------------------------------------------------------------------------------


def scim_endpoint(*methods: str, reads: tuple[str, ...] = ("GET",)) -> Callable:
    """A token-authenticated SCIM view taking (request, token, ...): 401 without a valid
    token, 405 for another method, 403 for a write with a read token; any SCIM refusal
    raised inside answers as a SCIM Error. `reads` are the methods a read token may use
    (POST too for the .search endpoints)."""

    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                token = _token(request)
                if request.method not in methods:
                    response = error_response(MethodNotAllowed())
                    response["Allow"] = ", ".join(methods)
                    return response
                if request.method not in reads and token.scope != TokenScope.WRITE:
                    raise ForbiddenException(
                        detail="This token can only read; provisioning needs a token of "
                        "scope write."
                    )
                return view(request, token, *args, **kwargs)
            except SCIMException as error:
                return error_response(error)

        return wrapped

    return decorator


def _token(request: HttpRequest) -> ApiToken:
    try:
        token = token_from_request(request)
    except BadToken as error:
        raise UnauthorizedException(detail=str(error)) from error
    if token is None:
        raise UnauthorizedException(detail="Send the API token as 'Authorization: Bearer <token>'.")
    return token


def scim_response(payload: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    return HttpResponse(
        json.dumps(payload), status=status, content_type=CONTENT_TYPE, headers=headers
    )


def error_response(error: SCIMException) -> HttpResponse:
    response = scim_response(error.to_error().model_dump(), status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def _payload(request: HttpRequest) -> Any:
    content_type = request.content_type or ""
    if request.body and content_type and content_type not in JSON_TYPES:
        raise UnsupportedMediaType()
    try:
        return json.loads(request.body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidSyntaxException(detail=f"The body is not valid JSON: {error}.") from error


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("scim-root")).rstrip("/")


def _actor(token: ApiToken) -> Actor:
    return Actor(via=Door.SCIM, token=token)


def _search(model: Any, params: Any, context: Context = Context.DEFAULT) -> Any:
    """Query parameters (or a .search body) as a SearchRequest. Sorting is not offered
    (ServiceProviderConfig says so), so sortBy and sortOrder are ignored: results come in
    the order of their ids, which paging keeps stable."""
    if not isinstance(params, dict):
        raise InvalidSyntaxException(detail="A search is a JSON object.")
    params = {k: v for k, v in params.items() if k not in ("sortBy", "sortOrder")}
    return scim.validated(SearchRequest[model], params, context)


def _page(search: Any) -> tuple[int, int]:
    """The 1-based start and the page size a search asks for, within the limits."""
    start = search.start_index or 1
    count = scim.DEFAULT_PAGE_SIZE if search.count is None else search.count
    return start, min(count, scim.MAX_PAGE_SIZE)


def _response_parameters(request: HttpRequest, model: Any) -> Any:
    """`attributes` and `excludedAttributes`, which any answer carrying a resource honours."""
    params = {
        key: request.GET[key] for key in ("attributes", "excludedAttributes") if key in request.GET
    }
    return _search(model, params)


def _not_modified(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    return header is not None and etag_listed(header, etag)


def _list_response(
    model: Any, resources: list, total: int, start: int, search: Any, context: Context
) -> HttpResponse:
    listed = ListResponse[model](
        total_results=total, start_index=start, items_per_page=len(resources),
        resources=resources,
    )
    return scim_response(listed.model_dump(scim_ctx=context, response_parameters=search))


# Discovery -----------------------------------------------------------------------------------


@scim_endpoint("GET")
def service_provider_config(request: HttpRequest, token: ApiToken) -> HttpResponse:
    config = scim.SERVICE_PROVIDER_CONFIG.model_copy(
        update={
            "meta": Meta(
                resource_type="ServiceProviderConfig",
                location=f"{_base_url(request)}/ServiceProviderConfig",
            )
        }
    )
    return scim_response(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _resource_types(request: HttpRequest) -> list[ResourceType]:
    base = _base_url(request)
    return [
        resource_type.model_copy(
            update={
                "meta": Meta(
                    resource_type="ResourceType",
                    location=f"{base}/ResourceTypes/{resource_type.id}",
                )
            }
        )
        for resource_type in scim.PROVIDER.resource_types
    ]


def _schemas(request: HttpRequest) -> list[Schema]:
    base = _base_url(request)
    return [
        schema.model_copy(
            update={"meta": Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}")}
        )
        for schema in scim.all_schemas()
    ]


@scim_endpoint("GET")
def resource_types(request: HttpRequest, token: ApiToken) -> HttpResponse:
    found = _resource_types(request)
    return _list_response(
        ResourceType, found, len(found), 1, None, Context.RESOURCE_QUERY_RESPONSE
    )


@scim_endpoint("GET")
def resource_type(request: HttpRequest, token: ApiToken, type_id: str) -> HttpResponse:
    for found in _resource_types(request):
        if found.id == type_id:
            return scim_response(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"There is no resource type {type_id!r}: User and Group.")


@scim_endpoint("GET")
def schemas(request: HttpRequest, token: ApiToken) -> HttpResponse:
    found = _schemas(request)
    return _list_response(Schema, found, len(found), 1, None, Context.RESOURCE_QUERY_RESPONSE)


@scim_endpoint("GET")
def schema(request: HttpRequest, token: ApiToken, schema_id: str) -> HttpResponse:
    for found in _schemas(request):
        if found.id.lower() == schema_id.lower():
            return scim_response(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"There is no schema {schema_id!r}.")


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return error_response(
        NotFoundException(
            detail="No such SCIM endpoint: ServiceProviderConfig, ResourceTypes, Schemas, "
            "Users, Groups and .search are served here."
        )
    )


# Users ---------------------------------------------------------------------------------------


@scim_endpoint("GET", "POST")
def users(request: HttpRequest, token: ApiToken) -> HttpResponse:
    if request.method == "POST":
        return _create_user(request, token)
    search = _search(scim.UserResource, dict(request.GET.items()))
    return _user_list(request, token.organisation, search, Context.RESOURCE_QUERY_RESPONSE)


@scim_endpoint("POST", reads=("POST",))
def users_search(request: HttpRequest, token: ApiToken) -> HttpResponse:
    search = _search(scim.UserResource, _payload(request), Context.SEARCH_REQUEST)
    return _user_list(request, token.organisation, search, Context.SEARCH_RESPONSE)


def _people(organisation: Organisation, search: Any, *, lenient: bool = False):
    people = scim.visible_people(organisation)
    if search.filter is not None:
        people = people.filter(scim.user_filter(search.filter.ast, lenient=lenient))
    return people


def _user_list(
    request: HttpRequest, organisation: Organisation, search: Any, context: Context
) -> HttpResponse:
    # Queries: the token (and, once a minute, its last use), the count, the page of people
    # with their managers, and the page's memberships with their teams.
    people = _people(organisation, search)
    start, count = _page(search)
    total = people.count()
    page = list(people.select_related("manager").order_by("pk")[start - 1 : start - 1 + count])
    return _list_response(
        scim.UserResource, _users(request, page), total, start, search, context
    )


def _users(request: HttpRequest, people: list[Person]) -> list:
    memberships = scim.memberships_of(people)
    base = _base_url(request)
    return [scim.user_resource(person, memberships.get(person.pk, []), base) for person in people]


def _visible_person(organisation: Organisation, user_id: str) -> Person:
    person = None
    if scim.as_id(user_id) is not None:
        person = (
            scim.visible_people(organisation)
            .select_related("manager")
            .filter(pk=scim.as_id(user_id))
            .first()
        )
    if person is None:
        raise NotFoundException(detail=f"There is no user {user_id!r}.")
    return person


def _user_response(request: HttpRequest, person: Person, status: int = 200) -> HttpResponse:
    user = _users(request, [person])[0]
    headers = {"ETag": user.meta.version}
    if status == 201:
        headers["Location"] = user.meta.location
    params = _response_parameters(request, scim.UserResource)
    return scim_response(
        user.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params),
        status=status,
        headers=headers,
    )


def _create_user(request: HttpRequest, token: ApiToken) -> HttpResponse:
    """201 with the new person, or with the person who left and comes back (same id)."""
    organisation = token.organisation
    user = scim.validated(
        scim.UserRequest, scim.normalise_resource(_payload(request)),
        Context.RESOURCE_CREATION_REQUEST,
    )
    values = scim.user_values(user, replacing=False)
    with transaction.atomic(), scim.service_errors():
        manager = scim.resolve_manager(organisation, values.manager_id, None)
        returning = _returning_person(organisation, values)
        if returning is not None:
            person = services.person_update(
                person=returning, manager=manager, actor=_actor(token), **values.service_kwargs()
            )
        else:
            person = services.person_create(
                organisation=organisation, manager=manager, actor=_actor(token),
                **values.service_kwargs(),
            )
    return _user_response(request, person, status=201)


def _returning_person(organisation: Organisation, values: scim.UserWrite) -> Person | None:
    """The person who left that a POST brings back: the one with its externalId, else the
    one with its userName, unless that person has another external id."""
    gone = Person.objects.filter(organisation=organisation, scim_deleted_at__isnull=False)
    if values.external_id:
        person = gone.filter(external_id=values.external_id).first()
        if person is not None:
            return person
    person = gone.filter(Exact(Lower("email"), values.email.lower())).first()
    if person is not None and (
        not values.external_id or person.external_id in ("", values.external_id)
    ):
        return person
    return None


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, token: ApiToken, user_id: str) -> HttpResponse:
    person = _visible_person(token.organisation, user_id)
    if request.method == "GET":
        etag = scim.user_etag(person)
        if _not_modified(request, etag):
            return HttpResponse(status=304, headers={"ETag": etag})
        return _user_response(request, person)
    scim.check_if_match(request.headers.get("If-Match"), scim.user_etag(person))
    # The services check the version again with the row locked, so that the check and the
    # write cannot interleave with another write.
    expected = services.version_of(person) if request.headers.get("If-Match") else None
    if request.method == "DELETE":
        with transaction.atomic(), scim.service_errors():
            services.lock_unchanged(person, expected)
            services.person_deactivate(person=person, deprovision=True, actor=_actor(token))
        return HttpResponse(status=204)
    if request.method == "PUT":
        replacement = scim.validated(
            scim.UserRequest, scim.normalise_resource(_payload(request)),
            Context.RESOURCE_REPLACEMENT_REQUEST,
        )
        write = scim.user_values(replacement, replacing=True)
    else:
        state = scim.user_state(person)
        patched = scim.apply_patch(scim.UserRequest, state, _payload(request))
        write = scim.user_changes(state, patched)
    kwargs = write.service_kwargs()
    with transaction.atomic(), scim.service_errors():
        if write.manager_id is not None and write.manager_id != str(person.manager_id or ""):
            kwargs["manager"] = scim.resolve_manager(token.organisation, write.manager_id, person)
        if kwargs:
            person = services.person_update(
                person=person, expected_version=expected, actor=_actor(token), **kwargs
            )
    return _user_response(request, person)


# Groups --------------------------------------------------------------------------------------


@scim_endpoint("GET", "POST")
def groups(request: HttpRequest, token: ApiToken) -> HttpResponse:
    if request.method == "POST":
        return _create_group(request, token)
    search = _search(scim.GroupResource, dict(request.GET.items()))
    return _group_list(request, token.organisation, search, Context.RESOURCE_QUERY_RESPONSE)


@scim_endpoint("POST", reads=("POST",))
def groups_search(request: HttpRequest, token: ApiToken) -> HttpResponse:
    search = _search(scim.GroupResource, _payload(request), Context.SEARCH_REQUEST)
    return _group_list(request, token.organisation, search, Context.SEARCH_RESPONSE)


def _teams_filter(search: Any, *, lenient: bool = False) -> Q:
    if search.filter is None:
        return Q()
    return scim.group_filter(search.filter.ast, lenient=lenient)


def _group_list(
    request: HttpRequest, organisation: Organisation, search: Any, context: Context
) -> HttpResponse:
    # Queries: the token, the count, the page of teams with their versions, and (unless
    # excluded, as Entra ID does) the page's active members.
    selected = _teams_filter(search)
    start, count = _page(search)
    total = Team.objects.filter(organisation=organisation).filter(selected).count()
    page = list(
        scim.teams_with_versions(organisation).filter(selected).order_by("pk")[
            start - 1 : start - 1 + count
        ]
    )
    return _list_response(
        scim.GroupResource, _groups(request, page, search), total, start, search, context
    )


def _wants_members(params: Any) -> bool:
    """Whether an answer shows members: not when the client excluded them, or asked for
    other attributes only (loading a large team's members for nothing is costly)."""
    def names(paths):
        return {str(path).lower().removeprefix(scim.CORE_GROUP.lower() + ":") for path in paths}

    if params is None:
        return True
    if params.attributes:
        return any(name.startswith("members") for name in names(params.attributes))
    return "members" not in names(params.excluded_attributes or [])


def _groups(request: HttpRequest, teams: list[Team], params: Any) -> list:
    members = scim.members_of(teams) if _wants_members(params) else None
    base = _base_url(request)
    return [
        scim.group_resource(team, members.get(team.pk, []) if members is not None else None, base)
        for team in teams
    ]


def _group_response(request: HttpRequest, team: Team, status: int = 200) -> HttpResponse:
    """The group of a team that comes from `_team` (with its version)."""
    params = _response_parameters(request, scim.GroupResource)
    group = _groups(request, [team], params)[0]
    headers = {"ETag": group.meta.version}
    if status == 201:
        headers["Location"] = group.meta.location
    return scim_response(
        group.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params),
        status=status,
        headers=headers,
    )


def _create_group(request: HttpRequest, token: ApiToken) -> HttpResponse:
    organisation = token.organisation
    group = scim.validated(scim.GroupRequest, _payload(request), Context.RESOURCE_CREATION_REQUEST)
    wanted = scim.member_ids(group)
    with transaction.atomic(), scim.service_errors():
        people = scim.resolve_members(organisation, wanted)
        team = services.team_create(
            organisation=organisation, name=group.display_name.strip(), actor=_actor(token)
        )
        for person_id in wanted:
            services.membership_set(
                person=people[person_id], team=team, allocation=100, actor=_actor(token)
            )
    return _group_response(request, _team(organisation, str(team.pk)), status=201)


def _team(organisation: Organisation, group_id: str, *, lock: bool = False) -> Team:
    """The team a group id names, with its version. `lock` holds the team's row until the
    transaction ends (a query with aggregates cannot lock, hence a query of its own)."""
    team_id = scim.as_id(group_id)
    team = None
    if team_id is not None:
        if lock:
            list(
                Team.objects.select_for_update()
                .filter(organisation=organisation, pk=team_id)
                .values_list("pk", flat=True)
            )
        team = scim.teams_with_versions(organisation).filter(pk=team_id).first()
    if team is None:
        raise NotFoundException(detail=f"There is no group {group_id!r}.")
    return team


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, token: ApiToken, group_id: str) -> HttpResponse:
    organisation = token.organisation
    if request.method == "GET":
        team = _team(organisation, group_id)
        etag = scim.group_etag(team, team.member_count, team.members_changed)
        if _not_modified(request, etag):
            return HttpResponse(status=304, headers={"ETag": etag})
        return _group_response(request, team)
    if request.method == "DELETE":
        with transaction.atomic(), scim.service_errors():
            team = _team(organisation, group_id, lock=True)
            scim.check_if_match(
                request.headers.get("If-Match"),
                scim.group_etag(team, team.member_count, team.members_changed),
            )
            services.team_delete(team=team)
        return HttpResponse(status=204)
    payload = _payload(request)
    with transaction.atomic(), scim.service_errors():
        # The team row stays locked until the writes commit: the If-Match check and the
        # writes cannot interleave with another SCIM write to this team.
        team = _team(organisation, group_id, lock=True)
        scim.check_if_match(
            request.headers.get("If-Match"),
            scim.group_etag(team, team.member_count, team.members_changed),
        )
        members = scim.members_of([team]).get(team.pk, [])
        if request.method == "PUT":
            wanted = scim.validated(
                scim.GroupRequest, payload, Context.RESOURCE_REPLACEMENT_REQUEST
            )
        else:
            wanted = scim.apply_patch(
                scim.GroupRequest, scim.group_state(team, members), payload
            )
        _write_group(token, team, members, wanted)
    return _group_response(request, _team(organisation, group_id))


def _write_group(token: ApiToken, team: Team, members: list[Person], wanted: Any) -> None:
    """Rename the team and bring its members to the wanted ones: newcomers join at 100%."""
    name = (wanted.display_name or "").strip()
    if not name:
        raise MutabilityException(detail="displayName cannot be removed: a team has a name.")
    wanted_ids = scim.member_ids(wanted)
    current = {str(person.pk): person for person in members}
    newcomers = scim.resolve_members(
        team.organisation, [pid for pid in wanted_ids if pid not in current]
    )
    actor = _actor(token)
    if name != team.name:
        services.team_update(team=team, name=name, actor=actor)
    for person in newcomers.values():
        services.membership_set(person=person, team=team, allocation=100, actor=actor)
    for person_id, person in current.items():
        if person_id not in wanted_ids:
            services.membership_remove(person=person, team=team)


# Searching every resource type ---------------------------------------------------------------


@scim_endpoint("POST", reads=("POST",))
def search(request: HttpRequest, token: ApiToken) -> HttpResponse:
    """POST /.search: Users, then Groups, each in the order of their ids. An attribute only
    one of them has compares false on the other (RFC 7644 3.4.2.1)."""
    organisation = token.organisation
    search_request = _search(
        scim.UserResource | scim.GroupResource, _payload(request), Context.SEARCH_REQUEST
    )
    start, count = _page(search_request)
    people = _people(organisation, search_request, lenient=True)
    selected = _teams_filter(search_request, lenient=True)
    teams = Team.objects.filter(organisation=organisation).filter(selected)
    people_total, teams_total = people.count(), teams.count()
    offset = start - 1
    page_people = list(
        people.select_related("manager").order_by("pk")[offset : offset + count]
    ) if offset < people_total else []
    remaining = count - len(page_people)
    teams_offset = max(0, offset - people_total)
    page_teams = list(
        scim.teams_with_versions(organisation).filter(selected).order_by("pk")[
            teams_offset : teams_offset + remaining
        ]
    ) if remaining > 0 else []
    resources = _users(request, page_people) + _groups(request, page_teams, search_request)
    return _list_response(
        scim.UserResource | scim.GroupResource, resources, people_total + teams_total, start,
        search_request, Context.SEARCH_RESPONSE,
    )
