"""The pipelines (rows of the matrix): list, create, edit, and the effort each engaged team
gives a pipeline (the matrix's cells change the roles)."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.analysis.kept import analysis_of
from orgdesign.history.sections import recent_context
from orgdesign.web.forms import add_service_errors
from pipelines import services
from pipelines.forms import EngagementEffortForm, PipelineForm
from pipelines.models import Engagement, Lifecycle, Pipeline, Stage, Tier
from teams.actor import browser_actor
from teams.models import AccessRole, Team
from teams.picker import pickers_for
from teams.services import ConflictError, lock_unchanged, version_of

PAGE_SIZE = 50


def _form_fields(form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    return data


@require_http_methods(["GET", "POST"])
@login_required
def pipelines(request, slug):
    """GET: the list; POST: create a pipeline (editors)."""
    min_role = AccessRole.EDITOR if request.method == "POST" else AccessRole.VIEWER
    organisation = get_org_for_user(request, slug, min_role=min_role)
    form = PipelineForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = services.pipeline_create(
                actor=browser_actor(request), organisation=organisation, **_form_fields(form)
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("pipeline_detail", slug, pipeline.pk)
    query = request.GET.get("q", "").strip()
    lifecycle = request.GET.get("lifecycle", "")
    tier = request.GET.get("tier", "")
    queryset = Pipeline.objects.filter(organisation=organisation).select_related("pm_owner")
    if query:
        queryset = queryset.filter(name__icontains=query)
    # Unknown values are ignored rather than refused: a filter link never breaks.
    if lifecycle in Lifecycle.values:
        queryset = queryset.filter(lifecycle=lifecycle)
    if tier in Tier.values:
        queryset = queryset.filter(tier=tier)
    page = Paginator(queryset.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if request.method == "POST" else 200
    template = "pipelines/pipelines.html"
    if request.htmx and request.method == "GET":
        template += "#pipeline-list"
    return render(
        request,
        template,
        {
            "organisation": organisation,
            "editable": can_edit(organisation),
            "form": form,
            "pm_picker": pickers_for(form, "pm_owner")["pm_owner"],
            "page": page,
            "query": query,
            "lifecycle": lifecycle,
            "tier": tier,
            "lifecycles": Lifecycle.choices,
            "tiers": Tier.choices,
            "stage_labels": dict(Stage.choices),
            "filtered": bool(query or lifecycle in Lifecycle.values or tier in Tier.values),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def pipeline_detail(request, slug, pk):
    """GET: the pipeline with its cells and findings; POST: save an edit (editors)."""
    min_role = AccessRole.EDITOR if request.method == "POST" else AccessRole.VIEWER
    organisation = get_org_for_user(request, slug, min_role=min_role)
    pipeline = get_object_or_404(Pipeline, pk=pk, organisation=organisation)
    conflict = ""
    saved = False
    status = 200
    if request.method == "POST":
        form = PipelineForm(request.POST, organisation=organisation)
        if form.is_valid():
            try:
                services.pipeline_update(
                    actor=browser_actor(request),
                    pipeline=pipeline,
                    expected_version=form.cleaned_data["version"] or None,
                    **_form_fields(form),
                )
            except ConflictError as error:
                conflict, status = error.message, 409
                pipeline = error.current
                form = _edit_form(organisation, pipeline)
            except ValidationError as error:
                add_service_errors(form, error)
                status = 400
            else:
                if not request.htmx:
                    return redirect("pipeline_detail", slug, pipeline.pk)
                saved = True
                form = _edit_form(organisation, pipeline)
        else:
            status = 400
    else:
        form = _edit_form(organisation, pipeline)

    return _detail_response(
        request, organisation, pipeline, form, conflict=conflict, saved=saved, status=status
    )


def _detail_response(request, organisation, pipeline, form, *, conflict="", saved=False,
                     status=200, teams: dict | None = None):
    analysis = analysis_of(organisation)
    findings = [
        finding
        for finding in analysis.findings
        if finding.subject.type == "pipeline" and finding.subject.id == pipeline.pk
    ]
    # The components of the software catalog it runs on, by stage (none without a catalog).
    components = sorted(analysis.index.catalog.by_pipeline.get(pipeline.pk, ()),
                        key=lambda placed: (placed.stage, placed.row.name.casefold())) \
        if analysis.data.catalog else []
    return render(
        request,
        "pipelines/pipeline_detail.html",
        {
            "organisation": organisation,
            "editable": can_edit(organisation),
            "pipeline": pipeline,
            "form": form,
            "pm_picker": pickers_for(form, "pm_owner")["pm_owner"],
            "conflict": conflict,
            "saved": saved,
            "findings": findings,
            "components": components,
            **(teams or _teams_context(pipeline)),
            **recent_context(request, organisation, pipeline=pipeline.pk),
        },
        status=status,
    )


# The teams engaged, and the effort each gives -----------------------------------------------


@dataclass
class EngagementRow:
    """An engaged team as the pipeline's page lists it, with its effort form."""

    engagement: Engagement
    form: EngagementEffortForm


