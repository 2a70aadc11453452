"""What the SCIM service publishes: the schema URNs, the resource models a person (User with the
enterprise extension) and a team (Group) are served as, and the discovery resources:
ServiceProviderConfig, ResourceTypes and Schemas.

Requests are not read with these models but with the library's full ones (`payloads`).
"""

from typing import Annotated, Any

from pydantic import Field
from scim2_models import (
    URN,
    AnyExtension,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    Returned,
    Schema,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 200


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
    """Employee number (the external id), HR department and manager."""

    __schema__ = URN(ENTERPRISE_USER)

    employee_number: str | None = None
    """The HR id: the same value as externalId."""

    department: str | None = None
    """The HR department, as the identity provider or the HR system sends it."""

    manager: Manager | None = None


class Name(ComplexAttribute):
    # name.formatted is read in requests (a fallback for the name) but not served:
    # displayName holds the person's name.
    given_name: str | None = None
    family_name: str | None = None


class Email(ComplexAttribute):
    value: Annotated[str | None, Mutability.read_only] = None
    """The person's email: the primary address a request sends in emails, else the work one,
    else the first, else userName when it is an email."""

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
    """A person of the organisation; userName is the login the identity provider knows them
    by (an email, or a plain login such as jsmith)."""

    __schema__ = URN(CORE_USER)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """Any string, unique in the organisation whatever its case. A person who never came
    through SCIM has their email as userName."""

    name: Name | None = None

    display_name: Annotated[str | None, Required.true] = None
    """The person's name. Every person has one, so it is always returned and cannot be
    removed; a POST without it is still accepted: the name falls back to name.formatted,
    then name.givenName and name.familyName, then userName."""

    title: str | None = None

    user_type: str | None = None
    """How the person works for the organisation, kept as sent ("Employee", "Contractor",
    "Vendor"...): "Contractor", "Vendor", "External" and "Temp", in any case, make the person
    a contractor in the design; any other value an employee. Removing it makes a person who
    had one an employee; a person who never had one keeps the worker type the design gave
    them (and has no userType)."""

    active: Annotated[bool | None, Required.true] = None
    """Writing false deactivates the person, as DELETE does. Every person is active or has
    left, so it is always returned and cannot be removed; a POST without it creates an
    active person."""

    emails: Annotated[list[Email] | None, Mutability.read_only] = None
    """The person's one email. Read from the emails a request sends (so writable in
    practice), published read only because only one address is kept."""

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

    # externalId, a common attribute, is the identity provider's id for the team, kept as sent.

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
