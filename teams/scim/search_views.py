"""POST /.search at the root: one search over every resource type, Users then Groups.
"""

from django.http import HttpRequest, HttpResponse
from scim2_models import Context

from teams.models import ApiToken, Team
from teams.scim.endpoint import read_payload, scim_endpoint
from teams.scim.filters import selected_people, teams_filter
from teams.scim.group_views import group_resources
from teams.scim.groups import teams_with_versions
from teams.scim.payloads import page_bounds, read_search
from teams.scim.responses import list_response
from teams.scim.schemas import GroupResource, UserResource
from teams.scim.user_views import user_resources


@scim_endpoint("POST", reads=("POST",))
def search(request: HttpRequest, token: ApiToken) -> HttpResponse:
    """POST /.search: Users, then Groups, each in the order of their ids. An attribute only
    one of them has compares false on the other (RFC 7644 3.4.2.1)."""
    organisation = token.organisation
    search_request = read_search(
        UserResource | GroupResource, read_payload(request), Context.SEARCH_REQUEST
    )
    start, count = page_bounds(search_request)
    people = selected_people(organisation, search_request, lenient=True)
    selected = teams_filter(search_request, lenient=True)
    teams = Team.objects.filter(organisation=organisation).filter(selected)
    people_total, teams_total = people.count(), teams.count()
    offset = start - 1
    page_people = list(
        people.select_related("manager").order_by("pk")[offset : offset + count]
    ) if offset < people_total else []
    remaining = count - len(page_people)
    teams_offset = max(0, offset - people_total)
    page_teams = list(
        teams_with_versions(organisation).filter(selected).order_by("pk")[
            teams_offset : teams_offset + remaining
        ]
    ) if remaining > 0 else []
    resources = user_resources(request, page_people) + group_resources(
        request, page_teams, search_request
    )
    return list_response(
        UserResource | GroupResource, resources, people_total + teams_total, start,
        search_request, Context.SEARCH_RESPONSE,
    )
