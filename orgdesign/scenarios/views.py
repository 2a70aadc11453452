"""The scenarios of a design and the compare page: /orgs/<slug>/scenarios/ and
/orgs/<a>/compare/<b>/ (docs/design.md section 4)."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orgdesign.access.policy import (
    REVIEW_ROLES,
    can_edit,
    comparable,
    get_org_for_user,
    may_review,
    role_at_least,
    sees_money,
    visible_to_user,
    with_user_role,
)
from orgdesign.analysis.compare import MONEY, CapacityChange, Comparison
from orgdesign.analysis.findings import count_by_severity
from orgdesign.analysis.kept import analyses_of, comparison_of
from orgdesign.csvio.exports import csv_response
from orgdesign.csvio.format import decimal_text
from orgdesign.health.as_of import past_design
from orgdesign.jobs.models import JobKind
from orgdesign.jobs.runner import job_start
from orgdesign.scenarios.base import changes_of, findings_of_changes
from orgdesign.scenarios.merge import check_merge, merge_plan, scenario_rebase
from orgdesign.scenarios.review import review_add, review_state
from orgdesign.scenarios.services import check_scenario_room, scenario_delete, scenario_name
from orgdesign.scenarios.undo import undo_name
from orgdesign.web.errors import RoleRequired
from teams.actor import browser_actor
from teams.models import AccessRole, Organisation, ScenarioMerge, ScenarioReview

COMPARE_COLUMNS = ["type", "key", "name", "change", "field", "a", "b"]
# The changes of a scenario listed on the compare page; the API pages through all of them.
CHANGES_SHOWN = 200

# The compare page's counts, in the order a reader asks for them.
COUNT_LABELS = {
    "findings_fixed": "findings fixed",
    "findings_introduced": "findings introduced",
    "people_moved": "people moved (manager or teams)",
    "people_added": "people added",
    "people_removed": "people removed",
    "teams_into_ml_org": "teams moved into the ML org",
    "teams_out_of_ml_org": "teams moved out of the ML org",
    "teams_added": "teams added",
    "teams_removed": "teams removed",
    "teams_changed": "teams changed",
    "pipelines_added": "pipelines added",
    "pipelines_removed": "pipelines removed",
    "pipelines_changed": "pipelines changed",
    "cells_changed": "cells changed",
}

# The figures of the capacity comparison, as the page names them.
FIGURE_LABELS = {
    "headcount": "headcount",
    "fte": "FTE",
    "open_positions": "open positions",
    "planned_fte": "planned FTE",
    "cost": "cost",
    "planned_cost": "planned cost",
}
# The last merges the scenarios page lists, each with its undo.
MERGES_SHOWN = 10
# The values of ?plan= that judge the plans (as on the findings page; others are ignored).
PLAN_ON = ("1", "true")


@require_http_methods(["GET", "POST"])
@login_required
def scenarios(request, slug):
    """The scenarios of a design, with their findings beside the design's own; an editor
    copies the design into a new scenario (POST `name`)."""
    organisation = get_org_for_user(request, slug)
    error = ""
    if request.method == "POST":
        if not can_edit(organisation):
            raise RoleRequired(organisation, AccessRole.EDITOR)
        # A copy of a private scenario is private too: it holds the same design.
        private = request.POST.get("private") == "on" or organisation.private
        try:
            name = scenario_name(request.POST.get("name", ""))
            check_scenario_room(organisation.home or organisation)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            # A copy of a whole company takes seconds: a worker does it, the page follows.
            job = job_start(
                organisation=organisation,
                kind=JobKind.SCENARIO_COPY,
                params={"name": name, "private": private},
                actor=browser_actor(request),
            )
            return redirect("job", slug=organisation.slug, pk=job.uid)
    copies = visible_to_user(
        with_user_role(
            organisation.scenarios.select_related("created_by").order_by("-created_at", "-id"),
            request.user,
        ),
        request.user,
    )
    counts = {
        org_id: count_by_severity(analysis.findings)
        for org_id, analysis in analyses_of([organisation, *copies]).items()
    }
    return render(
        request,
        "scenarios/scenarios.html",
        {
            "organisation": organisation,
            "editable": can_edit(organisation),
            "own_counts": counts[organisation.pk],
            "rows": [(copy, counts[copy.pk]) for copy in copies],
            "error": error,
            "name": request.POST.get("name", "") if error else "",
            "private": request.POST.get("private") == "on" if error else False,
            "administrable": role_at_least(organisation.user_role, AccessRole.ADMIN),
            "user_id": request.user.pk,
            "merges": organisation.merges.select_related("user", "token")[:MERGES_SHOWN],
            "undoable": may_review(organisation.user_role, "undo"),
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def scenario_delete_view(request, slug):
    """Delete a scenario with its history (and the scenarios copied from it): its creator or
    an admin. GET asks to confirm."""
    scenario = get_org_for_user(request, slug)
    if scenario.home_id is None:
        raise Http404("This design is not a scenario.")
    if not may_delete(request, scenario):
        raise RoleRequired(scenario, AccessRole.ADMIN)
    if request.method == "POST":
        back = scenario.scenario_of or scenario.home
        scenario_delete(scenario=scenario)
        return redirect("scenarios", slug=back.slug)
    return render(request, "scenarios/delete.html", {"organisation": scenario})


def may_delete(request, scenario: Organisation) -> bool:
    return (
        role_at_least(scenario.user_role, AccessRole.ADMIN)
        or (scenario.created_by_id is not None and scenario.created_by_id == request.user.pk)
    )


@require_POST
@login_required
def promote(request, slug):
    """Make this scenario the live design of its origin (admins of the origin). The origin's
    previous state is kept as a new scenario, so promoting that one undoes it."""
    scenario = get_org_for_user(request, slug)
    if scenario.scenario_of_id is None:
        raise Http404("This design is not a scenario.")
    origin = get_org_for_user(request, scenario.scenario_of.slug, min_role=AccessRole.ADMIN)
    job = job_start(
        organisation=origin,
        kind=JobKind.SCENARIO_PROMOTE,
        params={"scenario": scenario.pk, "name": scenario.name},
        actor=browser_actor(request),
    )
    return redirect("job", slug=origin.slug, pk=job.uid)


@require_GET
@login_required
def compare(request, slug, other_slug):
    """What differs from this design to `other_slug`, both of which the user may see; with
    `?plan=1`, the findings fixed and introduced are the plans' (open positions filled).
    Capacity always; cost only for a user who is an admin of both designs."""
    organisation = get_org_for_user(request, slug)
    other = comparable(request, organisation, other_slug)
    plan = request.GET.get("plan") in PLAN_ON
    money = sees_money(organisation.user_role) and sees_money(other.user_role)
    # ?as_of= takes the first design as it was then: "then against now".
    past = past_design(organisation, request.GET)
    comparison = comparison_of(organisation, other, plan=plan, money=money,
                               first_as=past.analysis if past else None)
    if request.GET.get("format") == "csv":
        return csv_response(compare_rows(comparison), organisation=organisation,
                            name=f"compare-{other.slug}", request=request)
    return render(
        request,
        "scenarios/compare.html",
        {
            "organisation": organisation,
            "other": other,
            **(past.context() if past else {}),
            # A scenario of this design: its own changes load beside the comparison.
            "own_scenario": other.scenario_of_id == organisation.pk,
            "comparison": comparison,
            "plan": plan,
            "tried": tried_fix(comparison, request.GET.get("tried", "")),
            "counts": comparison.counts,
            "tiles": [
                (label, key, comparison.counts[key]) for key, label in COUNT_LABELS.items()
            ],
            "capacity_rows": capacity_rows(comparison),
            "sections": [
                ("People", "people", comparison.people),
                ("Teams", "teams", comparison.teams),
                ("Pipelines", "pipelines", comparison.pipelines),
                ("Cells of the matrix", "cells", comparison.cells),
            ],
        },
    )


def capacity_rows(comparison: Comparison) -> list[dict]:
    """The rows of the page's "Capacity and cost" table: every figure of the total, and the
    figures that differ of each team and pipeline."""
    capacity = comparison.capacity
    if capacity is None:
        return []
    return [
        {"type": change.type, "name": change.name, "change": change.change,
         "label": FIGURE_LABELS[figure.name], "figure": figure,
         "money": figure.kind == MONEY}
        for change in capacity.rows
        for figure in (change.figures if change.type == "total" else change.differing)
    ]


def tried_fix(comparison: Comparison, tried: str) -> dict | None:
    """What the page says of a fix tried in the scenario (`?tried=<finding key>`, or `all`):
    whether its finding is among the fixed, and the errors left."""
    if not tried:
        return None
    if tried == "all":
        return {"all": True, "left": comparison.errors_b}
    fixed = next((f for f in comparison.fixed if f.key == tried), None)
    return {"all": False, "key": tried, "finding": fixed, "fixed": fixed is not None}


def compare_rows(comparison: Comparison):
    yield COMPARE_COLUMNS
    for changes in (comparison.people, comparison.teams, comparison.pipelines, comparison.cells):
        for change in changes:
            if not change.fields:
                yield [change.type, change.key, change.name, change.change, "", "", ""]
            for name, (a, b) in change.fields.items():
                yield [change.type, change.key, change.name, change.change, name,
                       _cell(a), _cell(b)]
    for kind, findings in (("fixed", comparison.fixed), ("introduced", comparison.introduced)):
        for finding in findings:
            yield ["finding", finding.subject.type, finding.subject.name, kind, finding.code,
                   finding.message if kind == "fixed" else "",
                   finding.message if kind == "introduced" else ""]
    # Capacity: a row per figure that differs, of the total, a team or a pipeline (type
    # `capacity`, key what it is of); cost figures only when the comparison carries money.
    if comparison.capacity is not None:
        for change in comparison.capacity.rows:
            yield from _capacity_rows(change)


def _capacity_rows(change: CapacityChange):
    for figure in change.differing:
        yield ["capacity", change.type, change.name, change.change, figure.name,
               _figure(figure.a), _figure(figure.b)]


def _figure(value) -> str:
    """A figure of the CSV: at most two decimals, no trailing zeros (1.5, 2, 0.25)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return decimal_text(value)
    return str(value)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@require_GET
