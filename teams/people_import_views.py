"""The people import of the import page: people.csv or an HR system's roster, previewed as
the changes the bulk sync (`teams.sync.sync_people`) would make, then applied all or nothing.
Applying reads and checks the file again against the design as it is then, and writes only
when the changes are still the ones previewed; otherwise it shows the new preview."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from orgdesign.access.policy import get_org_for_user
from orgdesign.csvio.format import Problem, sheet_chosen
from orgdesign.csvio.import_page import refused, render_applied, render_preview
from orgdesign.csvio.pending import store_upload
from orgdesign.csvio.uploads import (
    EXPIRED,
    PEOPLE,
    SHOWN,
    Outcome,
    apply_view,
    import_actor,
    previewed_upload,
    sign_ticket,
    upload_view,
)
from orgdesign.jobs.models import JobKind
from orgdesign.jobs.runner import job_start
from teams.hr_exports import FIELDS, KEYS
from teams.import_mappings import reading_for, reading_save
from teams.models import AccessRole
from teams.roster_import import (
    ChangedSincePreview,
    ColumnRead,
    Roster,
    apply_roster,
    parse_roster,
    people_fingerprint,
    preview_roster,
)
from teams.sync import SyncResult

MODES = {"delta", "snapshot"}
# The ticket of the mapping step: the kept file, its headers, to read again with a mapping.
REMAP = "people-remap"
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
            column = roster.fields.get(name, "")
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
    if roster.export:
        notes.append(f"Read as a {roster.export_label}.")
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
                    alert: str = "", options: dict | None = None):
    """The preview of a roster. `options` (a mapping, a key, team creation) as the user set
    them in the mapping step; without them, the reading saved for a file with the same
    headers, else the reading the file's headers suggest."""
    saved = False
    if options is None:
        roster = parse_roster(data, organisation=organisation)
        reading = reading_for(organisation, [c.header for c in roster.columns]) \
            if roster.columns else None
        if reading is not None:
            options = {"mapping": reading.mapping, "key": reading.key,
                       "create_teams": reading.create_teams}
            roster = parse_roster(data, organisation=organisation, **options)
            saved = True
    else:
        roster = parse_roster(data, organisation=organisation, **options)
    mapped = options is not None
    step = _mapping_step(request, organisation, roster, data, filename, mode, saved=saved,
                         chosen=mapped and not saved)
    if roster.problems:
        return refused(request, organisation, PEOPLE, roster.problems, filename=filename,
                       mode=mode, reading=step)
    result = preview_roster(organisation=organisation, roster=roster, mode=mode,
                            actor=import_actor(request))
    if result.errors:
        return refused(request, organisation, PEOPLE, _sync_problems(result, roster),
                       filename=filename, mode=mode, reading=step)
    outcome = _people_outcome("preview", result, roster, filename, mode)
    outcome.reading = step
    return render_preview(request, organisation, outcome, data, alert=alert, mode=mode,
                          changes=people_fingerprint(result), options=roster.options,
                          mapped=mapped)


@dataclass
class MappingStep:
    """The columns of a roster as the preview read them, for the user to map again: each
    column with the field it gives (`map-<position>` in the form), the key, team creation."""

    columns: list[ColumnRead]
    fields: list[tuple[str, str]]  # (field, what it is), for each column's choice
    key: str
    key_choices: list[str]
    create_teams: bool
    new_teams: list[str]
    ticket: str  # names the kept file, for the next reading
    saved: bool  # read with the mapping saved for these headers
    chosen: bool = False  # read with the mapping the user just chose (the step stays open)


def _mapping_step(request, organisation, roster: Roster, data: bytes, filename: str,
                  mode: str, *, saved: bool, chosen: bool = False) -> MappingStep | None:
    if not roster.columns:
        return None  # not even a header row: nothing to map
    ticket = sign_ticket(
        request, organisation, REMAP, sha=store_upload(organisation, data), name=filename,
        mode=mode, headers=[column.header for column in roster.columns],
    )
    return MappingStep(
        columns=roster.columns,
        fields=list(FIELDS.items()),
        key=roster.key or "external_id",
        # Every key, whichever column gives it: the column may be mapped in the same step.
        key_choices=["external_id", *KEYS],
        create_teams=roster.create_teams,
        new_teams=roster.new_teams,
        ticket=ticket,
        saved=saved,
        chosen=chosen,
    )


