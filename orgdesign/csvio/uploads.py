"""Uploads that are previewed, then applied: the plumbing the people and matrix imports share.

Between the preview and the apply, the uploaded bytes wait in the database (`PendingUpload`,
so that any web process, or the worker, may apply them), named by their SHA-256. The apply
form carries that hash signed with the organisation, the user, the kind of import and a
fingerprint of the previewed changes (`ticket`), so nobody can apply
someone else's file or another file than the one previewed. Uploads over the size limit are
refused before their body is read (`upload_view`).

An upload may be an .xlsx workbook as well as a CSV file (`format.read_table` tells them
apart by content). The sheet the person names (the form's optional `sheet`) is read by the
preview and carried by the ticket to the apply, which reads the same sheet: both run within
`format.sheet_chosen`, so the importers, which call `read_table(data)`, read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from orgdesign.access.policy import get_org_for_user
from orgdesign.csvio.format import Problem, chosen_sheet, sheet_chosen
from orgdesign.csvio.pending import PREVIEW_MAX_AGE, load_upload
from teams.actor import Actor
from teams.models import AccessRole, Door, Organisation

SIGNING_SALT = "orgdesign.import"
# Rows of changes, and of problems, a page shows; the counts always cover them all.
SHOWN = 500
# The form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD = 64 * 1024

PEOPLE, MATRIX = "people", "matrix"
# A sheet's name has at most 31 characters; a longer one names no sheet, and is cut short.
SHEET_NAME_MAX = 100


class UploadRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def max_bytes() -> int:
    return settings.ORGDESIGN_IMPORT_MAX_BYTES


def too_large() -> str:
    return (
        f"The file is larger than {filesizeformat(max_bytes())}, the most an import takes. "
        "Nothing was imported."
    )


def declared_too_large(request) -> bool:
    """Whether the request says, before its body is read, that it is over the limit.

    Without a Content-Length Django reads no form at all, so this check cannot be dodged.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > max_bytes() + FORM_OVERHEAD


def read_upload(request) -> tuple[bytes, str]:
    """The bytes and the name of the uploaded file, its size checked before it is read."""
    upload = request.FILES.get("file")
    if upload is None:
        raise UploadRefused("Choose a CSV file to upload.")
    if upload.size > max_bytes():
        raise UploadRefused(too_large())
    if not upload.size:
        raise UploadRefused("The file is empty.")
    return upload.read(), os.path.basename(upload.name or "upload.csv")


def chosen_sheet_of(request) -> str | None:
    """The sheet of a workbook the upload form names, or None: the first."""
    return request.POST.get("sheet", "").strip()[:SHEET_NAME_MAX] or None


def sign_ticket(request, organisation: Organisation, kind: str, **values) -> str:
    """What the apply form carries: which file, for whom, and which changes were shown; and
    the sheet of a workbook that was read, when the person named one (`sheet_chosen`)."""
    sheet = chosen_sheet()
    return signing.dumps(
        {"org": organisation.pk, "user": request.user.pk, "kind": kind,
         **({"sheet": sheet} if sheet else {}), **values},
        salt=SIGNING_SALT,
    )


def read_ticket(request, organisation: Organisation, kind: str,
                field: str = "ticket") -> dict | None:
    """The signed ticket the form's `field` carries, if it is this user's, for this design
    and this kind of form."""
    try:
        ticket = signing.loads(
            request.POST.get(field, ""), salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE
        )
    except signing.BadSignature:  # tampered with, or expired
        return None
    if (ticket.get("org"), ticket.get("user"), ticket.get("kind")) != (
        organisation.pk, request.user.pk, kind,
    ):
        return None
    return ticket



def previewed_upload(request, organisation: Organisation, kind: str,
                     field: str = "ticket") -> tuple[dict, bytes] | None:
    """What an apply form names: its ticket (in `field`) and the previewed file's bytes; None
    when the ticket is expired, tampered with, someone else's, or its file is gone."""
    ticket = read_ticket(request, organisation, kind, field)
    data = load_upload(organisation, ticket["sha"]) if ticket else None
    return (ticket, data) if data is not None else None

EXPIRED = (
    "This preview has expired or was already applied. Upload the file again to see a fresh "
    "preview."
)


# What the import page shows --------------------------------------------------------------


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
    # The people import's mapping step (teams.people_import_views.MappingStep), when the file
    # was read as a table: each column with what it gives, for the user to change.
    reading: object | None = None

    @property
    def shown_problems(self) -> list[Problem]:
        return self.problems[:SHOWN]

    @property
    def hidden_problems(self) -> int:
        return max(0, len(self.problems) - SHOWN)

    @property
    def hidden_changes(self) -> int:
        return max(0, self.total_changes - len(self.changes))


def import_actor(request) -> Actor:
    return Actor(via=Door.IMPORT, user=request.user)


def upload_view(kind: str, preview, refused):
    """A POST view that refuses an upload over the size limit before its body is read, then
    hands the file to `preview(request, organisation, data, filename)`, with the sheet the
    form names chosen (`format.sheet_chosen`); a refused upload is shown by
    `refused(request, organisation, kind, problems)`.

    The CSRF check reads the form, body and all, so it is made here after the size check
    rather than by the middleware before it (Django's documented pattern for uploads).
    """

    @csrf_protect
    def checked(request, organisation):
        try:
            data, filename = read_upload(request)
        except UploadRefused as refusal:
            return refused(request, organisation, kind, [Problem(refusal.message)])
        with sheet_chosen(chosen_sheet_of(request)):
            return preview(request, organisation, data, filename)

    @csrf_exempt
    @require_POST
    @login_required
    def view(request, slug):
        organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
        if declared_too_large(request):
            return refused(request, organisation, kind, [Problem(too_large())])
        return checked(request, organisation)

    return view


def apply_view(kind: str, apply, refused):
    """The POST view of a preview's apply form: it hands `apply(request, organisation, ticket,
    data)` the form's ticket and the previewed file's bytes, with the previewed sheet of a
    workbook chosen (`format.sheet_chosen`). A ticket expired, tampered with
    or someone else's, or whose file is gone, is refused (`refused(request, organisation,
    kind, problems)`): the file must be uploaded again.
    """

    @require_POST
    @login_required
    def view(request, slug):
        organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
        previewed = previewed_upload(request, organisation, kind)
        if previewed is None:
            return refused(request, organisation, kind, [Problem(EXPIRED)])
        ticket, data = previewed
        with sheet_chosen(ticket.get("sheet")):  # the sheet the preview read
            return apply(request, organisation, ticket, data)

    return view
