"""SCIM 2.0 (RFC 7643, RFC 7644) for identity providers: people as Users, teams as Groups.

What a person and a team look like as SCIM resources, which rows a filter selects, and which
service calls a POST, PUT or PATCH stands for. Plain functions over scim2-models objects; the
HTTP side (tokens, status codes, headers) is in `teams.scim_views`.

How the design maps onto SCIM (the contract is DESIGN.md section 4):

- User: id = the person's id, userName = email (unique in the organisation in any case),
  externalId = external_id, displayName = name, title, active. name.formatted and emails
  (one "work" address) are read only: they repeat displayName and userName.
- Enterprise extension: employeeNumber is the external id as well (written only when the
  same request does not set externalId); department is the name of the person's main team,
  read only (the design has no department); manager is the solid-line manager: value = their
  id, $ref, and displayName when asked for with `attributes`.
- `active: false` deactivates a person, who stays served (with `active: false`) so the
  provider can re-enable them with `active: true`, as Entra ID and Okta do. DELETE also
  deactivates, and the person then answers 404 through SCIM (`Person.scim_deleted_at`); a
  POST with their externalId, or with their userName and no other externalId, brings them
  back. Either way the person stays in the design as someone who left.
- Group: a team. displayName = name, members = its active members. Teams created through SCIM
  are of kind "other" and people join them at 100%: kinds and time splits belong to the
  design. Teams have no external id, and are never deleted through SCIM.

Identity providers bend the protocol in known ways; `normalise_patch` and `user_values`
absorb those quirks before the library validates (see their docstrings).
"""

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import pydantic
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from pydantic import Field
from scim2_models import (
    URN,
    AnyExtension,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    Context,
    Error,
    ETag,
    Extension,
    Filter,
    InvalidFilterException,
    InvalidValueException,
    Meta,
    Mutability,
    MutabilityException,
    Patch,
    PatchOp,
    PreconditionFailedException,
    Reference,
    Required,
    Resource,
    ResourceType,
    Returned,
    Schema,
    SCIMException,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
    UniquenessException,
)
from scim2_models import Group as LibraryGroup
from scim2_models import User as LibraryUser
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from orgdesign.analysis.orgdata import main_team_of
from orgdesign.etags import if_match_refuses, weak_etag
from teams.models import Membership, Organisation, Person, Team
from teams.services import ConflictError, version_of

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 200


# What the service publishes and answers ------------------------------------------------------
#
# The schemas list only what the design stores, with the characteristics it keeps: an
# attribute a client writes and reads back the same is readWrite; one repeated from another is
# readOnly. The names of the classes are the names of the schemas.


class Manager(ComplexAttribute):
    """The person's solid-line manager."""

    value: Annotated[str | None, CaseExact.true] = None
    """The id of the manager's User."""

    ref: Annotated[Reference["User"] | None, CaseExact.true] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The URI of the manager's User."""

    display_name: Annotated[str | None, Mutability.read_only, Returned.request] = None
    """The manager's name, returned when asked for (attributes=...manager.displayName)."""


class EnterpriseUser(Extension):
    """Employee number (the external id), department (the main team) and manager."""

    __schema__ = URN(ENTERPRISE_USER)

    employee_number: str | None = None
    """The HR id: the same value as externalId."""

    department: Annotated[str | None, Mutability.read_only] = None
    """The name of the person's main team (largest allocation)."""

    manager: Manager | None = None


class Name(ComplexAttribute):
    formatted: Annotated[str | None, Mutability.read_only] = None
    """The person's name: the same value as displayName."""


class Email(ComplexAttribute):
    value: Annotated[str | None, Mutability.read_only] = None
    """The person's email: the same value as userName."""

    type: Annotated[str | None, Mutability.read_only] = Field(None, examples=["work"])

    primary: Annotated[bool | None, Mutability.read_only] = None


class GroupMembership(ComplexAttribute):
    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    """The id of the team's Group."""

    ref: Annotated[Reference["Group"] | None, Mutability.read_only, CaseExact.true] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )

    display: Annotated[str | None, Mutability.read_only] = None
    """The team's name."""


