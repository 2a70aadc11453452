"""The matrix import of the import page: matrix.csv, previewed as the cells it would change,
then applied all or nothing (`pipelines.matrix_import.apply_matrix`). Applying plans the file
again against the matrix as it is then, and writes only when the changes are still the ones
previewed; otherwise it shows the new preview."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.template.defaultfilters import pluralize

from orgdesign.csvio.format import Problem
from orgdesign.csvio.import_page import planned_import_views
from orgdesign.csvio.uploads import MATRIX, SHOWN, Outcome
from pipelines.matrix_import import MatrixPlan, apply_matrix, read_matrix


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


import_matrix, import_matrix_apply = planned_import_views(
    MATRIX, read=read_matrix, apply=apply_matrix, outcome=_matrix_outcome,
    what="the matrix",
    refusals={ValidationError: lambda error: [Problem(message) for message in error.messages]},
)
