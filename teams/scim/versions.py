"""Versions of Users and Groups as weak ETags, and the conditional headers: a write whose
If-Match names another version is refused (412), a read whose If-None-Match names the current
one answers 304. How headers are compared is `orgdesign.api.etags`, shared with the REST API; a
group's version includes its members'.
"""

from datetime import datetime

from django.http import HttpRequest
from scim2_models import PreconditionFailedException

from orgdesign.api.etags import etag_listed, if_match_refuses, weak_etag
from teams.models import Person, Team
from teams.services import version_of


def user_etag(person: Person) -> str:
    return weak_etag("user", person.pk, version_of(person))


def group_etag(team: Team, member_count: int, members_changed: datetime | None) -> str:
    """A team's version together with its members': who joins or leaves changes it."""
    return weak_etag("group", team.pk, version_of(team), member_count, members_changed)


def check_if_match(header: str | None, current_etag: str) -> None:
    """Refuse a write whose If-Match names another version than the current one (412)."""
    if if_match_refuses(header, current_etag):
        raise PreconditionFailedException(
            detail="The resource changed since you read it (If-Match does not match its "
            "ETag). Nothing was changed: read it again and retry."
        )


def not_modified(request: HttpRequest, etag: str) -> bool:
    """Whether the request's If-None-Match names this version (answer 304)."""
    header = request.headers.get("If-None-Match")
    return header is not None and etag_listed(header, etag)
