"""The structure page: how the organisation is structured (docs/design.md section 3), with the
evidence, what each label means, the trade-offs of the current model and a fit hint."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from orgdesign.access.policy import get_org_for_user
from orgdesign.analysis.structure import (
    CENTRALIZED,
    EMBEDDED,
    HYBRID,
    MATRIX,
    MATRIX_KINDS,
    MATRIX_PIPELINES,
    MATRIX_TEAMS_PER_PIPELINE,
    NONE,
    THRESHOLD,
    UNKNOWN,
)
from orgdesign.health.as_of import design_shown
from pipelines.models import Lifecycle
from teams.models import SPECIALISED_KINDS


def label_meanings() -> list[tuple[str, str]]:
    """The rules of the classifier in plain words, in the order they are tried."""
    share = f"{THRESHOLD:.0%}"
    return [
        (NONE, "There is no active scientist or ML engineer, so there is nothing to "
               "classify."),
        (UNKNOWN, "There are active scientists or ML engineers, but none is recorded in a team "
                  "yet: record who works in which team to tell the structure."),
        (EMBEDDED, f"At least {share} of the scientists and ML engineers work mainly in product "
                   "squads: cross-functional, feature-owning teams."),
        (MATRIX, f"At least {share} work mainly outside product squads (central), teams of at "
                 f"least {MATRIX_KINDS} specialised kinds (data operations, tooling, "
                 "infrastructure, modeling, deployment) work on pipelines as owner or "
                 "contributor (a platform consumed as a service does not count), and at least "
                 f"{MATRIX_PIPELINES} pipelines with an active PM owner draw on "
                 f"{MATRIX_TEAMS_PER_PIPELINE} or more teams each as owner or contributor: "
                 "specialised teams are the columns, PM-owned pipelines the rows."),
        (CENTRALIZED, f"At least {share} work mainly outside product squads, in specialised "
                      "teams or teams of another kind, but pipelines do not run across them "
                      "as a matrix yet."),
        (HYBRID, f"Anything else: neither the squads nor the other teams hold {share} of "
                 "them, so a central core and embedded scientists sit side by side."),
    ]


@require_GET
@login_required
def structure(request, slug):
    organisation = get_org_for_user(request, slug)
    shown = design_shown(organisation, request.GET)
    result = shown.analysis.structure
    return render(
        request,
        "pipelines/structure.html",
        {
            "organisation": organisation,
            **shown.context(),
            "structure": result,
            "central_percent": result.central_percent,
            "embedded_percent": result.embedded_percent,
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
