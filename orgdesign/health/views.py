"""The health page, /orgs/<slug>/health/: the design's health over time, read from its
snapshots (never from history), and today's spans and layers, read from the kept analysis;
each chart's numbers as a table and as CSV (`<chart>.csv`). Viewers see it all: nothing on
it is money."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from orgdesign.access.policy import get_org_for_user
from orgdesign.analysis.catalogue import CATALOGUE
from orgdesign.analysis.health import health_of, managers_of_one
from orgdesign.analysis.kept import analysis_of
from orgdesign.csvio.exports import csv_response
from orgdesign.health.charts import Chart, today_charts, trend_charts
from orgdesign.health.services import DAYS, trend

# The managers of one listed by name on the page; the count says how many there are.
ONE_REPORT_LISTED = 20


def _charts(request, organisation) -> tuple[list[Chart], list[Chart], dict]:
    code = request.GET.get("code", "")
    code = code if code in CATALOGUE else ""
    snapshots = trend(organisation)
    analysis = analysis_of(organisation)
    index = analysis.index
    today = health_of(index, analysis.findings, analysis.structure, analysis.capacity)
    single = managers_of_one(index)
    extra = {
        "code": code,
        "snapshots": snapshots,
        "today": today,
        "managers_of_one": sorted((index.people_by_id[pk] for pk in single),
                                  key=lambda person: person.name.casefold()
                                  )[:ONE_REPORT_LISTED],
        "managers_of_one_count": len(single),
    }
    return (trend_charts(snapshots, code=code),
            today_charts(today, span_max=organisation.span_max,
                         layers_max=organisation.layers_max), extra)


@require_GET
@login_required
def health(request, slug):
    organisation = get_org_for_user(request, slug)
    over_time, today, extra = _charts(request, organisation)
    events = [snapshot for snapshot in extra["snapshots"] if snapshot.kind != "daily"]
    return render(request, "health/health.html", {
        "organisation": organisation,
        "over_time": over_time,
        "today_charts": today,
        "events": events,
        "days": DAYS,
        "codes": sorted(CATALOGUE),
        **extra,
    })


@require_GET
@login_required
def health_csv(request, slug, chart):
    organisation = get_org_for_user(request, slug)
    over_time, today, _ = _charts(request, organisation)
    found = next((each for each in [*over_time, *today] if each.slug == chart), None)
    if found is None:
        raise Http404("No such chart.")
    return csv_response([found.columns, *found.rows], organisation=organisation,
                        name=f"health-{chart}", request=request)
