"""What answers look like: SCIM JSON bodies as application/scim+json, and ListResponses of
resources with the attributes a client asked for.
"""

import functools
import json
from typing import Any

from django.http import HttpResponse
from scim2_models import Context, ListResponse

CONTENT_TYPE = "application/scim+json"


def scim_response(payload: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    return HttpResponse(
        json.dumps(payload), status=status, content_type=CONTENT_TYPE, headers=headers
    )


def resource_response(resource: Any, params: Any, status: int = 200) -> HttpResponse:
    """One resource, with the attributes the client asked for (`params`), its version as the
    ETag and, when it was just created (201), its address as the Location."""
    headers = {"ETag": resource.meta.version}
    if status == 201:
        headers["Location"] = resource.meta.location
    return scim_response(
        resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params),
        status=status,
        headers=headers,
    )


@functools.cache
def list_of(model: Any) -> Any:
    """`ListResponse[model]`, made once per model: scim2-models builds the class anew at each
    subscript, which took half of a SCIM lookup's time."""
    return ListResponse[model]


def list_response(
    model: Any, resources: list, total: int, start: int, search: Any, context: Context
) -> HttpResponse:
    listed = list_of(model)(
        total_results=total, start_index=start, items_per_page=len(resources),
        resources=resources,
    )
    return scim_response(listed.model_dump(scim_ctx=context, response_parameters=search))
