"""A finding: a code, the object it is about, the words that say why, and its effective
severity; the references (`Ref`) it names; and the two rules that move a finding's severity
from its code's (`effective_severity`). The rules of `orgdesign.analysis.rules` make them; the
engine's entrance, `orgdesign.analysis.findings`, runs the rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from orgdesign.analysis.declare import ERROR, INFO, SEVERITY_ORDER, WARNING, CatalogueEntry
from pipelines.models import Lifecycle, Pipeline, Tier
from teams.models import Person, Team

if TYPE_CHECKING:
    from orgdesign.analysis.orgdata import OrgIndex, PersonRow


_catalogue: dict[str, CatalogueEntry] = {}


def entry_of(code: str) -> CatalogueEntry:
    """The declaration of a code. The registry is read when first needed: it is built from
    the rules, which make findings, so it cannot be imported before them."""
    if not _catalogue:
        from orgdesign.analysis.catalogue import CATALOGUE

        _catalogue.update(CATALOGUE)
    return _catalogue[code]


@dataclass(frozen=True)
class Ref:
    type: str
    id: int
    name: str

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name}


@dataclass(frozen=True)
class Finding:
    code: str
    subject: Ref
    message: str
    related: tuple[Ref, ...] = field(default=())
    stage: str | None = None
    # The effective severity; left out, the code's base severity from the catalogue.
    severity: str = ""

    def __post_init__(self):
        if not self.severity:
            object.__setattr__(self, "severity", entry_of(self.code).severity)

    @property
    def entry(self) -> CatalogueEntry:
        return entry_of(self.code)

    @property
    def base_severity(self) -> str:
        return entry_of(self.code).severity

    def sort_key(self) -> tuple:
        return (
            SEVERITY_ORDER[self.severity],
            self.code,
            self.subject.name.casefold(),
            self.subject.id,
            self.stage or "",
        )

    @cached_property
    def key(self) -> str:
        """The finding's name, which stays while the design changes elsewhere: its code,
        subject and stage (`pipeline.stage_unowned:12:data`), and, for a stage resting on
        one person, the owner team (a stage may have two such owners: one finding each).
        URLs of its remedies use it."""
        key = f"{self.code}:{self.subject.id}"
        if self.stage:
            key += f":{self.stage}"
        if self.related and entry_of(self.code).keyed_by_related:
            key += f":{self.related[0].id}"
        return key

    def as_dict(self) -> dict[str, Any]:
        result = {
            "key": self.key,
            "code": self.code,
            "severity": self.severity,
            "base_severity": self.base_severity,
            "subject": self.subject.as_dict(),
            "message": self.message,
            "related": [ref.as_dict() for ref in self.related],
        }
        if self.stage is not None:
            result["stage"] = self.stage
        return result


def person_ref(person: Person | PersonRow) -> Ref:
    return Ref("person", person.id, person.name)


def team_ref(team: Team) -> Ref:
    return Ref("team", team.id, team.name)


def pipeline_ref(pipeline: Pipeline) -> Ref:
    return Ref("pipeline", pipeline.id, pipeline.name)


def effective_severity(severity: str, pipelines: Iterable[Pipeline]) -> str:
    """The severity a finding of `severity` takes when it concerns `pipelines`
    (catalogue.SEVERITY_RULES), the two rules in this order: (1) a warning that concerns a
    critical pipeline that is not being retired is raised to an error; (2) an error or a
    warning whose every pipeline is sunset is lowered one level. So nobody owning a stage is
    never rated below one person owning it."""
    pipelines = list(pipelines)
    if not pipelines:
        return severity
    if severity == WARNING and any(
        p.tier == Tier.CRITICAL and p.lifecycle != Lifecycle.SUNSET for p in pipelines
    ):
        severity = ERROR
    if severity in LOWERED and all(p.lifecycle == Lifecycle.SUNSET for p in pipelines):
        severity = LOWERED[severity]
    return severity


LOWERED = {ERROR: WARNING, WARNING: INFO}


def concerned_pipelines(finding: Finding, index: OrgIndex) -> list[Pipeline]:
    """The pipelines a finding concerns: a pipeline finding's subject, the pipelines that
    depend on a team outside the ML org or that a team is promised to, and otherwise those a
    team of a team finding is engaged in."""
    pipelines = index.pipelines_by_id
    if finding.subject.type == "pipeline":
        return [pipelines[finding.subject.id]] if finding.subject.id in pipelines else []
    # A finding that names its pipelines (a dependency, a team's commitments) concerns those.
    named = [pipelines[ref.id] for ref in finding.related
             if ref.type == "pipeline" and ref.id in pipelines]
    if named or finding.code.startswith("dependency."):
        return named
    if finding.subject.type == "team":
        return [pipelines[engagement.pipeline_id]
                for engagement in index.engagements_by_team.get(finding.subject.id, ())
                if engagement.pipeline_id in pipelines]
    return []


def with_effective_severity(finding: Finding, index: OrgIndex) -> Finding:
    # A component's finding (catalog.*) concerns the pipelines it names, like a team's.
    if finding.subject.type not in ("pipeline", "team", "component"):
        return finding
    severity = effective_severity(finding.severity, concerned_pipelines(finding, index))
    return finding if severity == finding.severity else replace(finding, severity=severity)


def count_people(count: int) -> str:
    return f"{count} person" if count == 1 else f"{count} people"


def name_list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
