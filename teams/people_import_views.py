"""The people import of the import page: people.csv or an HR system's roster, previewed as
the changes the bulk sync (`teams.sync.sync_people`) would make, then applied all or nothing.
Applying reads and checks the file again against the design as it is then, and writes only
when the changes are still the ones previewed; otherwise it shows the new preview."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from orgdesign.csvio.format import Problem
from orgdesign.csvio.import_page import refused, render_applied, render_preview
from orgdesign.csvio.uploads import (
    PEOPLE,
    SHOWN,
    Outcome,
    apply_view,
    import_actor,
    upload_view,
)
from orgdesign.jobs.models import JobKind
from orgdesign.jobs.runner import job_start
from teams.roster_import import (
    ChangedSincePreview,
    Roster,
    apply_roster,
    parse_roster,
    people_fingerprint,
)
from teams.sync import SyncResult, sync_people

MODES = {"delta", "snapshot"}
# Rosters longer than this are applied by a worker (orgdesign/jobs/runner.py), not in the request.
ASYNC_ROWS = 2000


@dataclass
class PersonRow:
    """A person who would change, as the preview lists them."""

    action: str  # create, update, deactivate
    line: int | None
    name: str
    external_id: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (column, old, new)


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):  # teams of a record
        return ";".join(f"{team['team']}:{team['allocation']}" for team in value)
    return str(value)


def _sync_problems(result: SyncResult, roster: Roster) -> list[Problem]:
    problems = []
    for error in result.errors:
        index = error.get("index")
        line = roster.line_of(index) if isinstance(index, int) else None
        for name, messages in error.get("errors", {}).items():
            column = roster.columns.get(name, "")
            for message in messages:
                problems.append(Problem(message, line=line, column=column))
    return problems


def _people_rows(result: SyncResult, roster: Roster) -> list[PersonRow]:
    """The first SHOWN changes: what a new person gets, what changes for the others."""
    records = {
        record["external_id"]: (record, line)
        for record, line in zip(roster.records, roster.lines, strict=True)
    }
    rows = []
    for change in result.changes:
        if change.action == "unchanged":
            continue
        if len(rows) == SHOWN:
            break
        record, line = records.get(change.external_id, ({}, None))
        if change.action == "create":
            fields = [
                (roster.header_of(name), "", _shown(value))
                for name, value in record.items()
                if name not in ("external_id", "name") and _shown(value)
            ]
        else:
            fields = [
                (roster.header_of(name), _shown(old), _shown(new))
                for name, (old, new) in change.fields.items()
            ]
        rows.append(PersonRow(change.action, line, change.name or change.external_id,
                              change.external_id, fields))
    return rows


def _people_outcome(
    state: str, result: SyncResult, roster: Roster, filename: str, mode: str
) -> Outcome:
    total = result.created + result.updated + result.deactivated
    notes = []
    if roster.ignored_columns:
        notes.append(f"Columns not imported: {', '.join(roster.ignored_columns)}.")
    return Outcome(
        PEOPLE,
        "nothing" if state == "preview" and not total else state,
        filename=filename,
        counts=[("created", result.created), ("updated", result.updated),
                ("deactivated", result.deactivated), ("unchanged", result.unchanged)],
        changes=_people_rows(result, roster),
        total_changes=total,
        mode=mode,
        read_as=f"{roster.encoding}, {roster.separator}-separated, {len(roster.records)} rows",
        notes=notes,
    )


def _people_preview(request, organisation, data: bytes, filename: str, *, mode: str,
                    alert: str = ""):
    roster = parse_roster(data)
    if roster.problems:
        return refused(request, organisation, PEOPLE, roster.problems, filename=filename)
    result = sync_people(organisation=organisation, records=roster.records, mode=mode,
                         dry_run=True, actor=import_actor(request))
    if result.errors:
        return refused(request, organisation, PEOPLE, _sync_problems(result, roster),
                        filename=filename, mode=mode)
    return render_preview(request, organisation,
                          _people_outcome("preview", result, roster, filename, mode), data,
                          alert=alert, mode=mode, changes=people_fingerprint(result))


def _preview_people_upload(request, organisation, data: bytes, filename: str):
    mode = request.POST.get("mode", "delta")
    return _people_preview(request, organisation, data, filename,
                           mode=mode if mode in MODES else "delta")


import_people = upload_view(PEOPLE, _preview_people_upload, refused)


def _people_apply(request, organisation, ticket: dict, data: bytes):
    filename, mode = ticket["name"], ticket["mode"]
    roster = parse_roster(data)
    if roster.problems:
        return refused(request, organisation, PEOPLE, roster.problems, filename=filename)
    if len(roster.records) > ASYNC_ROWS:
        # A whole company takes seconds: a worker applies it, the job page follows it.
        job = job_start(
            organisation=organisation,
            kind=JobKind.PEOPLE_IMPORT,
            params={"sha": ticket["sha"], "name": filename, "mode": mode,
                    "changes": ticket["changes"], "rows": len(roster.records)},
            actor=import_actor(request),
        )
        url = reverse("job", args=[organisation.slug, job.uid])
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return redirect(url)
    try:
        result = apply_roster(organisation=organisation, roster=roster, mode=mode,
                              fingerprint=ticket["changes"], actor=import_actor(request))
    except ChangedSincePreview:
        return _people_preview(request, organisation, data, filename, mode=mode, alert=(
            "The people changed since your preview, so nothing was imported. Here is the "
            "preview against the design as it is now."
        ))
    if result.errors:
        return refused(request, organisation, PEOPLE, _sync_problems(result, roster),
                        filename=filename, mode=mode)
    return render_applied(request, organisation, ticket,
                          _people_outcome("applied", result, roster, filename, mode))


import_people_apply = apply_view(PEOPLE, _people_apply, refused)
