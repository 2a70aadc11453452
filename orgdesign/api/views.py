"""The views every API resource builds on, and the OpenAPI schema they describe.

Apart from `orgdesign.api.auth` because DRF imports the classes named in its settings while
it loads its own views: that module may not import views, this one does.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.viewsets import ViewSetMixin

from orgdesign.api.auth import (
    BearerTokenAuthentication,
    api_actor,
    etag_of,
    expected_version,
    refuse,
    service_call,
)
from teams.actor import Actor
from teams.models import Organisation
from teams.services import lock_unchanged


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token of the organisation, made by one of its admins.",
        }


class OrganisationScopedView(GenericAPIView):
    """A view of one organisation's data. `self.organisation` is set by the permission, and
    `get_queryset` keeps the objects whose `organisation_lookup` is that organisation."""

    organisation: Organisation
    organisation_lookup = "organisation"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A parameter given without a value is refused, not read as absent: `?tier=` is
        # more likely a client's bug than a wish for every tier.
        empty = sorted(key for key, values in request.query_params.lists() if "" in values)
        method = request.method.lower()
        if empty and method in self.http_method_names and hasattr(self, method):
            raise serializers.ValidationError(
                {key: ["Give a value, or leave the parameter out."] for key in empty}
            )

    def get_queryset(self):
        return super().get_queryset().filter(**{self.organisation_lookup: self.organisation})

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["organisation"] = getattr(self, "organisation", None)
        return context

    def extra_context(self, instances: list) -> dict:
        """What the serializer needs beyond the rows, computed once for a page of them."""
        return {}

    def object_response(self, instance, status_code: int = status.HTTP_200_OK) -> Response:
        serializer = self.get_serializer(instance)
        serializer.context.update(self.extra_context([instance]))
        response = Response(serializer.data, status=status_code)
        response["ETag"] = etag_of(instance)
        return response


class OrganisationViewSet(ViewSetMixin, OrganisationScopedView):
    """List, create, read, update and delete one kind of object of the organisation.

    Subclasses say how to write through their services (`create_object`, `update_object`,
    `delete_object`); the flow is the same for all: the object is found in the organisation
    (404 otherwise), `If-Match` is checked against it (412), the serializer translates the
    JSON (400), and the service writes or refuses (400, or 412 if the row changed meanwhile).
    """

    lookup_value_regex = "[0-9]+"
    update_serializer_class = None  # when an update may change fewer fields than a create

    def get_serializer_class(self):
        if self.action in ("update", "partial_update") and self.update_serializer_class:
            return self.update_serializer_class
        return super().get_serializer_class()

    def list(self, request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        serializer = self.get_serializer(page, many=True)
        serializer.context.update(self.extra_context(page))
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request, *args, **kwargs) -> Response:
        return self.object_response(self.get_object())

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_call():
            instance = self.create_object(serializer.validated_data, api_actor(request))
        return self.object_response(instance, status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs) -> Response:
        instance = self.get_object()
        expected = expected_version(request, instance)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with service_call():
            instance = self.update_object(
                instance, serializer.validated_data, expected, api_actor(request)
            )
        return self.object_response(instance)

    def partial_update(self, request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs) -> Response:
        instance = self.get_object()
        expected = expected_version(request, instance)
        with service_call():
            self.delete_object(instance, expected, api_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def create_object(self, data: dict, actor: Actor):
        raise NotImplementedError

    def update_object(self, instance, data: dict, expected: str | None, actor: Actor):
        """Write `data` if the row is still at version `expected` (None: no check)."""
        raise NotImplementedError

    def delete_object(self, instance, expected: str | None, actor: Actor) -> None:
        raise NotImplementedError


class PairViewSet(OrganisationViewSet):
    """A row that links two objects, one per pair (a person in a team, a team's role in a
    pipeline), written by a service that sets the pair whatever is there, or removes it.

    Creating a pair that exists is refused: PATCH changes it. The service takes no expected
    version, so an update or a delete locks the row and checks it here, in the same
    transaction as the write. Subclasses name the pair's two fields (`pair`), word the
    refusal of a pair that exists (`taken`), and call their service (`create_pair`,
    `change_pair`, `remove_pair`).
    """

    pair: tuple[str, str]

    def create_object(self, data: dict, actor: Actor):
        pair = {name: data[name] for name in self.pair}
        if self.queryset.model.objects.filter(**pair).exists():
            refuse(self.taken(**pair))
        return self.create_pair(data, actor)

    def update_object(self, instance, data: dict, expected: str | None, actor: Actor):
        lock_unchanged(instance, expected)
        return self.change_pair(instance, data, actor)

    def delete_object(self, instance, expected: str | None, actor: Actor) -> None:
        lock_unchanged(instance, expected)
        self.remove_pair(instance, actor)

    def taken(self, **pair) -> str:
        raise NotImplementedError

    def create_pair(self, data: dict, actor: Actor):
        raise NotImplementedError

    def change_pair(self, instance, data: dict, actor: Actor):
        raise NotImplementedError

    def remove_pair(self, instance, actor: Actor) -> None:
        raise NotImplementedError


# OpenAPI -------------------------------------------------------------------------------------

_ERROR_BODY = {"type": "object", "additionalProperties": True}
_ERRORS = {
    "400": "Refused: the field errors, keyed by field (`non_field_errors` for the others).",
    "401": "No credentials, or an unknown or revoked token.",
    "403": "The token (or role) may only read.",
    "404": "No such object in this organisation, or an organisation the token cannot see.",
    "429": "Too many requests for this token; retry after the `Retry-After` seconds.",
}
_WRITE_ERRORS = {
    "412": "`If-Match` does not match the object's current `ETag`; nothing was changed.",
}
_WRITES = ("PUT", "PATCH", "DELETE")


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the answers every operation may give (errors, 412 for
    writes with `If-Match`) and the `If-Match` header, so clients and schemathesis know them."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method in _WRITES and self._is_object_operation():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description="The ETag the client read; a stale one answers 412.",
                )
            )
        return parameters

    def get_tags(self) -> list[str]:
        """Grouped by resource: the path's segment after the organisation."""
        resource = self.path.split("{slug}/", 1)[-1].split("/", 1)[0]
        return [resource or "organisation"]

    def _is_object_operation(self) -> bool:
        return "{id}" in self.path or self.path.rstrip("/").endswith("{slug}")

    def _get_response_bodies(self, direction="response"):
        # A private hook of drf-spectacular, the one place that sees every operation's
        # responses; tests/test_api_schema.py notices if it stops being called.
        responses = super()._get_response_bodies(direction)
        errors = dict(_ERRORS)
        if self.method in _WRITES:
            errors.update(_WRITE_ERRORS)
        for code, description in errors.items():
            responses.setdefault(
                code,
                {
                    "description": description,
                    "content": {"application/json": {"schema": _ERROR_BODY}},
                },
            )
        return responses
