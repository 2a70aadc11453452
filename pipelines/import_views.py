"""The import page: people (people.csv or an HR system's roster) and the matrix (matrix.csv),
each uploaded, previewed, then applied, all or nothing. Editors only.

Between the preview and the apply, the uploaded bytes wait in a temporary file named by
their SHA-256. The apply form carries that hash signed with the organisation, the user, the
mode and a fingerprint of the previewed changes, so nobody can apply someone else's file or
another file than the one previewed. Applying reads and checks the file again against the
design as it is then, and writes only when the changes are still the ones previewed;
otherwise it shows the new preview. Refusals are shown with their line and column, and
nothing is written.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat, pluralize
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from orgdesign.access import get_org_for_user
from pipelines import services
from pipelines.csv_format import CsvFileError, Problem, read_table
from pipelines.matrix_import import INFORMATIONAL_COLUMNS, MatrixPlan, plan_matrix_import
from pipelines.models import Engagement, Pipeline
from teams.actor import Actor
from teams.models import AccessRole, Door, Organisation, Team
from teams.roster_import import (
    FALSE_WORDS,
    HEADER_ALIASES,
    REQUIRED_COLUMNS,
    TRUE_WORDS,
    Roster,
    parse_roster,
)
from teams.sync import SyncResult, sync_people

UPLOAD_DIR = Path(tempfile.gettempdir()) / "orgdesign-imports"
PREVIEW_MAX_AGE = 60 * 60  # seconds during which a preview can be applied
SIGNING_SALT = "orgdesign.import"
# Rows of changes, and of problems, a page shows; the counts always cover them all.
SHOWN = 500
# The form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD = 64 * 1024

PEOPLE, MATRIX = "people", "matrix"
MODES = {"delta", "snapshot"}


# The uploaded file -------------------------------------------------------------------------


class UploadRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def max_bytes() -> int:
    return settings.ORGDESIGN_IMPORT_MAX_BYTES


def _too_large() -> str:
    return (
        f"The file is larger than {filesizeformat(max_bytes())}, the most an import takes. "
        "Nothing was imported."
    )


def _declared_too_large(request) -> bool:
    """Whether the request says, before its body is read, that it is over the limit.

    Without a Content-Length Django reads no form at all, so this check cannot be dodged.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > max_bytes() + FORM_OVERHEAD


def _read_upload(request) -> tuple[bytes, str]:
    """The bytes and the name of the uploaded file, its size checked before it is read."""
    upload = request.FILES.get("file")
    if upload is None:
        raise UploadRefused("Choose a CSV file to upload.")
    if upload.size > max_bytes():
        raise UploadRefused(_too_large())
    if not upload.size:
        raise UploadRefused("The file is empty.")
    return upload.read(), os.path.basename(upload.name or "upload.csv")


def _store_upload(data: bytes) -> str:
    """Keep the bytes until the apply; their SHA-256 names them."""
    digest = hashlib.sha256(data).hexdigest()
    UPLOAD_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    _prune_uploads()
    path = UPLOAD_DIR / digest
    if path.exists():
        path.touch()  # a fresh preview of the same bytes: keep them for as long again
    else:
        partial = UPLOAD_DIR / f"{digest}.{os.getpid()}.part"
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader sees the whole file or none
    return digest


def _load_upload(digest: str) -> bytes | None:
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    try:
        data = (UPLOAD_DIR / digest).read_bytes()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def _discard_upload(digest: str) -> None:
    (UPLOAD_DIR / digest).unlink(missing_ok=True)


def _prune_uploads() -> None:
    """Forget the files of previews nobody applied."""
    oldest = time.time() - 2 * PREVIEW_MAX_AGE
    with os.scandir(UPLOAD_DIR) as entries:
        for entry in entries:
            try:
                if entry.stat().st_mtime < oldest:
                    os.unlink(entry.path)
            except FileNotFoundError:
                pass  # pruned meanwhile by another request