class User(Resource[AnyExtension]):
    """A person of the organisation; userName is their email."""

    __schema__ = URN(CORE_USER)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """The person's email, unique in the organisation whatever its case."""

    name: Annotated[Name | None, Mutability.read_only] = None

    display_name: Annotated[str | None, Required.true] = None
    """The person's name."""

    title: str | None = None

    active: bool | None = None
    """Writing false deactivates the person, as DELETE does."""

    emails: Annotated[list[Email] | None, Mutability.read_only] = None

    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None
    """The teams the person is a member of."""


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    """The id of the member's User."""

    ref: Annotated[Reference["User"] | None, Mutability.immutable, CaseExact.true] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )

    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])
    """Always "User": teams hold people, not other teams."""

    display: Annotated[str | None, Mutability.read_only, Returned.request] = None
    """The member's name, returned when asked for (attributes=members.display)."""


class Group(Resource[Any]):
    """A team of the organisation; its members are people."""

    __schema__ = URN(CORE_GROUP)

    display_name: Annotated[str | None, Required.true, Uniqueness.server, CaseExact.true] = None
    """The team's name, unique in the organisation as written."""

    members: list[GroupMember] | None = None


UserResource = User[EnterpriseUser]
GroupResource = Group

SERVICE_PROVIDER_CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_PAGE_SIZE),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=True),
    authentication_schemes=[
        AuthenticationScheme(
            type="oauthbearertoken",
            name="API token",
            description=(
                "Authorization: Bearer <token>, a token of the organisation created by one of "
                "its admins (scope write to provision, read to look)."
            ),
            primary=True,
        )
    ],
)

PROVIDER = ScimProvider(
    models=[User, EnterpriseUser, Group],
    resource_types=[
        ResourceType.from_resource(UserResource).model_copy(
            update={"description": "People of the organisation"}
        ),
        ResourceType.from_resource(GroupResource).model_copy(
            update={"description": "Teams of the organisation"}
        ),
    ],
    config=SERVICE_PROVIDER_CONFIG,
)

# The schemas a service publishes about its own discovery resources (RFC 7644 section 4).
DISCOVERY_SCHEMAS = (
    ServiceProviderConfig.to_schema(),
    ResourceType.to_schema(),
    Schema.to_schema(),
)


def all_schemas() -> list[Schema]:
    return [*PROVIDER.schemas, *DISCOVERY_SCHEMAS]


# What requests are read with -----------------------------------------------------------------
#
# Requests are read with the library's full User and Group, so that identity providers may
# write any RFC attribute (name.givenName, emails[type eq "work"].value, phoneNumbers...):
# what the design does not store is accepted and dropped, as is any attribute no schema
# declares. The manager's $ref is optional (Entra ID sends the id alone).


class ManagerRequest(ComplexAttribute):
    value: str | None = None
    ref: str | None = Field(None, serialization_alias="$ref", validation_alias="$ref")
    display_name: str | None = None


class EnterpriseUserRequest(Extension):
    __schema__ = URN(ENTERPRISE_USER)

    employee_number: str | None = None
    cost_center: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None
    manager: ManagerRequest | None = None


UserRequest = LibraryUser[EnterpriseUserRequest]
GroupRequest = LibraryGroup

# Entra ID: a remove may carry the value it removes, and a filter in a path may name an entry
# to create ("emails[type eq "work"].value" on a user without a work email).
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def validated(model: type, payload: Any, context: Context) -> Any:
    """The payload read as `model`, or the first of its errors as a SCIM exception."""
    try:
        return model.model_validate(payload, scim_ctx=context, scim_policy=POLICY)
    except pydantic.ValidationError as error:
        raise SCIMException.from_error(Error.from_validation_errors(error)[0]) from error


# Versions ------------------------------------------------------------------------------------


def user_etag(person: Person) -> str:
    return weak_etag("user", person.pk, version_of(person))


def group_etag(team: Team, member_count: int, members_changed: datetime | None) -> str:
    """A team's version together with its active members': who joins or leaves changes it."""
    return weak_etag("group", team.pk, version_of(team), member_count, members_changed)


def check_if_match(header: str | None, current_etag: str) -> None:
    """Refuse a write whose If-Match names another version than the current one (412)."""
    if if_match_refuses(header, current_etag):
        raise PreconditionFailedException(
            detail="The resource changed since you read it (If-Match does not match its "
            "ETag). Nothing was changed: read it again and retry."
        )


