"""What every CSV export shares (docs/design.md section 4): who may fetch it, and the streamed
response.

Exports answer logged-in users with a role in the organisation and the organisation's API
tokens (`Authorization: Bearer <token>`; read scope suffices), so an HR system or a script can
fetch them. The file name carries the organisation and the date; `?bom=1` starts the file
with a byte-order mark so Excel reads non-ASCII names right. The exports themselves live with
their feature: `teams/export_views.py` (people.csv) and `pipelines/export_views.py` (the
matrix, engagements and findings).
"""

import math
from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from orgdesign.access.bearer import BadToken, token_from_request
from orgdesign.access.policy import TOKEN_ROLE, get_org_for_user
from orgdesign.api.auth import client_key
from orgdesign.csvio.format import stream_rows
from orgdesign.web import ratelimit
from teams.models import Organisation


def _unauthorised(message: str) -> HttpResponse:
    response = HttpResponse(message, status=401, content_type="text/plain; charset=utf-8")
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def export_view(view: Callable[[HttpRequest, Organisation], HttpResponse]):
    """A GET view of an organisation, for a bearer token of that organisation (one query,
    two the first time in a minute it is used) or a login with a role in it (three)."""

    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str) -> HttpResponse:
        try:
            token = token_from_request(request)
        except BadToken as error:
            return _unauthorised(str(error))
        if token is not None:
            if token.organisation.slug != slug:
                # As if it did not exist: a token cannot learn which slugs are taken.
                raise Http404("No such organisation.")
            # The token's budget, shared with the API (orgdesign.web.ratelimit).
            verdict = ratelimit.hit_api(client_key(token))
            if verdict is not None and not verdict.allowed:
                response = HttpResponse(
                    "Too many requests for this token: wait for the time Retry-After says.",
                    status=429, content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(max(1, math.ceil(verdict.retry_after)))
                return response
            # What the token may see, as a login's role: money only with scope admin.
            token.organisation.user_role = TOKEN_ROLE[token.scope]
            return view(request, token.organisation)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, get_org_for_user(request, slug))

    return wrapper


def csv_response(
    rows: Iterable[Iterable], *, organisation: Organisation, name: str, request: HttpRequest
) -> StreamingHttpResponse:
    filename = f"{organisation.slug}-{name}-{timezone.localdate().isoformat()}.csv"
    response = StreamingHttpResponse(
        stream_rows(rows, bom=request.GET.get("bom") == "1"),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
