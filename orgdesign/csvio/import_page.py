"""The import page, /orgs/<slug>/import/: people (people.csv or an HR system's roster), the
matrix (matrix.csv) and positions (positions.csv), each uploaded as CSV or as an .xlsx
workbook (its first sheet, or the one named), previewed, then applied, all or nothing.
Editors only.

This module renders the page and its result, for the page's own view (`views`) and for the
three imports: the people import in `teams/people_import_views.py`, the matrix import in
`pipelines/matrix_import_views.py`, the positions import in
`pipelines/positions_import_views.py`. A preview keeps its file for the apply (`pending`) and
an apply lets it go; the upload plumbing the imports share is `uploads`. The matrix and
positions imports, which plan their whole file before writing, get their two views from
`planned_import_views`.
"""

from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from orgdesign.csvio.format import Problem
from orgdesign.csvio.pending import discard_upload, store_upload
from orgdesign.csvio.uploads import (
    Outcome,
    apply_view,
    import_actor,
    max_bytes,
    sign_ticket,
    upload_view,
)
from pipelines.matrix_import import INFORMATIONAL_COLUMNS
from pipelines.positions_import import HEADER_ALIASES as POSITION_ALIASES
from teams.models import Organisation
from teams.roster_import import (
    FALSE_WORDS,
    HEADER_ALIASES,
    REQUIRED_COLUMNS,
    TRUE_WORDS,
    ChangedSincePreview,
)


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


def planned_import_views(kind: str, *, read, apply, outcome, what: str, refusals):
    """The preview and apply views of an import that plans its whole file before writing
    (the matrix, the positions), as (upload view, apply view):

    - `read(data, organisation) -> (plan, read_as)`: the plan, with its `problems`;
    - `apply(organisation=, data=, fingerprint=, actor=) -> (plan, read_as)`: plans again and
      writes, or raises `ChangedSincePreview` when the changes are no longer those previewed
      (the page then shows the new preview), or one of `refusals` (exception type -> its
      problems) when a service refused a row;
    - `outcome(state, plan, filename, read_as) -> Outcome`;
    - `what`: what changed since the preview, in words ("the matrix").
    """

    def preview(request, organisation, data: bytes, filename: str, alert: str = ""):
        plan, read_as = read(data, organisation)
        if plan.problems:
            return refused(request, organisation, kind, plan.problems, filename=filename)
        return render_preview(request, organisation,
                              outcome("preview", plan, filename, read_as), data,
                              alert=alert, changes=plan.fingerprint())

    def applied(request, organisation, ticket: dict, data: bytes):
        filename = ticket["name"]
        try:
            plan, read_as = apply(organisation=organisation, data=data,
                                  fingerprint=ticket["changes"], actor=import_actor(request))
        except ChangedSincePreview:
            return preview(request, organisation, data, filename, alert=(
                f"{what.capitalize()} changed since your preview, so nothing was imported. "
                "Here is the preview against the design as it is now."
            ))
        except tuple(refusals) as error:
            problems = refusals[next(t for t in refusals if isinstance(error, t))](error)
            return refused(request, organisation, kind, problems, filename=filename)
        if plan.problems:
            return refused(request, organisation, kind, plan.problems, filename=filename)
        return render_applied(request, organisation, ticket,
                              outcome("applied", plan, filename, read_as))

    return upload_view(kind, preview, refused), apply_view(kind, applied, refused)
