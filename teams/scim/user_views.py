"""/Users and /Users/.search: listing and searching people; creating, reading, replacing,
patching and deleting (deactivating) one. A POST brings back a person an identity provider
deleted (`_returning_person`).
"""

from typing import Any

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.http import HttpRequest, HttpResponse
from scim2_models import Context, NotFoundException

from teams import services
from teams.models import ApiToken, Organisation, Person, scim_user_name_expression
from teams.scim.endpoint import (
    actor_for,
    base_url,
    collection_views,
    read_payload,
    scim_endpoint,
)
from teams.scim.errors import service_errors
from teams.scim.filters import selected_people
from teams.scim.patch import apply_patch, normalise_resource
from teams.scim.payloads import (
    UserRequest,
    page_bounds,
    response_parameters,
    validated,
)
from teams.scim.responses import list_response, resource_response
from teams.scim.schemas import UserResource
from teams.scim.user_writes import (
    UserWrite,
    for_new_person,
    for_replacement,
    for_returning_person,
    user_changes,
    user_state,
    user_values,
    with_worker_type,
)
from teams.scim.users import as_id, memberships_of, resolve_manager, user_resource, visible_people
from teams.scim.versions import check_if_match, not_modified, user_etag


def _user_list(
    request: HttpRequest, organisation: Organisation, search: Any, context: Context
) -> HttpResponse:
    # Queries: the token (and, once a minute, its last use), the count, the page of people
    # with their managers, and the page's memberships with their teams.
    people = selected_people(organisation, search)
    start, count = page_bounds(search)
    total = people.count()
    page = list(people.select_related("manager").order_by("pk")[start - 1 : start - 1 + count])
    return list_response(
        UserResource, user_resources(request, page), total, start, search, context
    )


def user_resources(request: HttpRequest, people: list[Person]) -> list:
    """The Users these people are (their memberships in one query)."""
    memberships = memberships_of(people)
    base = base_url(request)
    return [user_resource(person, memberships.get(person.pk, []), base) for person in people]


def _visible_person(organisation: Organisation, user_id: str) -> Person:
    person = None
    if as_id(user_id) is not None:
        person = (
            visible_people(organisation)
            .select_related("manager")
            .filter(pk=as_id(user_id))
            .first()
        )
    if person is None:
        raise NotFoundException(detail=f"There is no user {user_id!r}.")
    return person


def _user_response(request: HttpRequest, person: Person, status: int = 200) -> HttpResponse:
    user = user_resources(request, [person])[0]
    return resource_response(user, response_parameters(request, UserResource), status)


def _create_user(request: HttpRequest, token: ApiToken) -> HttpResponse:
    """201 with the new person, or with the person who left and comes back (same id)."""
    organisation = token.organisation
    user = validated(
        UserRequest, normalise_resource(read_payload(request)),
        Context.RESOURCE_CREATION_REQUEST,
    )
    values = user_values(user)
    with transaction.atomic(), service_errors():
        returning = _returning_person(organisation, values)
        if returning is not None:
            values = with_worker_type(for_returning_person(values), returning)
            kwargs = values.service_kwargs()
            if values.manager_id is not None:
                kwargs["manager"] = resolve_manager(organisation, values.manager_id, returning)
            person = services.person_update(person=returning, actor=actor_for(token), **kwargs)
        else:
            values = with_worker_type(for_new_person(values), None)
            person = services.person_create(
                organisation=organisation,
                manager=resolve_manager(organisation, values.manager_id, None),
                actor=actor_for(token),
                **values.service_kwargs(),
            )
    return _user_response(request, person, status=201)


users, users_search = collection_views(UserResource, _create_user, _user_list)


def _returning_person(organisation: Organisation, values: UserWrite) -> Person | None:
    """The person who left that a POST brings back: the one with its externalId, else the
    one with its userName (in any case), unless that person has another external id."""
    gone = Person.objects.filter(organisation=organisation, scim_deleted_at__isnull=False)
    if values.external_id:
        person = gone.filter(external_id=values.external_id).first()
        if person is not None:
            return person
    person = gone.filter(
        Exact(Lower(scim_user_name_expression()), Lower(Value(values.user_name)))
    ).first()
    if person is not None and (
        not values.external_id or person.external_id in ("", values.external_id)
    ):
        return person
    return None


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, token: ApiToken, user_id: str) -> HttpResponse:
    person = _visible_person(token.organisation, user_id)
    if request.method == "GET":
        etag = user_etag(person)
        if not_modified(request, etag):
            return HttpResponse(status=304, headers={"ETag": etag})
        return _user_response(request, person)
    check_if_match(request.headers.get("If-Match"), user_etag(person))
    # The services check the version again with the row locked, so that the check and the
    # write cannot interleave with another write.
    expected = services.version_of(person) if request.headers.get("If-Match") else None
    if request.method == "DELETE":
        with transaction.atomic(), service_errors():
            services.lock_unchanged(person, expected)
            services.person_deactivate(person=person, deprovision=True, actor=actor_for(token))
        return HttpResponse(status=204)
    if request.method == "PUT":
        replacement = validated(
            UserRequest, normalise_resource(read_payload(request)),
            Context.RESOURCE_REPLACEMENT_REQUEST,
        )
        write = with_worker_type(for_replacement(user_values(replacement)), person)
    else:
        state = user_state(person)
        patched = apply_patch(UserRequest, state, read_payload(request))
        write = with_worker_type(user_changes(state, patched), person)
    kwargs = write.service_kwargs()
    with transaction.atomic(), service_errors():
        if write.manager_id is not None and write.manager_id != str(person.manager_id or ""):
            kwargs["manager"] = resolve_manager(token.organisation, write.manager_id, person)
        if kwargs:
            person = services.person_update(
                person=person, expected_version=expected, actor=actor_for(token), **kwargs
            )
    return _user_response(request, person)
