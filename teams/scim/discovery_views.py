"""The discovery endpoints (ServiceProviderConfig, ResourceTypes, Schemas), each resource with
its location, and the SCIM 404 for anything else under /scim/v2/. What they publish is
`schemas`.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import Context, Meta, NotFoundException, ResourceType, Schema

from teams.models import ApiToken
from teams.scim.endpoint import base_url, scim_endpoint
from teams.scim.errors import error_response
from teams.scim.responses import list_response, scim_response
from teams.scim.schemas import PROVIDER, SERVICE_PROVIDER_CONFIG, all_schemas


@scim_endpoint("GET")
def service_provider_config(request: HttpRequest, token: ApiToken) -> HttpResponse:
    config = SERVICE_PROVIDER_CONFIG.model_copy(
        update={
            "meta": Meta(
                resource_type="ServiceProviderConfig",
                location=f"{base_url(request)}/ServiceProviderConfig",
            )
        }
    )
    return scim_response(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _resource_types(request: HttpRequest) -> list[ResourceType]:
    base = base_url(request)
    return [
        resource_type.model_copy(
            update={
                "meta": Meta(
                    resource_type="ResourceType",
                    location=f"{base}/ResourceTypes/{resource_type.id}",
                )
            }
        )
        for resource_type in PROVIDER.resource_types
    ]


def _schemas(request: HttpRequest) -> list[Schema]:
    base = base_url(request)
    return [
        schema.model_copy(
            update={"meta": Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}")}
        )
        for schema in all_schemas()
    ]


@scim_endpoint("GET")
def resource_types(request: HttpRequest, token: ApiToken) -> HttpResponse:
    found = _resource_types(request)
    return list_response(
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
    return list_response(Schema, found, len(found), 1, None, Context.RESOURCE_QUERY_RESPONSE)


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