def _ticket(request, organisation: Organisation, kind: str, **values) -> str:
    """What the apply form carries: which file, for whom, and which changes were shown."""
    return signing.dumps(
        {"org": organisation.pk, "user": request.user.pk, "kind": kind, **values},
        salt=SIGNING_SALT,
    )


def _read_ticket(request, organisation: Organisation, kind: str) -> dict | None:
    try:
        ticket = signing.loads(
            request.POST.get("ticket", ""), salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE
        )
    except signing.BadSignature:  # tampered with, or expired
        return None
    if (ticket.get("org"), ticket.get("user"), ticket.get("kind")) != (
        organisation.pk, request.user.pk, kind,
    ):
        return None
    return ticket


EXPIRED = (
    "This preview has expired or was already applied. Upload the file again to see a fresh "
    "preview."
)


# What the page shows -----------------------------------------------------------------------


@dataclass
class PersonRow:
    """A person who would change, as the preview lists them."""

    action: str  # create, update, deactivate
    line: int | None
    name: str
    external_id: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (column, old, new)


@dataclass
class Outcome:
    kind: str  # people or matrix
    state: str  # refused, preview, nothing (a preview with no change), applied
    filename: str = ""
    problems: list[Problem] = field(default_factory=list)
    counts: list[tuple[str, int]] = field(default_factory=list)
    changes: list = field(default_factory=list)  # PersonRow or matrix_import.CellChange
    total_changes: int = 0
    ticket: str = ""
    mode: str = ""
    read_as: str = ""  # the encoding and separator the file was read with
    notes: list[str] = field(default_factory=list)
    alert: str = ""  # why an apply showed a new preview instead

    @property
    def shown_problems(self) -> list[Problem]:
        return self.problems[:SHOWN]

    @property
    def hidden_problems(self) -> int:
        return max(0, len(self.problems) - SHOWN)

    @property
    def hidden_changes(self) -> int:
        return max(0, self.total_changes - len(self.changes))


def _column_help() -> list[tuple[str, str, bool]]:
    return [
        (column, ", ".join(aliases), column in REQUIRED_COLUMNS)
        for column, aliases in HEADER_ALIASES.items()
    ]


def _render(request, organisation: Organisation, outcome: Outcome | None = None):
    status = 400 if outcome is not None and outcome.state == "refused" else 200
    context = {
        "organisation": organisation,
        "outcome": outcome,
        "max_size": filesizeformat(max_bytes()),
        "people_columns": _column_help(),
        "true_words": ", ".join(TRUE_WORDS),
        "false_words": ", ".join(FALSE_WORDS),
        "informational_columns": INFORMATIONAL_COLUMNS,
    }
    template = "pipelines/import.html#import-result" if request.htmx else "pipelines/import.html"
    return render(request, template, context, status=status)


def _refused(request, organisation, kind: str, problems: list[Problem], **details):
    return _render(request, organisation, Outcome(kind, "refused", problems=problems, **details))


def _import_actor(request) -> Actor:
    return Actor(via=Door.IMPORT, user=request.user)


def _upload_view(kind: str, preview):
    """A POST view that refuses an upload over the size limit before its body is read, then
    hands the file to `preview(request, organisation, data, filename)`.

    The CSRF check reads the form, body and all, so it is made here after the size check
    rather than by the middleware before it (Django's documented pattern for uploads).
    """

    @csrf_protect
    def checked(request, organisation):
        try:
            data, filename = _read_upload(request)
        except UploadRefused as refusal:
            return _refused(request, organisation, kind, [Problem(refusal.message)])
        return preview(request, organisation, data, filename)

    @csrf_exempt
    @require_POST
    @login_required
    def view(request, slug):
        organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
        if _declared_too_large(request):
            return _refused(request, organisation, kind, [Problem(_too_large())])
        return checked(request, organisation)

    return view


