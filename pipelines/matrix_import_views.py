"""The matrix import of the import page: matrix.csv, previewed as the cells it would change,
then applied all or nothing (`pipelines.matrix_import.apply_matrix`). Applying plans the file
again against the matrix as it is then, and writes only when the changes are still the ones
previewed; otherwise it shows the new preview."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.template.defaultfilters import pluralize

from orgdesign.csvio.format import Problem
from orgdesign.csvio.import_page import refused, render_applied, render_preview
from orgdesign.csvio.uploads import (
    MATRIX,
    SHOWN,
    Outcome,
    apply_view,
    import_actor,
    upload_view,
)
from pipelines.matrix_import import MatrixPlan, apply_matrix, read_matrix
from teams.roster_import import ChangedSincePreview


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
    plan, read_as = read_matrix(data, organisation)
    if plan.problems:
        return refused(request, organisation, MATRIX, plan.problems, filename=filename)
    return render_preview(request, organisation,
                          _matrix_outcome("preview", plan, filename, read_as), data,
                          alert=alert, changes=plan.fingerprint())


import_matrix = upload_view(MATRIX, _matrix_preview, refused)


def _matrix_apply(request, organisation, ticket: dict, data: bytes):
    filename = ticket["name"]
    try:
        plan, read_as = apply_matrix(organisation=organisation, data=data,
                                     fingerprint=ticket["changes"], actor=import_actor(request))
    except ChangedSincePreview:
        return _matrix_preview(request, organisation, data, filename, alert=(
            "The matrix changed since your preview, so nothing was imported. Here is the "
            "preview against the matrix as it is now."
        ))
    except ValidationError as error:
        return refused(request, organisation, MATRIX,
                        [Problem(message) for message in error.messages], filename=filename)
    if plan.problems:
        return refused(request, organisation, MATRIX, plan.problems, filename=filename)
    return render_applied(request, organisation, ticket,
                          _matrix_outcome("applied", plan, filename, read_as))


import_matrix_apply = apply_view(MATRIX, _matrix_apply, refused)
