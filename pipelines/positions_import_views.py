"""The positions import of the import page: positions.csv (or an HR system's requisitions),
previewed as the positions it would create and change, then applied all or nothing
(`pipelines.positions_import.apply_positions`). Applying plans the file again against the
positions as they are then, and writes only when the changes are still the ones previewed;
otherwise it shows the new preview."""

from __future__ import annotations

from django.template.defaultfilters import pluralize

from orgdesign.csvio.import_page import planned_import_views
from orgdesign.csvio.uploads import SHOWN, Outcome
from pipelines.positions_import import (
    ImportRefused,
    PositionsPlan,
    apply_positions,
    read_positions,
)

POSITIONS = "positions"


def _positions_outcome(state: str, plan: PositionsPlan, filename: str, read_as: str) -> Outcome:
    notes = []
    if plan.ignored_columns:
        notes.append(f"Columns not imported: {', '.join(plan.ignored_columns)}.")
    applied = state == "applied"
    return Outcome(
        POSITIONS,
        "nothing" if state == "preview" and not plan.changes else state,
        filename=filename,
        counts=[
            ("created" if applied else "to create", plan.created),
            ("updated" if applied else "to update", plan.updated),
            ("unchanged", plan.unchanged),
            (f"row{pluralize(plan.rows)} in the file", plan.rows),
        ],
        changes=plan.changes[:SHOWN],
        total_changes=len(plan.changes),
        read_as=read_as,
        notes=notes,
    )


import_positions, import_positions_apply = planned_import_views(
    POSITIONS, read=read_positions, apply=apply_positions, outcome=_positions_outcome,
    what="the positions", refusals={ImportRefused: lambda refusal: refusal.problems},
)
