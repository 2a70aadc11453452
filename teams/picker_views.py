"""The person picker's endpoints: a search box whose matches come from the server, and the
chosen people kept as hidden inputs the server renders, so no script holds state. What a
picker shows is `teams/picker.py`."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from orgdesign.access.policy import get_org_for_user
from teams.models import Person
from teams.picker import PICKERS, Picker

# Matches the picker shows: enough to find someone by a few letters of their name.
SEARCH_LIMIT = 20


@require_GET
@login_required
def person_search(request, slug):
    """At most SEARCH_LIMIT people of this organisation whose name contains `q`."""
    organisation = get_org_for_user(request, slug)
    query = request.GET.get("q", "").strip()
    results = []
    if query:
        results = list(
            Person.objects.filter(organisation=organisation, name__icontains=query).order_by(
                "-active", "name", "id"
            )[:SEARCH_LIMIT]
        )
    return render(
        request,
        "teams/picker.html#picker-results",
        {"organisation": organisation, "query": query, "results": results},
    )


@require_GET
@login_required
def person_pick(request, slug):
    """The picker `field` again, with `pick` added to (or `remove` taken from) its people.

    The picker's hidden inputs are sent along, so the server, not a script, keeps the list.
    """
    organisation = get_org_for_user(request, slug)
    name = request.GET.get("field", "")
    if name not in PICKERS:
        raise BadRequest("Unknown picker.")
    label, multiple = PICKERS[name]
    ids = request.GET.getlist(name) if multiple else []
    if pick := request.GET.get("pick"):
        ids = [*ids, pick] if multiple else [pick]
    removed = request.GET.get("remove")
    # Only ids a database can hold; anything else cannot be anyone.
    wanted = [int(i) for i in dict.fromkeys(ids) if i.isdecimal() and len(i) < 19 and i != removed]
    found = Person.objects.filter(organisation=organisation).in_bulk(wanted) if wanted else {}
    chosen = [found[pk] for pk in wanted if pk in found]
    return render(
        request,
        "teams/picker.html#picker",
        {
            "organisation": organisation,
            "picker": Picker(name, label, multiple, chosen, focus=True),
        },
    )
