"""The org chart page: the solid reporting lines as nested, collapsible lists.

`/orgs/<slug>/chart/` shows the tree of the top of the organisation, open down to the ML
head and the ML org's first levels, then the people without a manager. `?root=<person id>`
shows the chart under one person; asked by htmx, it answers only the list of that person's
reports (a chunk of them from `offset`), which a collapsed node loads when it is opened.
"""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.analysis.chart import (
    REVEAL_LIMIT,
    ChartNode,
    OrgChart,
    person_ids,
    picture_nodes,
    problem_people,
    reveal,
    seat_nodes,
    set_titles,
    way_down,
)
from orgdesign.analysis.matrix import findings_by_subject
from orgdesign.health.as_of import design_shown
from teams import services
from teams.actor import browser_actor
from teams.models import AccessRole, Organisation, Person, as_row_id

OTHER_ROOTS_PAGE_SIZE = 50
PROBLEM_LIST_LIMIT = 100


def _number(value: str | None) -> int | None:
    """A non-negative integer from the query string; anything else is a page that does not
    exist."""
    if value is None or value == "":
        return None
    number = as_row_id(value)
    if number is None:
        raise Http404("No such person.")
    return number


def _add_titles(organisation: Organisation, nodes: list[ChartNode]) -> None:
    # Titles are not part of the loader's light rows; fetch them for the people shown only,
    # a few hundred at most, in one query, with the version an edit of the chart sends back.
    ids = person_ids(nodes)
    rows = Person.objects.filter(organisation=organisation, id__in=ids).values_list(
        "id", "title", "updated_at"
    )
    titles, versions = {}, {}
    for person_id, title, updated_at in rows:
        titles[person_id] = title
        versions[person_id] = updated_at.isoformat() if updated_at else ""
    set_titles(nodes, titles, versions)


@require_GET
@login_required
def org_chart(request, slug):
    organisation = get_org_for_user(request, slug)
    root_id = _number(request.GET.get("root"))
    offset = _number(request.GET.get("offset")) or 0
    shown_design = design_shown(organisation, request.GET)
    analysis = shown_design.analysis
    index = analysis.index
    if root_id is not None and root_id not in index.people_by_id:
        raise Http404("No such person in this organisation.")
    chart = OrgChart(index)
    context = {
        "organisation": organisation,
        "chart_url": reverse("chart", args=[slug]),
        "ml_head": index.ml_head,
        **shown_design.context(),
    }

    if root_id is not None and request.htmx:
        parent = chart.reports_chunk(root_id, offset)
        _add_titles(organisation, [parent])
        return render(request, "teams/chart.html#children", {**context, "parent": parent})

    # The side list of the picture: the people whose problems it opens on, then the rest.
    findings = analysis.findings
    by_subject = findings_by_subject(findings)
    problems = []
    for person_id in problem_people(chart, findings)[:PROBLEM_LIST_LIMIT]:
        messages = [f.message for f in chart.dependencies_by_lead.get(person_id, ())] or [
            f.message for f in by_subject.get(("person", person_id), ()) if f.severity == "error"
        ]
        problems.append({"id": person_id, "name": index.people_by_id[person_id].name,
                         "message": messages[0] if messages else ""})
    context["problems"] = problems
    context["editable"] = shown_design.editable_now and can_edit(organisation)
    context["data_url"] = reverse("chart_data", args=[slug]) + (
        f"?as_of={quote(shown_design.context()['as_of_param'])}" if shown_design.as_of else "")

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


