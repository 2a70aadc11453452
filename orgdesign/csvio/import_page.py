"""The import page, /orgs/<slug>/import/: people (people.csv or an HR system's roster), the
matrix (matrix.csv) and positions (positions.csv), each uploaded as CSV or as an .xlsx
workbook (its first sheet, or the one named), previewed, then applied, all or nothing.
Editors only.

This module renders the page and its result, for the page's own view (`views`) and for the
three imports: the people import in `teams/people_import_views.py`, the matrix import in
`pipelines/matrix_import_views.py`, the positions import in
`pipelines/positions_import_views.py`. A preview keeps its file for the apply (`pending`) and
an apply lets it go; the upload plumbing the imports share is `uploads`.
"""

from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from orgdesign.csvio.format import Problem
from orgdesign.csvio.pending import discard_upload, store_upload
from orgdesign.csvio.uploads import Outcome, max_bytes, sign_ticket
from pipelines.matrix_import import INFORMATIONAL_COLUMNS
from pipelines.positions_import import HEADER_ALIASES as POSITION_ALIASES
from teams.models import Organisation
from teams.roster_import import FALSE_WORDS, HEADER_ALIASES, REQUIRED_COLUMNS, TRUE_WORDS


def _column_help() -> list[tuple[str, str, bool]]:
    return [
        (column, ", ".join(aliases), column in REQUIRED_COLUMNS)
        for column, aliases in HEADER_ALIASES.items()
    ]


def render_import(request, organisation: Organisation, outcome: Outcome | None = None):
    status = 400 if outcome is not None and outcome.state == "refused" else 200
    context = {
        "organisation": organisation,
        "outcome": outcome,
        "max_size": filesizeformat(max_bytes()),
        "people_columns": _column_help(),
        "true_words": ", ".join(TRUE_WORDS),
        "false_words": ", ".join(FALSE_WORDS),
        "informational_columns": INFORMATIONAL_COLUMNS,
        "position_columns": [
            (column, ", ".join(aliases)) for column, aliases in POSITION_ALIASES.items()
        ],
    }
    template = "import.html#import-result" if request.htmx else "import.html"
    return render(request, template, context, status=status)


def refused(request, organisation, kind: str, problems: list[Problem], **details):
    outcome = Outcome(kind, "refused", problems=problems, **details)
    return render_import(request, organisation, outcome)


def render_preview(request, organisation: Organisation, outcome: Outcome, data: bytes, *,
                   alert: str = "", **ticket):
    """A preview; `alert` says why an apply shows it instead. When it has changes to apply,
    the file waits for the apply, and the apply form carries the ticket that names it, with
    `ticket`'s values (the fingerprint of the changes shown, ...)."""
    outcome.alert = alert
    if outcome.state == "preview":
        outcome.ticket = sign_ticket(
            request, organisation, outcome.kind, sha=store_upload(organisation, data),
            name=outcome.filename, **ticket,
        )
    return render_import(request, organisation, outcome)


def render_applied(request, organisation: Organisation, ticket: dict, outcome: Outcome):
    """An applied import: its file, waiting since the preview, is no longer needed."""
    discard_upload(organisation, ticket["sha"])
    return render_import(request, organisation, outcome)