@require_GET
@login_required
def import_page(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    return _render(request, organisation)


# People ------------------------------------------------------------------------------------


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


def _people_fingerprint(result: SyncResult) -> str:
    text = "\n".join(
        sorted(
            repr((change.action, change.external_id, sorted(change.fields.items())))
            for change in result.changes
            if change.action != "unchanged"
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


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
        return _refused(request, organisation, PEOPLE, roster.problems, filename=filename)
    result = sync_people(organisation=organisation, records=roster.records, mode=mode,
                         dry_run=True, actor=_import_actor(request))
    if result.errors:
        return _refused(request, organisation, PEOPLE, _sync_problems(result, roster),
                        filename=filename, mode=mode)
    outcome = _people_outcome("preview", result, roster, filename, mode)
    outcome.alert = alert
    if outcome.state == "preview":
        outcome.ticket = _ticket(request, organisation, PEOPLE, sha=_store_upload(data),
                                 name=filename, mode=mode, changes=_people_fingerprint(result))
    return _render(request, organisation, outcome)


def _preview_people_upload(request, organisation, data: bytes, filename: str):
    mode = request.POST.get("mode", "delta")
    return _people_preview(request, organisation, data, filename,
                           mode=mode if mode in MODES else "delta")


import_people = _upload_view(PEOPLE, _preview_people_upload)


class _ChangedSincePreview(Exception):
    pass


@require_POST
@login_required
def import_people_apply(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    ticket = _read_ticket(request, organisation, PEOPLE)
    data = _load_upload(ticket["sha"]) if ticket else None
    if data is None:
        return _refused(request, organisation, PEOPLE, [Problem(EXPIRED)])
    filename, mode = ticket["name"], ticket["mode"]
    roster = parse_roster(data)
    if roster.problems:
        return _refused(request, organisation, PEOPLE, roster.problems, filename=filename)
    try:
        with transaction.atomic():
            result = sync_people(organisation=organisation, records=roster.records, mode=mode,
                                 dry_run=False, actor=_import_actor(request))
            if not result.errors and _people_fingerprint(result) != ticket["changes"]:
                raise _ChangedSincePreview  # undo: this is not what was shown
    except _ChangedSincePreview:
        return _people_preview(request, organisation, data, filename, mode=mode, alert=(
            "The people changed since your preview, so nothing was imported. Here is the "
            "preview against the design as it is now."
        ))
    if result.errors:
        return _refused(request, organisation, PEOPLE, _sync_problems(result, roster),
                        filename=filename, mode=mode)
    _discard_upload(ticket["sha"])
    return _render(request, organisation,
                   _people_outcome("applied", result, roster, filename, mode))


# The matrix --------------------------------------------------------------------------------


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
        return _refused(request, organisation, MATRIX, plan.problems, filename=filename)
    outcome = _matrix_outcome("preview", plan, filename, read_as)
    outcome.alert = alert
    if outcome.state == "preview":
        outcome.ticket = _ticket(request, organisation, MATRIX, sha=_store_upload(data),
                                 name=filename, changes=plan.fingerprint())
    return _render(request, organisation, outcome)


import_matrix = _upload_view(MATRIX, _matrix_preview)


@require_POST
@login_required
def import_matrix_apply(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    ticket = _read_ticket(request, organisation, MATRIX)
    data = _load_upload(ticket["sha"]) if ticket else None
    if data is None:
        return _refused(request, organisation, MATRIX, [Problem(EXPIRED)])
    filename = ticket["name"]
    actor = _import_actor(request)
    try:
        with transaction.atomic():
            plan, read_as, pipelines, teams = _read_matrix(data, organisation)
            if plan.problems:
                return _refused(request, organisation, MATRIX, plan.problems,
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
        return _refused(request, organisation, MATRIX,
                        [Problem(message) for message in error.messages], filename=filename)
    _discard_upload(ticket["sha"])
    return _render(request, organisation, _matrix_outcome("applied", plan, filename, read_as))