def _teams_context(pipeline, refused: EngagementEffortForm | None = None,
                   refused_team: int | None = None, notice: str = "",
                   conflict: str = "") -> dict:
    """The engaged teams, each with a form holding its effort (or, for `refused_team`, the
    refused form with its errors). One query."""
    engagements = (
        Engagement.objects.filter(pipeline=pipeline).select_related("team").order_by("team__name")
    )
    rows = []
    for engagement in engagements:
        if refused is not None and engagement.team_id == refused_team:
            form = refused
        else:
            form = EngagementEffortForm(
                initial={"effort": engagement.effort, "version": version_of(engagement)},
                auto_id=f"effort-{engagement.team_id}-%s",
            )
        rows.append(EngagementRow(engagement, form))
    return {
        "engagement_rows": rows,
        "teams_notice": notice,
        "teams_conflict": conflict,
    }


@require_POST
@login_required
def engagement_effort(request, slug, pk, team_id):
    """Set or clear the effort of one engaged team (percent of its capacity): the cell's role
    stays (the matrix changes it). A refused value answers 400 beside its input, a row that
    changed since the page was drawn 409 with its current value."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    pipeline = get_object_or_404(Pipeline, pk=pk, organisation=organisation)
    team = get_object_or_404(Team, pk=team_id, organisation=organisation)
    form = EngagementEffortForm(request.POST, auto_id=f"effort-{team.pk}-%s")
    status, notice, conflict, refused = 200, "", "", None
    engagement = Engagement.objects.filter(pipeline=pipeline, team=team).first()
    if engagement is None:
        status, conflict = 409, (
            f"{team.name} is no longer engaged in {pipeline.name}: someone cleared its cell. "
            "Nothing was saved."
        )
    elif not form.is_valid():
        status, refused = 400, form
    else:
        try:
            with transaction.atomic():
                lock_unchanged(engagement, form.cleaned_data["version"] or None)
                services.engagement_set(
                    pipeline=pipeline, team=team, role=engagement.role,
                    effort=form.cleaned_data["effort"], actor=browser_actor(request),
                )
        except ConflictError as error:
            status, conflict = 409, error.message
        except ValidationError as error:
            add_service_errors(form, error)
            status, refused = 400, form
        else:
            if not request.htmx:
                return redirect("pipeline_detail", slug, pipeline.pk)
            effort = form.cleaned_data["effort"]
            notice = (f"{team.name} gives {effort}% of its capacity." if effort is not None
                      else f"{team.name} shares what the set efforts leave.")
    teams = _teams_context(pipeline, refused, team.pk, notice, conflict)
    context = {"organisation": organisation, "editable": True, "pipeline": pipeline, **teams}
    if request.htmx:
        return render(request, "pipelines/pipeline_detail.html#pipeline-teams", context,
                      status=status)
    return _detail_response(request, organisation, pipeline, _edit_form(organisation, pipeline),
                            status=status, teams=teams)


def _edit_form(organisation, pipeline) -> PipelineForm:
    return PipelineForm(
        organisation=organisation,
        initial={
            "name": pipeline.name,
            "pm_owner": pipeline.pm_owner,
            "lifecycle": pipeline.lifecycle,
            "tier": pipeline.tier,
            "metric": pipeline.metric,
            "required_stages": pipeline.required_stages,
            "version": version_of(pipeline),
        },
    )
