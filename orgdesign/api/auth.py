"""What every API view shares: who is calling (a bearer token or a logged-in user), which
organisation they may see and change, how often they may call, how lists are paginated, and
how a write is held to the version the client read (`If-Match`) and answers a refusal.

A token belongs to one organisation: any other organisation answers 404, as if it did not
exist, so a token cannot even learn which slugs are taken. Read tokens and viewers may only
read (403 on a write). The permission looks the organisation up once (no query for a
token: it comes with it); the views (`orgdesign.api.views`) filter every queryset by it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from orgdesign.access.bearer import BadToken, token_from_request
from orgdesign.access.policy import (
    TOKEN_ROLE,
    can_edit,
    get_org_for_user,
    role_at_least,
    sees_money,
)
from orgdesign.api.etags import if_match_refuses, strong_etag
from orgdesign.web import ratelimit
from teams.actor import Actor
from teams.models import AccessRole, ApiToken, Door, Organisation
from teams.services import ConflictError, race_refusal, version_of

# Who is calling ------------------------------------------------------------------------------


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`: an active API token (one query), as `request.auth`."""

    def authenticate(self, request):
        try:
            token = token_from_request(request)
        except BadToken as error:
            raise exceptions.AuthenticationFailed(str(error)) from error
        if token is None:
            return None  # not ours: a logged-in session may still answer
        return AnonymousUser(), token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return 'Bearer realm="api"'


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


def api_actor(request) -> Actor:
    """Every API write records the token (or the login) and the door it came through."""
    token = token_of(request)
    if token is not None:
        return Actor(via=Door.API, token=token)
    return Actor(via=Door.API, user=request.user)


# Which organisation, and may they write ------------------------------------------------------


def caller_role(request, organisation: Organisation) -> str:
    """The role the caller holds in `organisation`: a token's as its scope says, a login's
    as `get_org_for_user` found it."""
    token = token_of(request)
    return TOKEN_ROLE[token.scope] if token is not None else organisation.user_role


def caller_sees_money(request, organisation: Organisation) -> bool:
    """Whether the caller may receive money figures (a token of scope admin, an admin)."""
    return sees_money(caller_role(request, organisation))


class OrganisationPermission(BasePermission):
    """The organisation of the URL, if the caller may see it, set as `view.organisation`.

    A token sees only its own organisation; a login the ones it holds a role in. Any other
    organisation answers 404. Writes need a write token or the editor role (or, on a view
    with `members_write`, whatever role the view asks of each action). Without
    credentials, 401; a view without an organisation in its URL answers nobody.
    """

    def has_permission(self, request, view) -> bool:
        token = token_of(request)
        if token is None and not request.user.is_authenticated:
            return False
        slug = view.kwargs.get("slug")
        if slug is None:
            return False
        if token is not None:
            if token.organisation.slug != slug:
                raise exceptions.NotFound("No such organisation.")
            view.organisation = token.organisation
            if request.method in SAFE_METHODS:
                return True
            self.message = "This token can only read; writing needs a token of scope write."
            return role_at_least(TOKEN_ROLE[token.scope], AccessRole.EDITOR)
        view.organisation = get_org_for_user(request, slug)
        if request.method in SAFE_METHODS or getattr(view, "members_write", False):
            # A view that lets members write (a comment on a scenario) checks each action's
            # role itself, through orgdesign.access.policy.
            return True
        self.message = f"This needs the editor role in {view.organisation.name}."
        return can_edit(view.organisation)


def client_key(token: ApiToken | None, user=None) -> str:
    """Whose budget a request spends: its token's (by the key's hash rather than the row id:
    ids can be reused, hashes never are), else its login's."""
    if token is not None:
        return f"token-{token.key_hash}"
    return f"user-{user.pk}"


class ApiClientThrottle(BaseThrottle):
    """A budget of requests per token (per login for a session), from
    `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"]`, counted in the database so that it
    holds with any number of web processes (`orgdesign.web.ratelimit`). SCIM has a budget of
    its own (`teams.scim.endpoint`)."""

    def allow_request(self, request, view) -> bool:
        token = token_of(request)
        if token is None and not request.user.is_authenticated:
            return True  # refused anyway: the permission answers 401 first
        verdict = ratelimit.hit_api(client_key(token, request.user))
        self.verdict = verdict
        return verdict is None or verdict.allowed

    def wait(self) -> float | None:
        return self.verdict.retry_after if self.verdict else None


# Lists -------------------------------------------------------------------------------------


class ApiPagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}` for every list; `page_size` up to 1,000."""

    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request) -> int:
        """The asked size, up to the maximum; anything but a whole number from 1 is refused
        (400), not replaced by the default."""
        if self.page_size_query_param not in request.query_params:
            return self.page_size
        text = request.query_params[self.page_size_query_param]
        if not text.isascii() or not text.isdigit() or len(text) > 6 or int(text) < 1:
            raise serializers.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return min(int(text), self.max_page_size)


class StableOrderingFilter(OrderingFilter):
    """`?ordering=` on the view's `ordering_fields`, then by id, so rows that tie never
    move between pages."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not {"id", "-id", "pk", "-pk"} & set(ordering):
            return [*ordering, "id"]
        return ordering


# Versions and refusals -----------------------------------------------------------------------


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The object was changed since you read it (If-Match does not match its ETag). "
        "Nothing was changed; read it again and retry."
    )
    default_code = "precondition_failed"


def etag_of(instance) -> str:
    return strong_etag(version_of(instance))


def expected_version(request, instance) -> str | None:
    """The version a write must find, from `If-Match`: None without the header (or with
    `*`); 412 at once when it already names another version than the one just read."""
    header = request.headers.get("If-Match")
    if if_match_refuses(header, etag_of(instance)):
        raise PreconditionFailed()
    if header is None or header.strip() == "*":
        return None
    return version_of(instance)


@contextmanager
def service_call() -> Iterator[None]:
    """Run a write in one transaction: a service's refusal answers 400 with its field errors,
    a conflict (the row changed since `expected_version`) 412."""
    try:
        with transaction.atomic():
            yield
    except ConflictError as error:
        raise PreconditionFailed() from error
    except DjangoValidationError as error:
        raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
    except IntegrityError as error:
        # Two writes raced past the services' checks: the slower one is refused as it would
        # have been a moment later.
        raise serializers.ValidationError(
            serializers.as_serializer_error(race_refusal(error))
        ) from error


def refuse(message: str) -> NoReturn:
    """A refusal of the API itself (not of a service), as a 400 like the services' ones."""
    raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})
