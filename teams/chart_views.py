"""The org chart page: the solid reporting lines as nested, collapsible lists.

`/orgs/<slug>/chart/` shows the tree of the top of the organisation, open down to the ML
head and the ML org's first levels, then the people without a manager. `?root=<person id>`
shows the chart under one person; asked by htmx, it answers only the list of that person's
reports (a chunk of them from `offset`), which a collapsed node loads when it is opened.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from orgdesign.access import get_org_for_user
from orgdesign.analysis.chart import ChartNode, OrgChart, person_ids, set_titles
from orgdesign.analysis.loader import load_org_data
from orgdesign.analysis.orgdata import OrgIndex
from teams.models import Organisation, Person

OTHER_ROOTS_PAGE_SIZE = 50


def _number(value: str | None) -> int | None:
    """A non-negative integer from the query string; anything else is a page that does not
    exist."""
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise Http404("No such person.")
    return int(value)


def _add_titles(organisation: Organisation, nodes: list[ChartNode]) -> None:
    # Titles are not part of the loader's light rows; fetch them for the people shown only,
    # a few hundred at most, in one query.
    ids = person_ids(nodes)
    titles = dict(
        Person.objects.filter(organisation=organisation, id__in=ids).values_list("id", "title")
    )
    set_titles(nodes, titles)


@require_GET
@login_required
def org_chart(request, slug):
    organisation = get_org_for_user(request, slug)
    root_id = _number(request.GET.get("root"))
    offset = _number(request.GET.get("offset")) or 0
    index = OrgIndex(load_org_data(organisation))
    if root_id is not None and root_id not in index.people_by_id:
        raise Http404("No such person in this organisation.")
    chart = OrgChart(index)
    context = {
        "organisation": organisation,
        "chart_url": reverse("chart", args=[slug]),
        "ml_head": index.ml_head,
    }

    if root_id is not None and request.htmx:
        parent = chart.reports_chunk(root_id, offset)
        _add_titles(organisation, [parent])
        return render(request, "teams/chart.html#children", {**context, "parent": parent})

    page = None
    other_roots: list[ChartNode] = []
    if root_id is not None:
        tree = chart.subtree(root_id, offset)
        ancestors = chart.ancestors(root_id)
    else:
        tree = chart.main_tree()
        ancestors = []
        page = Paginator(chart.other_roots(), OTHER_ROOTS_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        other_roots = [chart.node(person_id) for person_id in page.object_list]
    shown = ([tree] if tree is not None else []) + other_roots
    _add_titles(organisation, shown)
    return render(
        request,
        "teams/chart.html",
        {
            **context,
            "tree": tree,
            "ancestors": ancestors,
            "other_roots": other_roots,
            "page": page,
            "people_count": len(index.data.people),
            "ml_org_count": len(index.ml_steps),
            "shown_count": sum(1 for top in shown for _ in top.walk()),
        },
    )