def _chosen_mapping(request, headers: list[str]) -> dict:
    """The mapping of the form: each column's choice (`map-<position>`), "" for not
    imported, fields joined by "+" for a column that gives several."""
    mapping: dict[str, str | list[str] | None] = {}
    for position, header in enumerate(headers):
        value = request.POST.get(f"map-{position}", "").strip()
        mapping[header] = value.split("+") if "+" in value else value or None
    return mapping


@require_POST
@login_required
def import_people_remap(request, slug):
    """The mapping step: the kept file read again with the columns, key and team creation
    the user chose, and previewed at once."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    # A field of its own: the apply form's `ticket` is another form's, on the same page.
    previewed = previewed_upload(request, organisation, REMAP, field="mapping_ticket")
    if previewed is None:
        return refused(request, organisation, PEOPLE, [Problem(EXPIRED)])
    ticket, data = previewed
    with sheet_chosen(ticket.get("sheet")):  # the sheet of a workbook the upload read
        return _remapped(request, organisation, ticket, data)


def _remapped(request, organisation, ticket: dict, data: bytes):
    key = request.POST.get("key", "external_id")
    options = {
        "mapping": _chosen_mapping(request, ticket["headers"]),
        "key": None if key == "external_id" else key,
        "create_teams": request.POST.get("create_teams") == "on",
    }
    return _people_preview(request, organisation, data, ticket["name"], mode=ticket["mode"],
                           options=options)


def _preview_people_upload(request, organisation, data: bytes, filename: str):
    mode = request.POST.get("mode", "delta")
    return _people_preview(request, organisation, data, filename,
                           mode=mode if mode in MODES else "delta")


import_people = upload_view(PEOPLE, _preview_people_upload, refused)


def _people_apply(request, organisation, ticket: dict, data: bytes):
    filename, mode = ticket["name"], ticket["mode"]
    options = ticket.get("options") or {}
    roster = parse_roster(data, organisation=organisation, **options)
    if roster.problems:
        return refused(request, organisation, PEOPLE, roster.problems, filename=filename)
    if len(roster.records) > ASYNC_ROWS:
        # A whole company takes seconds: a worker applies it, the job page follows it.
        _keep_reading(request, organisation, roster, ticket)
        job = job_start(
            organisation=organisation,
            kind=JobKind.PEOPLE_IMPORT,
            params={"sha": ticket["sha"], "name": filename, "mode": mode,
                    "changes": ticket["changes"], "rows": len(roster.records),
                    "options": options, "sheet": ticket.get("sheet")},
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
        return _people_preview(request, organisation, data, filename, mode=mode,
                               options=options if ticket.get("mapped") else None, alert=(
            "The people changed since your preview, so nothing was imported. Here is the "
            "preview against the design as it is now."
        ))
    if result.errors:
        return refused(request, organisation, PEOPLE, _sync_problems(result, roster),
                        filename=filename, mode=mode)
    _keep_reading(request, organisation, roster, ticket)
    return render_applied(request, organisation, ticket,
                          _people_outcome("applied", result, roster, filename, mode))


def _keep_reading(request, organisation, roster: Roster, ticket: dict) -> None:
    """A file read with a mapping (chosen in the mapping step, or saved before) keeps it for
    the next file with the same headers."""
    if not ticket.get("mapped"):
        return
    reading_save(
        organisation=organisation,
        headers=[column.header for column in roster.columns],
        mapping={column.header: list(column.fields) if len(column.fields) > 1
                 else column.field for column in roster.columns},
        key=roster.key or "external_id", create_teams=roster.create_teams,
        user=request.user,
    )


import_people_apply = apply_view(PEOPLE, _people_apply, refused)
