"""The pipelines (rows of the matrix): list, create, edit."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from orgdesign.access import can_edit, get_org_for_user
from orgdesign.analysis.kept import analysis_of
from orgdesign.forms import add_service_errors
from orgdesign.history_views import recent_context
from pipelines import services
from pipelines.forms import PipelineForm
from pipelines.models import Engagement, Lifecycle, Pipeline, Stage, Tier
from teams.actor import browser_actor
from teams.models import AccessRole
from teams.picker import pickers_for
from teams.services import ConflictError, version_of

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

    findings = [
        finding
        for finding in analysis_of(organisation).findings
        if finding.subject.type == "pipeline" and finding.subject.id == pipeline.pk
    ]
    engagements = (
        Engagement.objects.filter(pipeline=pipeline).select_related("team").order_by("team__name")
    )
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
            "engagements": engagements,
            **recent_context(request, organisation, pipeline=pipeline.pk),
        },
        status=status,
    )


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