@login_required
def scenario_changes(request, slug, scenario):
    """What a scenario of this design changed since it was copied, change by change, in
    words: the compare page loads it beside the comparison (htmx), or it is a page of its
    own. Whoever may compare the two designs may read it."""
    organisation = get_org_for_user(request, slug)
    other = comparable(request, organisation, scenario)
    if other.scenario_of_id != organisation.pk:
        raise Http404("No such scenario of this design.")
    changes = changes_of(other)
    context = {
        "organisation": organisation, "other": other, "kept": changes is not None,
        "changes": (changes or [])[:CHANGES_SHOWN], "changes_count": len(changes or []),
    }
    if request.htmx:
        return render(request, "scenarios/changes.html#changes", context)
    return _review_page(request, organisation, other, context)


def _scenario_of(request, slug, scenario):
    organisation = get_org_for_user(request, slug)
    other = comparable(request, organisation, scenario)
    if other.scenario_of_id != organisation.pk:
        raise Http404("No such scenario of this design.")
    return organisation, other


def _review_page(request, organisation, other, context, *, status=200, refusal=""):
    role = organisation.user_role
    context["effects"] = findings_of_changes(other, context["changes"])
    steps = list(ScenarioReview.objects.filter(scenario=other).select_related("user", "token"))
    conflicts, rebase = {}, None
    if context["kept"]:
        merge = merge_plan(other)
        conflicts, rebase = merge.plan.conflicts, merge.rebase()
    context.update({
        "steps": steps, "review": review_state(other, steps), "conflicts": conflicts,
        "rebase": rebase,
        "refusal": refusal,
        "may": {action: may_review(role, action) for action in REVIEW_ROLES},
    })
    return render(request, "scenarios/changes.html", context, status=status)


