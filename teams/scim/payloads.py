"""What requests are read with: the library's request models, the policy for the liberties
identity providers take, `validated` (a payload read as a model, or a SCIM error), and the
search parameters (filter, bounded before it is parsed; startIndex, count, attributes,
excludedAttributes).
"""

from typing import Any

import pydantic
from django.http import HttpRequest
from pydantic import Field
from scim2_models import (
    URN,
    ComplexAttribute,
    Context,
    Error,
    Extension,
    InvalidSyntaxException,
    InvalidValueException,
    SCIMException,
    ScimPolicy,
    SearchRequest,
)
from scim2_models import Group as LibraryGroup
from scim2_models import User as LibraryUser

from teams.scim import schemas
from teams.scim.filters import check_filter_size
from teams.scim.schemas import ENTERPRISE_USER

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


def read_search(model: Any, params: Any, context: Context = Context.DEFAULT) -> Any:
    """Query parameters (or a .search body) as a SearchRequest. Sorting is not offered
    (ServiceProviderConfig says so), so sortBy and sortOrder are ignored: results come in
    the order of their ids, which paging keeps stable."""
    if not isinstance(params, dict):
        raise InvalidSyntaxException(detail="A search is a JSON object.")
    # Bounded before the library parses it (its parse grows faster than the filter).
    check_filter_size(params.get("filter"))
    params = {k: v for k, v in params.items() if k not in ("sortBy", "sortOrder")}
    return validated(SearchRequest[model], params, context)


# Far beyond any organisation, and an offset every database holds.
MAX_START_INDEX = 10**12


def page_bounds(search: Any) -> tuple[int, int]:
    """The 1-based start and the page size a search asks for, within the limits (read from
    `schemas` when called, as tests lower them there)."""
    start = search.start_index or 1
    if start > MAX_START_INDEX:
        raise InvalidValueException(
            detail=f"startIndex is beyond any list: at most {MAX_START_INDEX}."
        )
    count = schemas.DEFAULT_PAGE_SIZE if search.count is None else search.count
    return start, min(count, schemas.MAX_PAGE_SIZE)


def response_parameters(request: HttpRequest, model: Any) -> Any:
    """`attributes` and `excludedAttributes`, which any answer carrying a resource honours."""
    params = {
        key: request.GET[key] for key in ("attributes", "excludedAttributes") if key in request.GET
    }
    return read_search(model, params)
