"""The door every SCIM view goes through, and what the views share about a request.

The token decides the organisation (`Authorization: Bearer <token>`, read by
`orgdesign.access.bearer`): without a valid one, 401; past the token's SCIM budget of requests
(`orgdesign.web.ratelimit.hit_scim`, apart from the API's), 429 with Retry-After; a read token
cannot write, 403; another method, 405. Requests are JSON (application/scim+json or
application/json), answers application/scim+json, refusals SCIM Error messages. Every write
goes through `teams.services` with SCIM as its door and the token as its author
(`actor_for`).
"""

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import (
    Context,
    ForbiddenException,
    InvalidSyntaxException,
    InvalidValueException,
    SCIMException,
    UnauthorizedException,
)

from orgdesign.access.bearer import BadToken, token_from_request
from orgdesign.api.auth import client_key
from orgdesign.web import ratelimit
from orgdesign.web.inputs import BadInput, load_json
from teams.actor import Actor
from teams.models import ApiToken, Door, TokenScope
from teams.scim.errors import (
    MethodNotAllowed,
    TooManyRequests,
    UnsupportedMediaType,
    error_response,
)
from teams.scim.payloads import read_search

JSON_TYPES = {"application/scim+json", "application/json"}


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
                verdict = ratelimit.hit_scim(client_key(token))
                if verdict is not None and not verdict.allowed:
                    response = error_response(TooManyRequests())
                    response["Retry-After"] = str(max(1, math.ceil(verdict.retry_after)))
                    return response
                if request.method not in methods:
                    response = error_response(MethodNotAllowed())
                    response["Allow"] = ", ".join(methods)
                    return response
                if request.method not in reads and token.scope == TokenScope.READ:
                    raise ForbiddenException(
                        detail="This token can only read; provisioning needs a token of "
                        "scope write."
                    )
                return view(request, token, *args, **kwargs)
            except SCIMException as error:
                return error_response(error)

        return wrapped

    return decorator


def collection_views(model: Any, create: Callable, listing: Callable) -> tuple[Callable, Callable]:
    """The two views of a resource type's collection: /<Type> (GET lists, POST creates with
    `create(request, token)`) and /<Type>/.search (POST searches). Both answer with
    `listing(request, organisation, search, context)`, the search read as the query
    parameters or the body say."""

    @scim_endpoint("GET", "POST")
    def collection_view(request: HttpRequest, token: ApiToken) -> HttpResponse:
        if request.method == "POST":
            return create(request, token)
        search = read_search(model, dict(request.GET.items()))
        return listing(request, token.organisation, search, Context.RESOURCE_QUERY_RESPONSE)

    @scim_endpoint("POST", reads=("POST",))
    def search_view(request: HttpRequest, token: ApiToken) -> HttpResponse:
        search = read_search(model, read_payload(request), Context.SEARCH_REQUEST)
        return listing(request, token.organisation, search, Context.SEARCH_RESPONSE)

    return collection_view, search_view


def _token(request: HttpRequest) -> ApiToken:
    try:
        token = token_from_request(request)
    except BadToken as error:
        raise UnauthorizedException(detail=str(error)) from error
    if token is None:
        raise UnauthorizedException(detail="Send the API token as 'Authorization: Bearer <token>'.")
    return token


def read_payload(request: HttpRequest) -> Any:
    """The JSON body (None when empty); 415 for another media type, 400 for bad JSON."""
    content_type = request.content_type or ""
    if request.body and content_type and content_type not in JSON_TYPES:
        raise UnsupportedMediaType()
    try:
        return load_json(request.body or b"null")
    except BadInput as error:
        if error.syntax:
            raise InvalidSyntaxException(detail=str(error)) from error
        raise InvalidValueException(detail=str(error)) from error


def base_url(request: HttpRequest) -> str:
    """The absolute URL of /scim/v2, without a trailing slash."""
    return request.build_absolute_uri(reverse("scim-root")).rstrip("/")


def actor_for(token: ApiToken) -> Actor:
    """Who a SCIM write is by, for the services: the token, through the SCIM door."""
    return Actor(via=Door.SCIM, token=token)
