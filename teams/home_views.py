"""The organisation list: the landing page after login, with each design's health (its
errors and warnings, its structure, and its errors over the last 90 days) so the one needing
attention, and the one getting worse, stands out."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from orgdesign.access.policy import visible_to_user, with_user_role
from orgdesign.analysis.findings import count_by_severity
from orgdesign.analysis.kept import analyses_of
from orgdesign.health.charts import sparkline
from orgdesign.health.services import trends_of
from teams.models import Organisation


@require_GET
@login_required
def home(request):
    # The designs the user holds a role in, and the scenarios those hold that the user may
    # see (orgdesign.access.policy decides which).
    organisations = with_user_role(
        Organisation.objects.select_related("scenario_of").order_by("name"), request.user
    )
    if not request.user.is_superuser:
        organisations = organisations.filter(home_role__isnull=False)
    organisations = visible_to_user(organisations, request.user)
    # The kept analyses, the others in one load (six queries, whatever their number or size).
    organisations = list(organisations)
    analyses = analyses_of(organisations)
    # Each design's errors over the last 90 days, from its daily snapshots: one query.
    trends = trends_of(organisations)
    rows = []
    for organisation in organisations:
        analysis = analyses[organisation.pk]
        rows.append({
            "organisation": organisation,
            "counts": count_by_severity(analysis.findings),
            "structure": analysis.structure,
            "people": sum(1 for person in analysis.data.people if person.active),
            "trend": sparkline(trends[organisation.pk]),
        })
    return render(request, "teams/home.html", {"rows": rows})
