"""The matrix import of the import page: matrix.csv, previewed as the cells it would change,
then applied all or nothing through `pipelines.services.engagement_set`. Applying plans the
file again against the matrix as it is then, and writes only when the changes are still the
ones previewed; otherwise it shows the new preview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_POST

from orgdesign.access.policy import get_org_for_user
from orgdesign.csvio.format import CsvFileError, Problem, read_table
from orgdesign.csvio.import_page import refused, render_import
from orgdesign.csvio.pending import discard_upload, store_upload
from orgdesign.csvio.uploads import (
    EXPIRED,
    MATRIX,
    SHOWN,
    Outcome,
    import_actor,
    previewed_upload,
    sign_ticket,
    upload_view,
)
from pipelines import services
from pipelines.matrix_import import MatrixPlan, plan_matrix_import
from pipelines.models import Engagement, Pipeline
from teams.models import AccessRole, Organisation, Team


def _matrix_state(organisation: Organisation):
    """The pipelines, the teams and the roles of the cells: three queries."""
    pipelines = list(
        Pipeline.objects.filter(organisation=organisation).only("id", "name", "organisation_id")
    )
    teams = list(Team.objects.filter(organisation=organisation).only("id", "name",
                                                                      "organisation_id"))
    roles = {
        (pipeline_id, team_id): role
        for pipeline_id, team_id, role in Engagement.objects.filter(
            pipeline__organisation=organisation
        ).values_list("pipeline_id", "team_id", "role")
    }
    return pipelines, teams, roles


def _read_matrix(data: bytes, organisation: Organisation):
    """The plan of an upload against the current design, with the design's objects."""
    try:
        table = read_table(data)
    except CsvFileError as error:
        return MatrixPlan(problems=[Problem(error.message, line=error.line)]), "", {}, {}
    pipelines, teams, roles = _matrix_state(organisation)
    plan = plan_matrix_import(table, pipelines=pipelines, teams=teams, roles=roles)
    read_as = f"{table.encoding}, {table.separator_name}-separated, {len(table.rows)} rows"
    return plan, read_as, {p.id: p for p in pipelines}, {t.id: t for t in teams}


def _cells(count: int, what: str) -> str:
    return f"cell{pluralize(count)}{what}"


def _matrix_outcome(state: str, plan: MatrixPlan, filename: str, read_as: str) -> Outcome:
    notes = []
    if plan.ignored_columns:
        notes.append(
            f"Columns {', '.join(plan.ignored_columns)} are informational and were not "
            "imported: change a pipeline's PM or lifecycle on its page."
        )
    return Outcome(
        MATRIX,
        "nothing" if state == "preview" and not plan.changes else state,
        filename=filename,
        counts=[
            (_cells(len(plan.changes), " changed" if state == "applied" else " to change"),
             len(plan.changes)),
            (_cells(plan.unchanged, " unchanged"), plan.unchanged),
            (f"pipeline{pluralize(plan.pipelines)} in the file", plan.pipelines),
            (f"team{pluralize(plan.teams)} in the file", plan.teams),
        ],
        changes=plan.changes[:SHOWN],
        total_changes=len(plan.changes),
        read_as=read_as,
        notes=notes,
    )


def _matrix_preview(request, organisation, data: bytes, filename: str, alert: str = ""):
    plan, read_as, _, _ = _read_matrix(data, organisation)
    if plan.problems:
        return refused(request, organisation, MATRIX, plan.problems, filename=filename)
    outcome = _matrix_outcome("preview", plan, filename, read_as)
    outcome.alert = alert
    if outcome.state == "preview":
        outcome.ticket = sign_ticket(
            request, organisation, MATRIX, sha=store_upload(organisation, data), name=filename,
            changes=plan.fingerprint(),
        )
    return render_import(request, organisation, outcome)


import_matrix = upload_view(MATRIX, _matrix_preview, refused)


@require_POST
@login_required
def import_matrix_apply(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    previewed = previewed_upload(request, organisation, MATRIX)
    if previewed is None:
        return refused(request, organisation, MATRIX, [Problem(EXPIRED)])
    ticket, data = previewed
    filename = ticket["name"]
    actor = import_actor(request)
    try:
        with transaction.atomic():
            plan, read_as, pipelines, teams = _read_matrix(data, organisation)
            if plan.problems:
                return refused(request, organisation, MATRIX, plan.problems,
                                filename=filename)
            if plan.fingerprint() != ticket["changes"]:
                return _matrix_preview(request, organisation, data, filename, alert=(
                    "The matrix changed since your preview, so nothing was imported. Here "
                    "is the preview against the matrix as it is now."
                ))
            for change in plan.changes:
                services.engagement_set(
                    pipeline=pipelines[change.pipeline_id], team=teams[change.team_id],
                    role=change.new or None, actor=actor,
                )
    except ValidationError as error:
        return refused(request, organisation, MATRIX,
                        [Problem(message) for message in error.messages], filename=filename)
    discard_upload(organisation, ticket["sha"])
    return render_import(request, organisation, _matrix_outcome("applied", plan, filename, read_as))