# People as Users -----------------------------------------------------------------------------


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
        user_name=person.email or None,
        name=Name(formatted=person.name),
        display_name=person.name,
        title=person.title or None,
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
    team = main_team_of((m.allocation, m.team) for m in memberships)
    manager = person.manager
    enterprise = EnterpriseUser(
        employee_number=person.external_id or None,
        department=team.name if team else None,
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


def user_state(person: Person) -> Any:
    """The person as the request model holds them, for PATCH operations to apply to."""
    user = UserRequest(
        id=str(person.pk),
        external_id=person.external_id or None,
        user_name=person.email or None,
        name=LibraryUser.Name(formatted=person.name),
        display_name=person.name,
        title=person.title or None,
        active=person.active,
        emails=_emails_state(person.email),
    )
    user[EnterpriseUserRequest] = EnterpriseUserRequest(
        employee_number=person.external_id or None,
        manager=ManagerRequest(value=str(person.manager_id)) if person.manager_id else None,
    )
    return user


def _emails_state(email: str) -> list | None:
    if not email:
        return None
    try:
        return [LibraryUser.Emails(value=email, type="work", primary=True)]
    except pydantic.ValidationError:
        # Django and the library disagree on a few exotic addresses; userName still has it.
        return None


@dataclass
class UserWrite:
    """What a request asks of a person, in the services' terms. Fields left None are not
    asked for; `manager_id` is "" to clear the manager."""

    email: str | None = None
    name: str | None = None
    title: str | None = None
    active: bool | None = None
    external_id: str | None = None
    manager_id: str | None = None

    def service_kwargs(self) -> dict:
        fields = ("email", "name", "title", "active", "external_id")
        return {field: getattr(self, field) for field in fields if getattr(self, field) is not None}


def _enterprise(user: Any) -> EnterpriseUserRequest | None:
    return user[EnterpriseUserRequest]


def _name_of(user: Any) -> str | None:
    """The person's name from a User: displayName, else name.formatted, else the given and
    family names (Okta sends those alone)."""
    if user.display_name and user.display_name.strip():
        return user.display_name.strip()
    return _name_from_parts(user.name)


def _name_from_parts(name: Any) -> str | None:
    if name is None:
        return None
    if name.formatted and name.formatted.strip():
        return name.formatted.strip()
    joined = " ".join(part.strip() for part in (name.given_name, name.family_name) if part)
    return joined or None


def user_values(user: Any, *, replacing: bool) -> UserWrite:
    """What a POST (or, `replacing`, a PUT) of this User asks of the person.

    userName is the email. A missing displayName falls back to name.formatted, then to the
    given and family names. A missing externalId falls back to employeeNumber; a request
    with neither leaves the external id alone: it is the HR key the people sync matches on,
    and identity providers often do not hold it. Left out of a PUT, title and manager are
    cleared, active is kept.
    """
    name = _name_of(user)
    if name is None:
        raise InvalidValueException(
            detail="displayName is required: every person has a name (name.formatted, or "
            "name.givenName and name.familyName, are read when it is missing)."
        )
    enterprise = _enterprise(user)
    employee_number = enterprise.employee_number if enterprise else None
    manager = enterprise.manager if enterprise else None
    external_id = user.external_id if user.external_id is not None else employee_number
    return UserWrite(
        email=user.user_name.strip(),
        name=name,
        title=user.title or "",
        active=user.active if user.active is not None else (None if replacing else True),
        external_id=external_id,
        manager_id=(manager.value or "") if manager is not None else "",
    )


def user_changes(before: Any, after: Any) -> UserWrite:
    """What a PATCH changed, from the person's state before and after its operations.

    userName wins over emails: when userName did not change, a new address in emails (the
    work one, else the primary one, else the first) becomes the email, as Entra ID sends it
    as `emails[type eq "work"].value`; removing emails changes nothing. displayName wins over
    name.formatted, which wins over the given and family names. externalId wins over
    employeeNumber. department, and the attributes the design does not store, change nothing.
    """
    changes = UserWrite()
    if after.user_name != before.user_name:
        if not after.user_name:
            raise MutabilityException(detail="userName is required: it is the person's email.")
        changes.email = after.user_name.strip()
    else:
        current = _chosen_email(before.emails)
        written = [e for e in after.emails or [] if e.value and str(e.value) != current]
        if written:
            changes.email = _chosen_email(written)

    if after.display_name != before.display_name:
        if not (after.display_name and after.display_name.strip()):
            raise MutabilityException(
                detail="displayName cannot be removed: every person has a name."
            )
        changes.name = after.display_name.strip()
    elif after.name != before.name:
        name = _name_from_parts(after.name)
        if name is not None and name != before.display_name:
            changes.name = name

    if after.title != before.title:
        changes.title = after.title or ""
    if after.active != before.active:
        if after.active is None:
            raise MutabilityException(
                detail="active cannot be removed: set it to false to deactivate the person."
            )
        changes.active = after.active

    before_enterprise = _enterprise(before) or EnterpriseUserRequest()
    after_enterprise = _enterprise(after) or EnterpriseUserRequest()
    if after.external_id != before.external_id:
        changes.external_id = after.external_id or ""
    elif after_enterprise.employee_number != before_enterprise.employee_number:
        changes.external_id = after_enterprise.employee_number or ""

    before_manager = before_enterprise.manager.value if before_enterprise.manager else None
    after_manager = after_enterprise.manager.value if after_enterprise.manager else None
    if (after_manager or None) != (before_manager or None):
        changes.manager_id = after_manager or ""
    return changes


def _chosen_email(emails: list | None) -> str | None:
    if not emails:
        return None
    chosen = (
        next((e for e in emails if e.type == "work"), None)
        or next((e for e in emails if e.primary), None)
        or emails[0]
    )
    return str(chosen.value) if chosen.value else None


def as_id(value: Any) -> int | None:
    """A SCIM id as a row id, or None when it cannot be one (ids are decimal integers)."""
    text = str(value)
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


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


# Teams as Groups -----------------------------------------------------------------------------


def teams_with_versions(organisation: Organisation) -> QuerySet[Team]:
    """The organisation's teams, each with the count of its active members and the time of
    the latest change among them: what a Group's version is made of."""
    active = Q(memberships__person__active=True)
    return Team.objects.filter(organisation=organisation).annotate(
        member_count=Count("memberships", filter=active),
        members_changed=Max("memberships__updated_at", filter=active),
    )


def members_of(teams: Iterable[Team]) -> dict[int, list[Person]]:
    """Each team's active members, by person id, in one query."""
    by_team: dict[int, list[Person]] = {}
    ids = [team.pk for team in teams]
    if not ids:
        return by_team
    rows = (
        Membership.objects.filter(team_id__in=ids, person__active=True)
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
    """The active people these user ids name, in one query; an unknown id is refused."""
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


# PATCH ---------------------------------------------------------------------------------------

_MANAGER_PATHS = {f"{ENTERPRISE_USER}:manager".lower(), "manager"}


def normalise_patch(payload: Any) -> Any:
    """A PATCH body with the identity providers' quirks the library does not read rewritten.

    The manager may come as a plain id (`"value": "42"`), in a path-less value under its full
    path or inside the extension (`{"urn:...:User": {"manager": "42"}}`), or empty to clear
    it; a remove of the manager may carry the value it removes (Entra ID). Operation names in
    any case, `"active": "False"` and path filters are the library's business.
    """
    if not isinstance(payload, dict):
        return payload
    operations = payload.get("Operations")
    if not isinstance(operations, list):
        return payload
    return {**payload, "Operations": [_normalise_operation(op) for op in operations]}


def normalise_resource(payload: Any) -> Any:
    """A POST or PUT body with a manager given as a plain id rewritten as {"value": id}."""
    return _normalise_values(payload) if isinstance(payload, dict) else payload


def _normalise_operation(operation: Any) -> Any:
    if not isinstance(operation, dict):
        return operation
    operation = dict(operation)
    path = operation.get("path")
    op = str(operation.get("op", "")).lower()
    if isinstance(path, str) and path.strip().lower() in _MANAGER_PATHS:
        if op == "remove":
            operation.pop("value", None)
        elif "value" in operation:
            value = _manager_value(operation["value"])
            if value is None:
                return {"op": "remove", "path": path}
            operation["value"] = value
    elif path is None and isinstance(operation.get("value"), dict):
        operation["value"] = _normalise_values(operation["value"])
    return operation


def _normalise_values(values: dict) -> dict:
    normalised = {}
    for key, value in values.items():
        if isinstance(key, str) and key.lower() in _MANAGER_PATHS:
            value = _manager_value(value)
        elif isinstance(key, str) and key.lower() == ENTERPRISE_USER.lower() and isinstance(
            value, dict
        ):
            value = {
                sub: _manager_value(sub_value) if sub.lower() == "manager" else sub_value
                for sub, sub_value in value.items()
            }
        normalised[key] = value
    return normalised


def _manager_value(value: Any) -> Any:
    """{"value": id} for a plain id; None (no manager) for an empty one."""
    if isinstance(value, int | str):
        value = str(value).strip()
        return {"value": value} if value else None
    if isinstance(value, dict) and not value.get("value") and not value.get("$ref"):
        return None
    return value


def apply_patch(model: type, state: Any, payload: Any) -> Any:
    """The state after the PATCH operations of `payload`; the state itself is untouched."""
    patch = validated(PatchOp[model], normalise_patch(payload), Context.RESOURCE_PATCH_REQUEST)
    after = state.model_copy(deep=True)
    patch.patch(after, scim_policy=POLICY)
    return after


# Filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attribute:
    """How one SCIM attribute is found in the database."""

    field: str | None  # None: the design has no such value, a comparison never matches
    kind: str  # "text" (any case), "exact" (case exact), "email", "id", "bool", "time"


_USER_ATTRIBUTES = {
    "id": _Attribute("pk", "id"),
    "username": _Attribute("email", "email"),
    "externalid": _Attribute("external_id", "exact"),
    "displayname": _Attribute("name", "text"),
    "name.formatted": _Attribute("name", "text"),
    "title": _Attribute("title", "text"),
    "active": _Attribute("active", "bool"),
    "emails": _Attribute("email", "email"),
    "emails.value": _Attribute("email", "email"),
    "meta.created": _Attribute("created_at", "time"),
    "meta.lastmodified": _Attribute("updated_at", "time"),
    "enterprise:employeenumber": _Attribute("external_id", "exact"),
    "enterprise:manager": _Attribute("manager_id", "id"),
    "enterprise:manager.value": _Attribute("manager_id", "id"),
}

_GROUP_ATTRIBUTES = {
    "id": _Attribute("pk", "id"),
    "displayname": _Attribute("name", "exact"),
    "externalid": _Attribute(None, "exact"),
    "members": _Attribute("member", "id"),
    "members.value": _Attribute("member", "id"),
    "meta.created": _Attribute("created_at", "time"),
    "meta.lastmodified": _Attribute("updated_at", "time"),
}

_TEXT_LOOKUPS = {
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
}
_ORDER_LOOKUPS = {
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}
_NOTHING = Q(pk__in=[])


def _attribute_key(attr_path: AttrPath) -> str:
    uri = (attr_path.uri or "").lower()
    key = attr_path.attr.lower()
    if attr_path.sub_attr:
        key = f"{key}.{attr_path.sub_attr.lower()}"
    if uri == ENTERPRISE_USER.lower():
        return f"enterprise:{key}"
    if uri and uri not in (CORE_USER.lower(), CORE_GROUP.lower()):
        return f"{uri}:{key}"
    return key


def user_filter(node: FilterNode, *, lenient: bool = False) -> Q:
    """The people a filter selects, as a Q over Person."""
    return _FilterTranslator(_USER_ATTRIBUTES, lenient).q(node)


def group_filter(node: FilterNode, *, lenient: bool = False) -> Q:
    """The teams a filter selects, as a Q over Team."""
    return _FilterTranslator(_GROUP_ATTRIBUTES, lenient).q(node)


class _FilterTranslator:
    """A filter tree as a Q. `lenient`: an attribute this resource type does not have
    compares false (a search over several types, RFC 7644 3.4.2.1) instead of being refused.
    """

    def __init__(self, attributes: dict[str, _Attribute], lenient: bool):
        self.attributes = attributes
        self.lenient = lenient

    def q(self, node: FilterNode, prefix: str = "") -> Q:
        if isinstance(node, LogicalExpr):
            terms = [self.q(term, prefix) for term in node.terms]
            combined = terms[0]
            for term in terms[1:]:
                combined = combined & term if node.op == LogicalOperator.and_ else combined | term
            return combined
        if isinstance(node, Not):
            return ~self.q(node.expr, prefix)
        if isinstance(node, ValuePath):
            return self.q(node.val_filter, prefix=_attribute_key(node.attr_path) + ".")
        if isinstance(node, Present):
            return self._present(self._attribute(node.attr_path, prefix))
        if isinstance(node, Comparison):
            return self._compare(self._attribute(node.attr_path, prefix), node)
        raise InvalidFilterException(detail=f"This filter is not supported: {node}")

    def _attribute(self, attr_path: AttrPath, prefix: str) -> _Attribute | None:
        key = prefix + _attribute_key(attr_path)
        if key == "emails.type":
            return _Attribute("email", "work_email")
        if key == "emails.primary":
            return _Attribute("email", "primary_email")
        attribute = self.attributes.get(key)
        if attribute is None and not self.lenient:
            raise InvalidFilterException(
                detail=f"Filtering on {str(attr_path)!r} is not supported. Filter on: "
                + ", ".join(sorted(self.attributes))
                + "."
            )
        return attribute

    def _present(self, attribute: _Attribute | None) -> Q:
        if attribute is None or attribute.field is None:
            return _NOTHING
        if attribute.field == "member":
            return Q(Exists(Membership.objects.filter(team=OuterRef("pk"), person__active=True)))
        if attribute.kind in ("id", "time"):
            return Q(**{f"{attribute.field}__isnull": False})
        if attribute.kind == "bool":
            return Q()
        return ~Q(**{attribute.field: ""})

    def _compare(self, attribute: _Attribute | None, node: Comparison) -> Q:
        op, value = node.op, node.value
        if attribute is None or attribute.field is None:
            # No value to compare: only "not equal" holds.
            return Q() if op == CompareOperator.ne else _NOTHING
        if op == CompareOperator.ne:
            return ~self._compare(attribute, Comparison(node.attr_path, CompareOperator.eq, value))
        kind, field = attribute.kind, attribute.field
        if kind in ("work_email", "primary_email"):
            # The email is the one work, primary address.
            wanted = "work" if kind == "work_email" else True
            if op != CompareOperator.eq:
                raise InvalidFilterException(detail=f"{node.attr_path} takes eq only.")
            matches = str(value).lower() == "work" if kind == "work_email" else value is wanted
            return ~Q(email="") if matches else _NOTHING
        if kind == "time":
            if op == CompareOperator.eq:
                return Q(**{field: value})
            if op in _ORDER_LOOKUPS:
                return Q(**{f"{field}__{_ORDER_LOOKUPS[op]}": value})
        elif kind == "bool":
            if op == CompareOperator.eq:
                return Q(**{field: bool(value)})
        elif kind == "id":
            if op == CompareOperator.eq:
                row_id = as_id(value)
                if row_id is None:
                    return _NOTHING
                if field == "member":
                    return Q(
                        Exists(
                            Membership.objects.filter(
                                team=OuterRef("pk"), person_id=row_id, person__active=True
                            )
                        )
                    )
                return Q(**{field: row_id})
        elif isinstance(value, str):
            case = "" if kind == "exact" else "i"
            if op == CompareOperator.eq:
                if kind == "email":
                    # lower(email) = ..., as the (organisation, lower(email)) index reads it.
                    return Q(Exact(Lower("email"), value.lower()))
                return Q(**{f"{field}__{case}exact" if case else field: value})
            if op in _TEXT_LOOKUPS:
                return Q(**{f"{field}__{case}{_TEXT_LOOKUPS[op]}": value})
        raise InvalidFilterException(
            detail=f"The operator {op.value} is not supported on {node.attr_path}."
        )


# Service errors ------------------------------------------------------------------------------

_UNIQUENESS_CODES = {"email_taken", "external_id_taken", "unique", "unique_together"}
_SCIM_NAMES = {
    "email": "userName",
    "external_id": "externalId",
    "name": "displayName",
    "manager": "manager",
    "title": "title",
}


@contextmanager
def service_errors(*, resource: str = "User"):
    """A service's refusal as the SCIM error it stands for: a taken userName, externalId or
    team name 409 (uniqueness), a changed version 412, any other refusal (a manager loop
    among them, with the service's message) 400 invalidValue."""
    try:
        yield
    except ConflictError as error:
        raise PreconditionFailedException(
            detail="The resource changed since you read it. Nothing was changed: read it again "
            "and retry."
        ) from error
    except DjangoValidationError as error:
        raise _scim_exception(error, resource) from error
    except IntegrityError as error:
        # Two requests raced for the same userName, externalId or name.
        raise UniquenessException(
            detail=f"Another {resource} already has this value."
        ) from error


def _scim_exception(error: DjangoValidationError, resource: str) -> SCIMException:
    if not hasattr(error, "error_dict"):
        return InvalidValueException(detail=" ".join(error.messages))
    messages = []
    uniqueness = False
    for field, errors in error.error_dict.items():
        name = _SCIM_NAMES.get(field, field)
        for field_error in errors:
            uniqueness = uniqueness or field_error.code in _UNIQUENESS_CODES
            text = " ".join(field_error.messages)
            messages.append(text if field == NON_FIELD_ERRORS else f"{name}: {text}")
    detail = " ".join(messages)
    if uniqueness:
        return UniquenessException(detail=detail)
    return InvalidValueException(detail=detail)
