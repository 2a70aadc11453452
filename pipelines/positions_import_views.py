"""The positions import of the import page: positions.csv (or an HR system's requisitions),
previewed as the positions it would create and change, then applied all or nothing
(`pipelines.positions_import.apply_positions`). Applying plans the file again against the
positions as they are then, and writes only when the changes are still the ones previewed;
otherwise it shows the new preview."""

from __future__ import annotations

from django.template.defaultfilters import pluralize

from orgdesign.csvio.import_page import refused, render_applied, render_preview
from orgdesign.csvio.uploads import SHOWN, Outcome, apply_view, import_actor, upload_view
from pipelines.positions_import import (
    ImportRefused,
    PositionsPlan,
    apply_positions,
    read_positions,
)
from teams.roster_import import ChangedSincePreview

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


def _positions_preview(request, organisation, data: bytes, filename: str, alert: str = ""):
    plan, read_as = read_positions(data, organisation)
    if plan.problems:
        return refused(request, organisation, POSITIONS, plan.problems, filename=filename)
    return render_preview(request, organisation,
                          _positions_outcome("preview", plan, filename, read_as), data,
                          alert=alert, changes=plan.fingerprint())


import_positions = upload_view(POSITIONS, _positions_preview, refused)


def _positions_apply(request, organisation, ticket: dict, data: bytes):
    filename = ticket["name"]
    try:
        plan, read_as = apply_positions(organisation=organisation, data=data,
                                        fingerprint=ticket["changes"],
                                        actor=import_actor(request))
    except ChangedSincePreview:
        return _positions_preview(request, organisation, data, filename, alert=(
            "The positions changed since your preview, so nothing was imported. Here is the "
            "preview against the design as it is now."
        ))
    except ImportRefused as refusal:
        return refused(request, organisation, POSITIONS, refusal.problems, filename=filename)
    if plan.problems:
        return refused(request, organisation, POSITIONS, plan.problems, filename=filename)
    return render_applied(request, organisation, ticket,
                          _positions_outcome("applied", plan, filename, read_as))


import_positions_apply = apply_view(POSITIONS, _positions_apply, refused)
