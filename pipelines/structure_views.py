"""The structure page: how the organisation is structured (DESIGN.md section 3), with the
evidence, what each label means, the trade-offs of the current model and a fit hint."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from orgdesign.access import get_org_for_user
from orgdesign.analysis.kept import analysis_of
from orgdesign.analysis.structure import (
    CENTRALIZED,
    EMBEDDED,
    HYBRID,
    MATRIX,
    NONE,
    THRESHOLD,
)
from pipelines.models import Lifecycle
from teams.models import SPECIALISED_KINDS


def label_meanings() -> list[tuple[str, str]]:
    """The rules of the classifier in plain words, in the order they are tried."""
    share = f"{THRESHOLD:.0%}"
    return [
        (NONE, "No active scientist or ML engineer has a team yet, so there is nothing to "
               "classify."),
        (EMBEDDED, f"At least {share} of the scientists and ML engineers work mainly in product "
                   "squads: cross-functional, feature-owning teams."),
        (MATRIX, f"At least {share} work mainly in specialised teams (data operations, tooling, "
                 "infrastructure, modeling, deployment), teams of at least 3 of these kinds "
                 "work on pipelines, and at least 2 pipelines with an active PM owner draw on 2 "
                 "or more teams each: specialised teams are the columns, PM-owned pipelines the "
                 "rows."),
        (CENTRALIZED, f"At least {share} work mainly in specialised teams, but pipelines do not "
                      "run across them as a matrix yet."),
        (HYBRID, f"Anything else: neither the specialised teams nor the squads hold {share} of "
                 "them, so a central core and embedded scientists sit side by side."),
    ]


@require_GET
@login_required
def structure(request, slug):
    organisation = get_org_for_user(request, slug)
    result = analysis_of(organisation).structure
    return render(
        request,
        "pipelines/structure.html",
        {
            "organisation": organisation,
            "structure": result,
            "central_percent": result.central_percent,
            "embedded_percent": result.embedded_percent,
            "elsewhere": result.people - result.central - result.embedded,
            # In pipeline order, like the matrix's columns.
            "kinds_engaged": [
                kind.label for kind in SPECIALISED_KINDS if kind in result.specialised_kinds_engaged
            ],
            "lifecycles": [
                (Lifecycle(value).label, count) for value, count in result.lifecycles.items()
            ],
            "pipeline_count": sum(result.lifecycles.values()),
            "meanings": label_meanings(),
        },
    )
