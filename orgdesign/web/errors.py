"""The error pages, inside the app's layout: what went wrong, and what to do about it. A 403
says which role is needed and who can grant it (the organisation's admins)."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.db import IntegrityError
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from teams.models import AccessRole, OrganisationAccess
from teams.services import race_refusal


class RoleRequired(PermissionDenied):
    """A login with a role in an organisation, but too low a one for what it asked."""

    def __init__(self, organisation, needed: str):
        self.organisation = organisation
        self.needed = needed
        super().__init__(f"This needs the {needed} role in {organisation.name}.")


@requires_csrf_token
def permission_denied(request, exception=None):
    context = {"reason": str(exception) if exception else ""}
    if isinstance(exception, RoleRequired):
        organisation = exception.organisation
        admins = (
            # A scenario's admins are those of the design it belongs to.
            OrganisationAccess.objects.filter(
                organisation_id=organisation.home_pk, role=AccessRole.ADMIN
            )
            .select_related("user")
            .order_by("user__username")
        )
        context.update(
            organisation=organisation,
            needed=exception.needed,
            held=organisation.user_role,
            admins=[access.user for access in admins],
        )
    return render(request, "403.html", context, status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        # API clients read JSON, also for an address that matches no route.
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def bad_request_page(request, exception):
    """A request the page cannot answer (a date that is none, a moment before the design
    existed), with its words: whatever DEBUG says, since the words are for the user."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(exception)}, status=400)
    return render(request, "400.html", {"reason": str(exception)}, status=400)


def server_error(request):
    # Rendered without the request, so no context processor runs (the login's would read
    # the session and the user from the database, which may be what failed).
    return HttpResponseServerError(loader.get_template("500.html").render({}))


class RaceMiddleware:
    """A request the page cannot answer (`BadRequest`, such as an `?as_of=` that names no
    date) answers 400 with its words, in the app's layout.

    A browser write that raced another one past the services' checks (two editors creating
    the same team name at the same moment) answers 409 with the constraint's own message, not
    500. The API maps the same error in `orgdesign.api.auth.service_call`, SCIM in
    `teams.scim.errors.service_errors`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, BadRequest):
            return bad_request_page(request, exception)
        if not isinstance(exception, IntegrityError):
            return None
        message = " ".join(race_refusal(exception).messages)
        return render(request, "409.html", {"reason": message}, status=409)