@require_POST
@login_required
def scenario_review(request, slug, scenario):
    """A step of the review from the scenario's changes page."""
    organisation, other = _scenario_of(request, slug, scenario)
    action = request.POST.get("action", "")
    if not may_review(organisation.user_role, action):
        raise RoleRequired(organisation, REVIEW_ROLES.get(action, AccessRole.ADMIN))
    try:
        review_add(scenario=other, action=action, text=request.POST.get("text", ""),
                   change=request.POST.get("change", ""), user=request.user)
    except ValidationError as refused:
        return _changes_refused(request, organisation, other, refused)
    messages.success(request, REVIEW_SAID.get(action, "Saved."))
    return redirect("scenario_changes", slug=organisation.slug, scenario=other.slug)


def _changes_refused(request, organisation, other, refused):
    changes = changes_of(other)
    context = {"organisation": organisation, "other": other, "kept": changes is not None,
               "changes": (changes or [])[:CHANGES_SHOWN], "changes_count": len(changes or [])}
    return _review_page(request, organisation, other, context, status=400,
                        refusal=" ".join(refused.messages))


@require_POST
@login_required
def scenario_merge_start(request, slug, scenario):
    """Merge the chosen changes (all when none is ticked) with the conflicts resolved as
    chosen: checked now, then done by a worker."""
    organisation, other = _scenario_of(request, slug, scenario)
    if not may_review(organisation.user_role, "merge"):
        raise RoleRequired(organisation, AccessRole.ADMIN)
    keys = request.POST.getlist("change") or None
    resolutions = {key.removeprefix("resolve:"): value for key, value in request.POST.items()
                   if key.startswith("resolve:") and value in ("live", "scenario")}
    try:
        check_merge(other, merge_plan(other), keys, resolutions)
    except ValidationError as refused:
        return _changes_refused(request, organisation, other, refused)
    with transaction.atomic():
        job = job_start(organisation=organisation, kind=JobKind.SCENARIO_MERGE,
                        params={"scenario": other.pk, "name": other.name, "changes": keys,
                                "resolutions": resolutions},
                        actor=browser_actor(request))
    return redirect("job", slug=organisation.slug, pk=job.uid)


