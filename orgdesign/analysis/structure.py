"""The structure classifier of docs/design.md section 3: centralized, embedded, hybrid or matrix
(or `none`, without scientists and ML engineers, and `unknown`, while none has a team).

Pure: it reads an `OrgIndex` and returns the label with its evidence, the trade-offs of that
model (seed 000) and a fit hint from the pipelines' lifecycles.

Counted: the active scientists and ML engineers who have a main team. `embedded` is the share
whose main team is a product squad; `central` is the rest (1 - embedded): a main team of any
other kind, `other` included, clusters them (seed 000's centralized model has the scientists
"clustered in a single team"). Whether they are in the ML org does not enter the label.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from orgdesign.analysis.orgdata import OrgData, OrgIndex
from pipelines.models import EngagementRole, Lifecycle
from teams.models import SPECIALISED_KINDS, Role, TeamKind

NONE = "none"
UNKNOWN = "unknown"
EMBEDDED = "embedded"
MATRIX = "matrix"
CENTRALIZED = "centralized"
HYBRID = "hybrid"

THRESHOLD = 0.8
# A matrix needs teams of this many specialised kinds engaged as owner or contributor, and
# this many pipelines with an active PM owner that engage this many teams so.
MATRIX_KINDS = 3
MATRIX_PIPELINES = 2
MATRIX_TEAMS_PER_PIPELINE = 2
# The engagements that make a team a column of a pipeline: a platform consumed as a service
# does not make a matrix.
MATRIX_ROLES = frozenset({EngagementRole.OWNER, EngagementRole.CONTRIBUTOR})
ML_ROLES = (Role.SCIENTIST, Role.ML_ENGINEER)

TRADE_OFFS: dict[str, list[str]] = {
    CENTRALIZED: [
        "Depth of expertise: scientists surrounded by scientists, a lab environment.",
        "Works well to run and maintain core ML products in production.",
        "Good for retention and high standards, with a dedicated science manager.",
        "Speed of innovation suffers: the team must influence other teams to test new ideas.",
        "Limited exposure to business problems: depth comes at the cost of breadth.",
    ],
    EMBEDDED: [
        "Breadth of expertise: scientists in cross-disciplinary, feature-owning squads.",
        "Works well to incubate ML projects and test ML products in production quickly.",
        "Quick growth in seniority through exposure to business discussions.",
        "Low-hanging fruit is often preferred to long-term, high-impact wins.",
        "Limited synergies, and not all squads are ML-savvy, which hurts retention.",
        "Squad leads should not manage scientists: a central science manager should.",
    ],
    HYBRID: [
        "A central core team plus embedded scientists: depth and breadth.",
        "It has high costs: not every organisation can afford it.",
        "Risk: everybody wants to be in the central team; consider rotations.",
    ],
    MATRIX: [
        "Specialised teams (columns) deepen the systems they own; PMs own pipelines (rows).",
        "Works when ML PMs integrate across teams and pull resources to improve each model.",
        "All critical dependencies must sit under the same management, with KPIs tied to "
        "model outcomes rather than component output.",
        "Depth of a centralized model, so production pipelines are well served; incubation "
        "is slower.",
    ],
    NONE: [
        "No scientists or ML engineers yet: start embedded if you want to explore several ML "
        "applications, central if you know what to build and can afford high-risk, "
        "high-reward investments.",
    ],
    UNKNOWN: [
        "There are scientists or ML engineers, but none is recorded in a team yet, so the "
        "design cannot tell whether they are centralized, embedded or something between.",
        "Record who works in which team (memberships) before judging the structure.",
    ],
}


@dataclass
class Structure:
    label: str
    people: int = 0
    central: int = 0
    embedded: int = 0
    # Of the central, those whose main team is of no specialised kind (`other`).
    central_other: int = 0
    # Active scientists and ML engineers in no team: left out of the shares and the count.
    unteamed: int = 0
    central_share: float = 0.0
    embedded_share: float = 0.0
    specialised_kinds_engaged: list[str] = field(default_factory=list)
    pipelines_with_pm_and_two_teams: int = 0
    lifecycles: dict[str, int] = field(default_factory=dict)
    fit_hint: str = ""

    @property
    def central_percent(self) -> int:
        return percent(self.central, self.people)

    @property
    def embedded_percent(self) -> int:
        return percent(self.embedded, self.people)

    @property
    def trade_offs(self) -> list[str]:
        return TRADE_OFFS[self.label]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def classify_structure(data: OrgData, index: OrgIndex | None = None) -> Structure:
    index = index or OrgIndex(data)
    embedded = central_other = counted = unteamed = 0
    for person in data.people:
        if not person.active or person.role not in ML_ROLES:
            continue
        team = index.main_team(person.id)
        if team is None:
            unteamed += 1
            continue
        counted += 1
        if team.kind == TeamKind.PRODUCT_SQUAD:
            embedded += 1
        elif team.kind not in SPECIALISED_KINDS:
            central_other += 1
    central = counted - embedded

    engaged_kinds = sorted(
        {
            index.teams_by_id[e.team_id].kind
            for e in data.engagements
            if e.role in MATRIX_ROLES
            and e.team_id in index.teams_by_id
            and index.teams_by_id[e.team_id].kind in SPECIALISED_KINDS
        }
    )
    integrated = 0
    for pipeline in data.pipelines:
        teams = {
            e.team_id
            for e in index.engagements_by_pipeline.get(pipeline.id, ())
            if e.role in MATRIX_ROLES and e.team_id in index.teams_by_id
        }
        if pipeline.pm_owner_id in index.active_ids and len(teams) >= MATRIX_TEAMS_PER_PIPELINE:
            integrated += 1

    central_share = central / counted if counted else 0.0
    embedded_share = embedded / counted if counted else 0.0
    if counted == 0:
        label = UNKNOWN if unteamed else NONE
    elif embedded_share >= THRESHOLD:
        label = EMBEDDED
    elif (
        central_share >= THRESHOLD
        and len(engaged_kinds) >= MATRIX_KINDS
        and integrated >= MATRIX_PIPELINES
    ):
        label = MATRIX
    elif central_share >= THRESHOLD:
        label = CENTRALIZED
    else:
        label = HYBRID

    lifecycles = Counter(str(p.lifecycle) for p in data.pipelines)
    return Structure(
        label=label,
        people=counted,
        central=central,
        embedded=embedded,
        central_other=central_other,
        unteamed=unteamed,
        central_share=truncate(central_share, 3),
        embedded_share=truncate(embedded_share, 3),
        specialised_kinds_engaged=[str(kind) for kind in engaged_kinds],
        pipelines_with_pm_and_two_teams=integrated,
        lifecycles={str(value): lifecycles.get(str(value), 0) for value in Lifecycle},
        fit_hint=fit_hint(label, lifecycles, unteamed),
    )


def truncate(share: float, digits: int) -> float:
    """Cut a share down at the precision shown, so that one just under the 0.8 threshold never
    reads as 0.8 beside a label that says it is under."""
    scale = 10**digits
    return math.floor(share * scale + 1e-9) / scale


def percent(part: int, whole: int) -> int:
    """A whole percentage, truncated: 79.96% reads 79%, not 80%."""
    return part * 100 // whole if whole else 0


def pipelines(count: int) -> str:
    return "pipeline" if count == 1 else "pipelines"


def are(count: int) -> str:
    return "is" if count == 1 else "are"


def fit_hint(label: str, lifecycles: Counter, unteamed: int = 0) -> str:
    """Seed 000: central works for products in production, embedded for incubating projects.

    A hint names its evidence (the pipelines' lifecycles) and never claims a fit without it.
    """
    if label == UNKNOWN:
        who = "scientist or ML engineer is" if unteamed == 1 else "scientists and ML engineers are"
        return (
            f"{unteamed} active {who} in no team yet: record who works in which team, and "
            "the structure can be told from where they work."
        )
    if label == NONE:
        return (
            "Seed 000 advises the embedded model, scientists placed in product squads, to "
            "explore ML applications before an ML team exists; a central team can spin off "
            "once projects succeed."
        )
    if label == HYBRID:
        return (
            "A hybrid of a central core team and embedded scientists has high costs: not every "
            "organisation can afford it. Everybody wants to be in the central team: consider "
            "rotations."
        )
    total = sum(lifecycles.values())
    if total == 0:
        return ""
    production = lifecycles.get(Lifecycle.PRODUCTION, 0)
    incubating = lifecycles.get(Lifecycle.INCUBATING, 0)
    if label == EMBEDDED:
        if production * 2 > total:
            return (
                f"{production} of {total} {pipelines(total)} {are(production)} in production: "
                "successful ML projects can spin off into a dedicated central team."
            )
        if incubating * 2 > total:
            return (
                f"{incubating} of {total} {pipelines(total)} {are(incubating)} incubating, which "
                "the embedded model suits: squads test ML products in production quickly."
            )
    else:  # centralized or matrix
        if incubating * 2 > total:
            return (
                f"{incubating} of {total} {pipelines(total)} {are(incubating)} incubating: "
                "embedding scientists in product squads explores ML applications faster."
            )
        if production * 2 > total:
            return (
                f"{production} of {total} {pipelines(total)} {are(production)} in production, "
                "which a central model suits: it runs and maintains core ML products in "
                "production well."
            )
    return (
        f"No lifecycle holds a majority of the {total} pipelines "
        f"({production} in production, {incubating} incubating), so they do not point to "
        "another model."
    )
