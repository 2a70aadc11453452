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
