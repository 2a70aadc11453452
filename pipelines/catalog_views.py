"""The catalog page, /orgs/<slug>/catalog/: the software catalog imported into the design and
how it matches it (Conway's check). Everyone who sees the design sees it; editors import
Backstage entity files and CODEOWNERS files (a preview, then an all-or-nothing apply), match a
group to a team or a component to a pipeline and stage by hand, and forget a source."""

from __future__ import annotations

import base64
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.analysis.kept import analysis_of
from orgdesign.csvio.pending import discard_upload, store_upload
from orgdesign.csvio.uploads import EXPIRED, max_bytes, previewed_upload, sign_ticket
from pipelines.catalog import (
    catalog_apply,
    catalog_match,
    catalog_source_remove,
    read_files,
)
from pipelines.models import CatalogEntity, CatalogKind, Pipeline, Stage
from teams.models import AccessRole, Team, as_row_id

PER_PAGE = 100
KIND = "catalog"


def _page(request, organisation, *, plan=None, ticket="", status=200):
    analysis = analysis_of(organisation)
    catalog = analysis.index.catalog
    findings: dict[int, list] = {}
    for finding in analysis.findings:
        if finding.subject.type == "component":
            findings.setdefault(finding.subject.id, []).append(finding)
    components = sorted(catalog.components, key=lambda placed: (
        placed.pipeline is not None, placed.team is not None, placed.row.name.casefold()))
    page = Paginator(components, PER_PAGE).get_page(request.GET.get("page"))
    sources = list(CatalogEntity.objects.filter(organisation=organisation)
                   .values("source").annotate(count=Count("id")).order_by("source"))
    return render(request, "pipelines/catalog.html", {
        "organisation": organisation,
        "editable": can_edit(organisation),
        "sources": sources,
        "catalog": catalog,
        "page": page,
        "rows": [(placed, findings.get(placed.row.id, [])) for placed in page.object_list],
        "unmatched_groups": catalog.unmatched_groups,
        "unplaced_count": len(catalog.unplaced),
        "component_count": len(catalog.components),
        "teams": sorted(analysis.data.teams, key=lambda team: team.name.casefold()),
        "pipelines": sorted(analysis.data.pipelines, key=lambda p: p.name.casefold()),
        "stages": Stage.choices,
        "plan": plan,
        "ticket": ticket,
        "max_size": filesizeformat(max_bytes()),
    }, status=status)


@require_GET
@login_required
def catalog(request, slug):
    return _page(request, get_org_for_user(request, slug))


def _bundle(files: list[tuple[str, bytes]]) -> bytes:
    """Several uploaded files kept as one pending upload between preview and apply."""
    return json.dumps([[name, base64.b64encode(data).decode()] for name, data in files]
                      ).encode()


def _unbundle(data: bytes) -> list[tuple[str, bytes]]:
    return [(name, base64.b64decode(text)) for name, text in json.loads(data)]


@require_POST
@login_required
def catalog_preview(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    uploads = request.FILES.getlist("files")
    if sum(upload.size for upload in uploads) > max_bytes():
        messages.error(request, f"The files are larger than {filesizeformat(max_bytes())}, "
                                "the most an import takes. Nothing was imported.")
        return _page(request, organisation, status=400)
    files = [(upload.name or "upload", upload.read()) for upload in uploads]
    plan = read_files(organisation, files)
    if plan.problems or not plan.rows:
        return _page(request, organisation, plan=plan, status=400)
    digest = store_upload(organisation, _bundle(files))
    return _page(request, organisation, plan=plan,
                 ticket=sign_ticket(request, organisation, KIND, sha=digest))


@require_POST
@login_required
def catalog_import(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    previewed = previewed_upload(request, organisation, KIND)
    if previewed is None:
        messages.error(request, EXPIRED)
        return redirect("catalog", slug)
    ticket, data = previewed
    plan = read_files(organisation, _unbundle(data))
    try:
        done = catalog_apply(organisation, plan)
    except ValidationError:
        return _page(request, organisation, plan=plan, status=400)
    discard_upload(organisation, ticket["sha"])
    messages.success(request, f"Imported {done['brought']} entities "
                              f"({done['removed']} replaced).")
    return redirect("catalog", slug)


@require_POST
@login_required
def catalog_match_view(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    entity = get_object_or_404(CatalogEntity, organisation=organisation, pk=pk)
    team = pipeline = None
    if entity.kind == CatalogKind.GROUP:
        team_id = as_row_id(request.POST.get("team", ""))
        team = get_object_or_404(Team, organisation=organisation, pk=team_id) \
            if team_id is not None else None
    else:
        pipeline_id = as_row_id(request.POST.get("pipeline", ""))
        pipeline = get_object_or_404(Pipeline, organisation=organisation, pk=pipeline_id) \
            if pipeline_id is not None else None
    try:
        catalog_match(entity=entity, team=team, pipeline=pipeline,
                      stage=request.POST.get("stage", "").strip())
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect("catalog", slug)
    messages.success(request, f"{entity.name} is matched by hand.")
    return redirect(reverse("catalog", args=[slug]) + f"#entity-{entity.pk}")


@require_POST
@login_required
def catalog_forget(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    source = request.POST.get("source", "")
    removed = catalog_source_remove(organisation=organisation, source=source)
    messages.success(request, f"Forgot {removed} entities of {source}.")
    return redirect("catalog", slug)