@require_GET
@login_required
def chart_data(request, slug):
    """The drawn chart's data, as JSON: `{"nodes": [...], "dotted": [...]}`.

    Without parameters, the picture's first view: the tree open down to the ML head and its
    first levels, and the way down to every dependency lead and person with an error. With
    `?root=<id>` (and `offset`), a chunk of that person's reports; with `?reveal=<id>` or
    `?find=<name>`, the way down to that person. A fixed number of queries: the design's five
    tables, the titles and the dotted lines of the people sent.
    """
    organisation = get_org_for_user(request, slug)
    analysis = design_shown(organisation, request.GET).analysis
    index = analysis.index
    chart = OrgChart(index)
    findings = analysis.findings
    by_subject = findings_by_subject(findings)

    root_id = _number(request.GET.get("root"))
    reveal_id = _number(request.GET.get("reveal"))
    query = request.GET.get("find", "").strip().casefold()
    if query:
        match = next((p for p in sorted(index.data.people, key=lambda p: p.name.casefold())
                      if query in p.name.casefold()), None)
        if match is None:
            return JsonResponse({"nodes": [], "dotted": [], "found": None})
        reveal_id = match.id
    for person_id in (root_id, reveal_id):
        if person_id is not None and person_id not in index.people_by_id:
            raise Http404("No such person in this organisation.")

    if request.GET.get("scope") == "ml-org":
        # The whole ML org, every level, for a download: the way down to the head, then all.
        if index.ml_head is None:
            return JsonResponse({"nodes": [], "dotted": []})
        way = way_down(chart, index.ml_head.id)
        head = chart.whole(index.ml_head.id)
        if len(way) > 1:
            way[-2].children = [head]
        tops, parent_of_top = [way[0] if len(way) > 1 else head], None
        _add_titles(organisation, tops)
        return _chart_json(organisation, index, picture_nodes(tops, parent_of_top, by_subject))
    if root_id is not None:
        parent = chart.reports_chunk(root_id, _number(request.GET.get("offset")) or 0)
        tops, parent_of_top = parent.children, root_id
        for child in tops:
            child.children = []
    elif reveal_id is not None:
        # The way from the top of their tree down to them.
        way = way_down(chart, reveal_id)
        if way[0].person_id != index.top_of_organisation:
            # Not under the top of the organisation (their reporting line stops short): the
            # picture has one root, so their own tree opens as a chart of its own.
            return JsonResponse({
                "nodes": [], "dotted": [], "found": reveal_id,
                "elsewhere": f"{reverse('chart', args=[slug])}?root={way[0].person_id}",
                "name": index.people_by_id[reveal_id].name,
            })
        _add_titles(organisation, way[:1])
        return _chart_json(organisation, index, picture_nodes(way[:1], None, by_subject),
                           found=reveal_id)
    else:
        tree = chart.main_tree()
        if tree is None:
            return JsonResponse({"nodes": [], "dotted": []})
        # Every dependency lead (one a team outside the ML org: a few), then the first of the
        # people with errors (a company synced from HR can have thousands: the side list
        # and "Find" reach the rest).
        leads = len(chart.dependencies_by_lead)
        for person_id in problem_people(chart, findings)[: leads + REVEAL_LIMIT]:
            reveal(chart, tree, person_id)
        tops, parent_of_top = [tree], None
    _add_titles(organisation, tops)
    return _chart_json(organisation, index, picture_nodes(tops, parent_of_top, by_subject))


def _chart_json(organisation, index, nodes: list[dict], **extra) -> JsonResponse:
    """The picture's JSON: the people's boxes (`nodes`), the dotted lines between the people
    sent, and the open seats under their leads (`seats`, apart from the people)."""
    ids = [node["id"] for node in nodes]
    seats = seat_nodes(index, nodes)
    through = Person.dotted_line_managers.through
    dotted = [
        {"from": manager, "to": report}
        for report, manager in through.objects.filter(
            Q(from_person_id__in=ids) | Q(to_person_id__in=ids),
            from_person__organisation=organisation,
        ).values_list("from_person_id", "to_person_id")
    ]
    return JsonResponse({"nodes": nodes, "dotted": dotted, "seats": seats, **extra})


@require_POST
@login_required
def chart_move(request, slug):
    """Change a person's manager from the chart (a drag, or its keyboard alternative), through
    the same service as every other door: a loop is refused with the chain named, an edit made
    meanwhile answers 409. Answers JSON, with the previous manager for an undo."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    person = get_object_or_404(
        Person, organisation=organisation, pk=_number(request.POST.get("person"))
    )
    manager_id = _number(request.POST.get("manager"))
    manager = (
        get_object_or_404(Person, organisation=organisation, pk=manager_id)
        if manager_id is not None else None
    )
    previous = person.manager_id
    try:
        person = services.person_update(
            person=person,
            manager=manager,
            expected_version=request.POST.get("expected") or None,
            actor=browser_actor(request),
        )
    except services.ConflictError as conflict:
        current = conflict.current
        return JsonResponse({
            "ok": False, "conflict": True, "version": services.version_of(current),
            "manager": current.manager_id,
            "message": f"{current.name} was changed by someone else meanwhile; nothing was "
                       "saved. The chart now shows their current manager.",
        }, status=409)
    except ValidationError as refusal:
        return JsonResponse({"ok": False, "message": " ".join(refusal.messages)}, status=400)
    said = f"{person.name} now reports to {manager.name}." if manager else \
        f"{person.name} now has no manager."
    return JsonResponse({
        "ok": True, "message": said, "person": person.pk, "manager": person.manager_id,
        "previous": previous, "version": services.version_of(person),
    })