@require_POST
@login_required
def scenario_rebase_start(request, slug, scenario):
    """Take the live changes since the copy into the scenario, conflicts resolved as
    chosen (`live` takes the live value, `scenario` keeps the scenario's)."""
    organisation, other = _scenario_of(request, slug, scenario)
    if not may_review(organisation.user_role, "propose"):
        raise RoleRequired(organisation, AccessRole.EDITOR)
    resolutions = {key.removeprefix("rebase:"): value for key, value in request.POST.items()
                   if key.startswith("rebase:") and value in ("live", "scenario")}
    try:
        result = scenario_rebase(scenario=other, resolutions=resolutions,
                                 actor=browser_actor(request))
    except ValidationError as refused:
        return _changes_refused(request, organisation, other, refused)
    messages.success(request, f"{result['taken']} change{'s' if result['taken'] != 1 else ''}"
                     f" of {organisation.name} taken into {other.name}.")
    return redirect("scenario_changes", slug=organisation.slug, scenario=other.slug)


@require_POST
@login_required
def merge_undo_start(request, slug, pk):
    """Make the undo of one of the design's merges, a scenario to review and merge like any
    other: a copy, so a worker does it and the page follows."""
    organisation = get_org_for_user(request, slug)
    if not may_review(organisation.user_role, "undo"):
        raise RoleRequired(organisation, AccessRole.EDITOR)
    merge = ScenarioMerge.objects.filter(pk=pk, organisation=organisation).first()
    if merge is None:
        raise Http404("No such merge of this design.")
    try:
        check_scenario_room(organisation.home or organisation)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect("scenarios", slug=organisation.slug)
    with transaction.atomic():
        job = job_start(organisation=organisation, kind=JobKind.SCENARIO_COPY,
                        params={"name": undo_name(merge), "undo": merge.pk},
                        actor=browser_actor(request))
    return redirect("job", slug=organisation.slug, pk=job.uid)


REVIEW_SAID = {
    "propose": "Proposed for review: the admins can approve it or ask for changes.",
    "comment": "Comment added.",
    "approve": "Approved.",
    "request_changes": "Changes asked for.",
}

