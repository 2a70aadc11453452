"""The organisation list: the landing page after login, with each design's health (its
errors and warnings, and its structure) so the one needing attention stands out."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from orgdesign.analysis.findings import compute_findings, count_by_severity
from orgdesign.analysis.loader import load_many
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.structure import classify_structure
from teams.models import Organisation


@require_GET
@login_required
def home(request):
    organisations = Organisation.objects.select_related("scenario_of").order_by("name")
    if not request.user.is_superuser:
        organisations = organisations.filter(access__user=request.user)
    organisations = list(organisations)
    # Every design in one load (five queries, whatever their number or size).
    data = load_many(organisations)
    rows = []
    for organisation in organisations:
        design = data[organisation.pk]
        index = OrgIndex(design)
        rows.append({
            "organisation": organisation,
            "counts": count_by_severity(compute_findings(design, index)),
            "structure": classify_structure(design, index),
            "people": sum(1 for person in design.people if person.active),
        })
    return render(request, "teams/home.html", {"rows": rows})
