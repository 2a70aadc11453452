"""The findings engine: every flag of docs/design.md section 2, from one design, without queries.

`compute_findings(data)` is handed the lists of one organisation and returns the findings in
their fixed order (severity, code, subject name). Each rule is a small generator over an
`OrgIndex`, which computes the reporting chains once per call.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from orgdesign.analysis.catalogue import (
    CATALOGUE,
    ERROR,
    INFO,
    SEVERITY_ORDER,
    WARNING,
    CatalogueEntry,
)
from orgdesign.analysis.orgdata import OrgData, OrgIndex, PersonRow
from pipelines.models import STAGE_KIND, EngagementRole, Lifecycle, Pipeline, Tier
from teams.models import SPECIALISED_KINDS, KpiType, Person, Role, Team, TeamKind, WorkerType


@dataclass(frozen=True)
class Ref:
    type: str
    id: int
    name: str

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name}


# Codes of which one subject (and stage) may have several findings, one per related object:
# the first related object is part of the finding's key.
PER_RELATED_CODES = frozenset({"pipeline.single_person_stage", "pipeline.stage_understaffed"})


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
            object.__setattr__(self, "severity", CATALOGUE[self.code].severity)

    @property
    def entry(self) -> CatalogueEntry:
        return CATALOGUE[self.code]

    @property
    def base_severity(self) -> str:
        return CATALOGUE[self.code].severity

    def sort_key(self) -> tuple:
        return (
            SEVERITY_ORDER[self.severity],
            self.code,
            self.subject.name.casefold(),
            self.subject.id,
            self.stage or "",
        )

    @property
    def key(self) -> str:
        """The finding's name, which stays while the design changes elsewhere: its code,
        subject and stage (`pipeline.stage_unowned:12:data`), and, for a stage resting on
        one person, the owner team (a stage may have two such owners: one finding each).
        URLs of its remedies use it."""
        key = f"{self.code}:{self.subject.id}"
        if self.stage:
            key += f":{self.stage}"
        if self.code in PER_RELATED_CODES and self.related:
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


def compute_findings(data: OrgData, index: OrgIndex | None = None) -> list[Finding]:
    """All findings of one design, ordered by severity, code, then subject name."""
    return in_order(findings_by_rule(index or OrgIndex(data)))


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
    if finding.subject.type not in ("pipeline", "team"):
        return finding
    severity = effective_severity(finding.severity, concerned_pipelines(finding, index))
    return finding if severity == finding.severity else replace(finding, severity=severity)


def count_people(count: int) -> str:
    return f"{count} person" if count == 1 else f"{count} people"


def name_list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


# Organisation --------------------------------------------------------------------------------


def org_rules(index: OrgIndex) -> Iterator[Finding]:
    org = index.organisation
    if index.ml_head is None:
        if org.ml_head_id is None:
            reason = "no ML head is set"
        else:
            reason = f"its ML head {index.person_name(org.ml_head_id)} has left"
        yield Finding(
            "org.no_ml_head",
            Ref("organisation", org.id, org.name),
            f"{org.name} has no active ML head ({reason}), so dependencies outside the ML org "
            "cannot be checked.",
        )


# Pipelines -----------------------------------------------------------------------------------


def pipeline_owner_rules(index: OrgIndex) -> Iterator[Finding]:
    for pipeline in index.data.pipelines:
        subject = pipeline_ref(pipeline)
        if pipeline.pm_owner_id is None:
            yield Finding(
                "pipeline.no_pm", subject, f"Pipeline {pipeline.name} has no PM owner."
            )
            continue
        pm = index.people_by_id.get(pipeline.pm_owner_id)
        if pm is None:
            continue
        related = (person_ref(pm),)
        if not pm.active:
            yield Finding(
                "pipeline.pm_inactive",
                subject,
                f"The PM owner of {pipeline.name}, {pm.name}, has left the organisation.",
                related,
            )
        if pm.role != Role.PRODUCT_MANAGER:
            yield Finding(
                "pipeline.pm_not_product_manager",
                subject,
                f"{pipeline.name} is owned by {pm.name}, whose role is "
                f"{Role(pm.role).label.lower()}, not product manager.",
                related,
            )
        # False only: a PM whose chain stops short of the top is a gap in the HR data,
        # flagged by person.no_manager, not a PM of another org. A squad incubating its own
        # ML project with its own PM is seed 000's embedded model, done right.
        if index.in_ml_org(pm.id) is False and not squad_incubates(index, pipeline):
            yield Finding(
                "pipeline.pm_outside_ml_org",
                subject,
                f"{pipeline.name} is owned by {pm.name}, who does not report into the ML org.",
                related,
            )


def squad_incubates(index: OrgIndex, pipeline: Pipeline) -> bool:
    """An incubating pipeline owned by a product squad (engaged as owner)."""
    return pipeline.lifecycle == Lifecycle.INCUBATING and any(
        engagement.role == EngagementRole.OWNER
        and getattr(index.teams_by_id.get(engagement.team_id), "kind", None)
        == TeamKind.PRODUCT_SQUAD
        for engagement in index.engagements_by_pipeline.get(pipeline.id, ())
    )


def pipeline_metric_rules(index: OrgIndex) -> Iterator[Finding]:
    for pipeline in index.data.pipelines:
        if pipeline.lifecycle == Lifecycle.PRODUCTION and not pipeline.metric.strip():
            yield Finding(
                "pipeline.no_metric",
                pipeline_ref(pipeline),
                f"{pipeline.name} is in production but has no model metric to judge it by.",
            )


def owner_teams_by_stage(index: OrgIndex, pipeline: Pipeline) -> dict[str, list[Team]]:
    """The owner teams of each stage of a pipeline, by name: the teams engaged as owner whose
    kind covers the stage, and, while the pipeline incubates, every product squad engaged as
    owner (embedded teams incubate)."""
    squads_cover = pipeline.lifecycle == Lifecycle.INCUBATING
    owners: dict[str, list[Team]] = {str(stage): [] for stage in STAGE_KIND}
    for engagement in index.engagements_by_pipeline.get(pipeline.id, ()):
        team = index.teams_by_id.get(engagement.team_id)
        if team is None or engagement.role != EngagementRole.OWNER:
            continue
        for stage, kind in STAGE_KIND.items():
            if team.kind == kind or (squads_cover and team.kind == TeamKind.PRODUCT_SQUAD):
                owners[str(stage)].append(team)
    for teams in owners.values():
        teams.sort(key=lambda team: (team.name.casefold(), team.id))
    return owners


def pipeline_stage_rules(index: OrgIndex) -> Iterator[Finding]:
    """Who owns each required stage: nobody (no owner team, or only owner teams with nobody
    in them), several teams, one person, or people who add up to less than one FTE."""
    members_of = index.active_members_by_team
    for pipeline in index.data.pipelines:
        subject = pipeline_ref(pipeline)
        required = set(pipeline.required_stages or ())
        # A squad covering every stage of an incubating pipeline: its staffing is said once
        # for the pipeline, naming the stages, not once a stage.
        squad_stages: dict[int, list[str]] = defaultdict(list)
        for stage, engaged in owner_teams_by_stage(index, pipeline).items():
            owners = [team for team in engaged if members_of.get(team.id)]
            empty = [team for team in engaged if not members_of.get(team.id)]
            if stage in required and not owners:
                message = f"No team owns the {stage} stage of {pipeline.name}"
                if empty:
                    names = name_list([team.name for team in empty])
                    has = "has" if len(empty) == 1 else "have"
                    message += f": its owner {names} {has} no active member"
                yield Finding(
                    "pipeline.stage_unowned",
                    subject,
                    message + ".",
                    tuple(team_ref(team) for team in empty),
                    stage=stage,
                )
            # Two teams engaged as owner are two accountable for the stage, staffed or not.
            if len(engaged) > 1:
                names = ", ".join(team.name for team in engaged)
                yield Finding(
                    "pipeline.stage_multiple_owners",
                    subject,
                    f"The {stage} stage of {pipeline.name} has {len(engaged)} owners: {names}.",
                    tuple(team_ref(team) for team in engaged),
                    stage=stage,
                )
            if stage not in required:
                continue
            for team in owners:
                if team.kind == TeamKind.PRODUCT_SQUAD:
                    squad_stages[team.id].append(stage)
                    continue
                yield from thin_staffing(index, pipeline, team, [stage])
        for team_id, stages in squad_stages.items():
            yield from thin_staffing(index, pipeline, index.teams_by_id[team_id], stages)


def thin_staffing(
    index: OrgIndex, pipeline: Pipeline, team: Team, stages: list[str]
) -> Iterator[Finding]:
    """`pipeline.single_person_stage` or `pipeline.stage_understaffed` for an owner team with
    active members, of one stage or (a squad incubating) of several."""
    members = len(index.active_members_by_team.get(team.id, ()))
    fte = index.active_allocation_by_team.get(team.id, 0)
    stage = stages[0] if len(stages) == 1 else None
    what = (
        f"The {stages[0]} stage of {pipeline.name} is"
        if stage
        else f"The {name_list(stages)} stages of {pipeline.name} are"
    )
    if members == 1:
        yield Finding(
            "pipeline.single_person_stage",
            pipeline_ref(pipeline),
            f"{what} owned by {team.name}, which has a single active member.",
            (team_ref(team),),
            stage=stage,
        )
    elif fte < 100:
        yield Finding(
            "pipeline.stage_understaffed",
            pipeline_ref(pipeline),
            f"{what} owned by {team.name}, whose {members} active members add up to "
            f"{fte / 100:g} FTE, less than one.",
            (team_ref(team),),
            stage=stage,
        )


# Teams ---------------------------------------------------------------------------------------


def team_rules(index: OrgIndex) -> Iterator[Finding]:
    for team in index.data.teams:
        subject = team_ref(team)
        engaged = bool(index.engagements_by_team.get(team.id))
        specialised_in_ml_org = team.kind in SPECIALISED_KINDS and index.team_in_ml_org(team)
        if team.lead_id is None:
            yield Finding("team.no_lead", subject, f"Team {team.name} has no lead.")
        elif team.lead_id not in index.active_ids:
            lead_name = index.person_name(team.lead_id)
            yield Finding(
                "team.lead_inactive",
                subject,
                f"The lead of {team.name}, {lead_name}, has left the organisation.",
                (Ref("person", team.lead_id, lead_name),),
            )
        if not index.active_members_by_team.get(team.id):
            yield Finding("team.empty", subject, f"Team {team.name} has no active member.")
        if specialised_in_ml_org and not engaged:
            yield Finding(
                "team.idle",
                subject,
                f"{team.name}, a specialised {TeamKind(team.kind).label.lower()} team, is "
                "engaged in no pipeline.",
            )
        if not engaged:
            continue
        kpi = f" ({team.kpi})" if team.kpi else ""
        if team.kpi_type == KpiType.OUTPUT_VOLUME:
            yield Finding(
                "team.kpi_output_volume",
                subject,
                f"{team.name} is measured on output volume{kpi}, not on the outcome of the "
                "models it serves.",
            )
        elif team.kpi_type == KpiType.PUBLICATIONS:
            yield Finding(
                "team.kpi_publications",
                subject,
                f"{team.name} is measured on publications{kpi}, not on the outcome of the "
                "models it serves.",
            )
        elif specialised_in_ml_org and not team.kpi.strip() and not team.kpi_type:
            yield Finding(
                "team.no_kpi",
                subject,
                f"{team.name} works on pipelines but has no KPI.",
            )


def team_staffing_rules(index: OrgIndex) -> Iterator[Finding]:
    """Employees of a specialised team in the ML org whose own solid line runs into another
    org (seed 002's ML infrastructure staffed from the company's Infrastructure org). Product
    squads hold every role they need under their own managers (seed 000), and contractors
    report to their vendor: neither is flagged."""
    if index.ml_head is None:
        return
    fte_by_team: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for membership in index.data.memberships:
        if membership.person_id in index.active_ids:
            fte_by_team[membership.team_id].append((membership.person_id, membership.allocation))
    for team in index.data.teams:
        if team.kind not in SPECIALISED_KINDS or index.team_in_ml_org(team) is not True:
            continue
        members = fte_by_team.get(team.id, ())
        outside = [
            (pid, fte) for pid, fte in members
            if index.in_ml_org(pid) is False
            and index.people_by_id[pid].worker_type != WorkerType.CONTRACTOR
        ]
        if not outside:
            continue
        outside_fte, team_fte = sum(fte for _, fte in outside), sum(fte for _, fte in members)
        share = outside_fte * 100 // team_fte
        heads = Counter(org_head_above(index, pid) for pid, _ in outside)
        (head_id, _), others = heads.most_common(1)[0], len(heads) - 1
        into = f"{index.person_name(head_id)}'s organisation"
        if others:
            into += f" and {others} other organisation{'s' if others > 1 else ''}"
        people = sorted(
            (index.people_by_id[pid] for pid, _ in outside),
            key=lambda person: (person.name.casefold(), person.id),
        )
        if len(members) == 1:
            who = f"The only active member of {team.name} (100% of its FTE) reports"
        elif len(outside) == len(members):
            who = f"All {len(members)} active members of {team.name} (100% of its FTE) report"
        else:
            verb = "reports" if len(outside) == 1 else "report"
            who = (f"{len(outside)} of the {len(members)} active members of {team.name} "
                   f"({share}% of its FTE) {verb}")
        message = f"{who} into {into} instead of the ML org"
        # Half the team's capacity or more under other management, on work it owns or does
        # for a pipeline: seed 002's critical dependency, inside the team.
        critical = outside_fte * 2 >= team_fte and any(
            engagement.role != EngagementRole.SERVICE
            for engagement in index.engagements_by_team.get(team.id, ())
        )
        if critical:
            message += ", and the team works on pipelines"
        yield Finding(
            "team.members_outside_ml_org",
            team_ref(team),
            message + ".",
            tuple(person_ref(person) for person in people),
            severity=ERROR if critical else "",
        )


def team_commitment_rules(index: OrgIndex) -> Iterator[Finding]:
    """`team.over_committed`: the efforts set on a team's owner and contributor engagements
    add up to more than all of its capacity."""
    for team in index.data.teams:
        committed = [
            engagement for engagement in index.engagements_by_team.get(team.id, ())
            if engagement.role != EngagementRole.SERVICE and engagement.effort is not None
        ]
        total = sum(engagement.effort for engagement in committed)
        if total <= 100:
            continue
        pipelines = sorted(
            (index.pipelines_by_id[e.pipeline_id] for e in committed
             if e.pipeline_id in index.pipelines_by_id),
            key=lambda pipeline: (pipeline.name.casefold(), pipeline.id),
        )
        yield Finding(
            "team.over_committed",
            team_ref(team),
            f"{team.name} has {total}% of its capacity promised to {len(pipelines)} "
            f"pipeline{'s' if len(pipelines) != 1 else ''}, more than all of it.",
            tuple(pipeline_ref(pipeline) for pipeline in pipelines),
        )


def org_head_above(index: OrgIndex, person_id: int) -> int:
    """The head of the organisation someone outside the ML org reports into: the highest
    person on their chain off the ML head's chain; for someone who reports straight to a
    person on that chain (the CEO, say), that person; for the CEO themself, the CEO."""
    if index.above_ml_head(person_id):
        return person_id
    head = index.outside_org_head(person_id)
    if head == person_id:
        return index.manager_of.get(person_id) or person_id
    return head


def dependency_rules(index: OrgIndex) -> Iterator[Finding]:
    if index.ml_head is None:
        return
    for team in index.data.teams:
        if team.kind not in SPECIALISED_KINDS or index.team_in_ml_org(team) is not False:
            continue
        pipeline_ids = sorted({e.pipeline_id for e in index.engagements_by_team.get(team.id, ())})
        if not pipeline_ids:
            continue
        pipelines = sorted(
            (index.pipelines_by_id[pid] for pid in pipeline_ids if pid in index.pipelines_by_id),
            key=lambda pipeline: pipeline.name,
        )
        lead_name = index.person_name(team.lead_id)
        if index.above_ml_head(team.lead_id):
            head_manager = index.manager_of.get(index.ml_head.id)
            through = (
                "" if head_manager == team.lead_id
                else f" through {index.person_name(head_manager)}"
            )
            where = (
                f"led from above the ML org by {lead_name}, to whom the ML head "
                f"{index.ml_head.name} reports{through}"
            )
        else:
            org_head = index.outside_org_head(team.lead_id)
            if org_head == team.lead_id and index.manager_of.get(team.lead_id) is None:
                where = f"led by {lead_name}, at the top of the organisation, outside the ML org"
            elif org_head == team.lead_id:
                manager_name = index.person_name(index.manager_of.get(team.lead_id))
                where = f"led by {lead_name}, who reports to {manager_name} outside the ML org"
            else:
                where = (
                    f"led by {lead_name}, who reports into {index.person_name(org_head)}'s "
                    "organisation instead of the ML org"
                )
        count = len(pipelines)
        depend = "pipeline depends" if count == 1 else "pipelines depend"
        yield Finding(
            "dependency.outside_ml_org",
            team_ref(team),
            f"{count} {depend} on {team.name}, {where}.",
            tuple(pipeline_ref(pipeline) for pipeline in pipelines),
        )


# People --------------------------------------------------------------------------------------


@dataclass
class ChainBreaks:
    """Who `person.no_manager` looks at, and the teams and pipelines that a missing manager
    leaves unplaced (neither inside nor outside the ML org)."""

    people: set[int]
    # The person at whom a chain stops short of the top: the people, teams and pipelines
    # (through their lead or PM) below them that cannot be placed.
    stranded_people: dict[int, set[int]]
    stranded_teams: dict[int, list[Team]]
    stranded_pipelines: dict[int, list[Pipeline]]


def chain_breaks(index: OrgIndex) -> ChainBreaks:
    """The people who work in or for the ML org (docs/design.md section 2): people in it, members of
    its teams, leads of specialised teams and of teams engaged in pipelines, and PM owners;
    plus, with an ML head, the people at whom the chain of one of them breaks off."""
    teams_to_place = [
        team
        for team in index.data.teams
        if team.lead_id is not None
        and (team.kind in SPECIALISED_KINDS or index.engagements_by_team.get(team.id))
    ]
    people = set(index.ml_steps) | index.pm_owner_ids
    people.update(team.lead_id for team in teams_to_place)
    for team in index.data.teams:
        if index.team_in_ml_org(team):
            people.update(index.active_members_by_team.get(team.id, ()))

    breaks = ChainBreaks(people, defaultdict(set), defaultdict(list), defaultdict(list))
    for person_id in list(people):
        # A contractor's line runs to their vendor: where it stops says nothing of the ML org.
        if getattr(index.people_by_id.get(person_id), "worker_type", "") == WorkerType.CONTRACTOR:
            continue
        root = index.chain_break(person_id)
        if root is not None and root != person_id:
            breaks.stranded_people[root].add(person_id)
            people.add(root)
    for team in teams_to_place:
        root = index.chain_break(team.lead_id)
        if root is not None and team.lead_id in index.active_ids:
            breaks.stranded_teams[root].append(team)
    for pipeline in index.data.pipelines:
        root = index.chain_break(pipeline.pm_owner_id) if pipeline.pm_owner_id else None
        if root is not None:
            breaks.stranded_pipelines[root].append(pipeline)
    return breaks


def no_manager_message(person: Person | PersonRow, breaks: ChainBreaks) -> str:
    teams = sorted(team.name for team in breaks.stranded_teams.get(person.id, ()))
    pipelines = sorted(p.name for p in breaks.stranded_pipelines.get(person.id, ()))
    below = len(breaks.stranded_people.get(person.id, ()))
    message = f"{person.name} has no manager"
    if not (teams or pipelines or below):
        return message + "."
    if below:
        work = "works" if below == 1 else "work"
        message += (
            f", and the reporting lines of {count_people(below)} who {work} for the ML org stop "
            "there"
        )
    unplaced = [*(f"team {name}" for name in teams), *(f"pipeline {name}'s PM" for name in
                                                        pipelines)]
    if unplaced:
        message += f", so {name_list(unplaced)} cannot be placed inside or outside the ML org"
    return message + "."


def no_manager_rules(index: OrgIndex) -> Iterator[Finding]:
    """`person.no_manager`: apart from the other person rules, because who it looks at
    depends on the teams engaged in pipelines (`chain_breaks`), so a cell of the matrix
    changes it."""
    top = index.top_of_organisation
    breaks = chain_breaks(index)
    for person_id in breaks.people:
        person = index.people_by_id.get(person_id)
        if person is None or not person.active or person.manager_id is not None:
            continue
        if person.worker_type == WorkerType.CONTRACTOR:
            continue  # managed by their vendor
        if person.id != top:
            yield Finding(
                "person.no_manager",
                person_ref(person),
                no_manager_message(person, breaks),
                tuple(team_ref(team) for team in breaks.stranded_teams.get(person.id, ())),
            )


def person_rules(
    index: OrgIndex, people: Iterable[Person | PersonRow] | None = None
) -> Iterator[Finding]:
    """The findings about each active person (all of them, or `people`): each depends on
    the person's own row, manager, memberships, reports and place below the ML head."""
    # The maps are read once, and a person's reference made only for a finding: the loop
    # runs over everyone a whole-company sync brings (50,000 at L).
    head = index.ml_head
    people_by_id = index.people_by_id
    memberships_by_person = index.memberships_by_person
    teams_by_id = index.teams_by_id
    ml_steps = index.ml_steps if head is not None else {}
    report_counts = index.active_report_count
    span_max, layers_max = index.organisation.span_max, index.organisation.layers_max

    for person in index.data.people if people is None else people:
        if not person.active:
            continue
        manager = people_by_id.get(person.manager_id)

        if manager is not None and not manager.active:
            yield Finding(
                "person.manager_inactive",
                person_ref(person),
                f"{person.name} reports to {manager.name}, who has left the organisation.",
                (person_ref(manager),),
            )
        memberships = memberships_by_person.get(person.id, ())
        total = sum(m.allocation for m in memberships)
        if total > 100:
            yield Finding(
                "person.over_allocated",
                person_ref(person),
                f"{person.name} is allocated {total}% across {len(memberships)} teams.",
                tuple(
                    team_ref(teams_by_id[m.team_id])
                    for m in memberships
                    if m.team_id in teams_by_id
                ),
            )
        if manager is not None and person.role == Role.SCIENTIST:
            yield from scientist_manager_rule(index, person, manager)
        # Span, depth and allocation cover the ML org only: without an ML head they would
        # cover the whole company an HR sync brings, so they are not computed.
        steps = ml_steps.get(person.id)
        if steps is None:
            continue
        subject = person_ref(person)
        reports = report_counts.get(person.id, 0)
        if reports > span_max:
            yield Finding(
                "manager.span_wide",
                subject,
                f"{person.name} has {reports} direct reports, more than the limit of "
                f"{span_max}.",
            )
        elif reports == 1:
            yield Finding(
                "manager.span_narrow", subject, f"{person.name} has a single direct report."
            )
        if steps > layers_max:
            yield Finding(
                "reporting.too_deep",
                subject,
                f"{person.name} is {steps} layers below the ML head {head.name}, more than "
                f"{layers_max}.",
            )
        if (
            not memberships
            and person.role not in UNALLOCATED_EXEMPT_ROLES
            and person.worker_type != WorkerType.CONTRACTOR
            and not index.led_team_ids_by_person.get(person.id)
            and person.id not in index.pm_owner_ids
            and reports == 0
        ):
            yield Finding(
                "person.unallocated",
                subject,
                f"{person.name} is in the ML org but in no team, leads no team, owns no "
                "pipeline and manages nobody.",
            )


# Seed 002: "a Principal Engineer can report directly to a Director or VP and provide a long
# term technical roadmap for an entire org": they belong to no team by design.
UNALLOCATED_EXEMPT_ROLES = frozenset({Role.EXECUTIVE, Role.TECH_LEAD})


def scientist_manager_rule(
    index: OrgIndex, scientist: Person | PersonRow, manager: Person | PersonRow
) -> Iterator[Finding]:
    """Seed 000: a science manager manages scientists, not squad leads. The ML head, and
    executives inside the ML org, may; executives of other orgs may not."""
    if manager.role == Role.SCIENCE_MANAGER:
        return
    if index.ml_head is not None and manager.id == index.ml_head.id:
        return
    if manager.role == Role.EXECUTIVE:
        # Without an active ML head nobody is in or outside the ML org: accepted.
        if index.ml_head is None or index.in_ml_org(manager.id):
            return
        who = f"{manager.name}, an executive outside the ML org"
    else:
        who = f"{manager.name} ({Role(manager.role).label.lower()})"
    yield Finding(
        "scientist.no_science_manager",
        person_ref(scientist),
        f"Scientist {scientist.name} is managed by {who}, not by a science manager.",
        (person_ref(manager),),
    )


def scientist_isolation_rules(index: OrgIndex) -> Iterator[Finding]:
    ml_roles = (Role.SCIENTIST, Role.ML_ENGINEER)
    for team in index.data.teams:
        if team.kind != TeamKind.PRODUCT_SQUAD:
            continue
        ml_people = [
            index.people_by_id[pid]
            for pid in index.active_members_by_team.get(team.id, ())
            if index.people_by_id[pid].role in ml_roles
        ]
        if len(ml_people) != 1:
            continue
        person = ml_people[0]
        # Someone whose main team is a central team has ML peers there; the squad is a
        # part-time allocation.
        main_team = index.main_team(person.id)
        if main_team is None or main_team.id != team.id:
            continue
        role = Role(person.role).label.lower()
        yield Finding(
            "scientist.isolated",
            person_ref(person),
            f"{person.name} ({role}) is the only scientist or ML engineer in {team.name}, "
            "their main team.",
            (team_ref(team),),
        )


RULES = (
    org_rules,
    pipeline_owner_rules,
    pipeline_metric_rules,
    pipeline_stage_rules,
    team_rules,
    team_staffing_rules,
    team_commitment_rules,
    dependency_rules,
    person_rules,
    no_manager_rules,
    scientist_isolation_rules,
)
# The tables of the design each rule reads, directly or through the index's facts
# (`orgdata.FACT_TABLES`): a change that leaves all of a rule's tables alone leaves its
# findings as they were (`findings_after_tables`). tests/test_remedies.py checks the result
# against a whole analysis over random changes.
EVERYTHING = frozenset(
    {"people", "reporting", "teams", "memberships", "pipelines", "engagements"}
)
RULE_TABLES = {
    "org_rules": {"people"},
    "pipeline_owner_rules": {"pipelines", "people", "reporting", "engagements", "teams"},
    "pipeline_metric_rules": {"pipelines"},
    "pipeline_stage_rules": {"pipelines", "engagements", "teams", "memberships", "people"},
    "team_rules": {"teams", "engagements", "memberships", "people", "reporting", "pipelines"},
    "team_staffing_rules": EVERYTHING,
    "team_commitment_rules": {"teams", "engagements", "pipelines"},
    "dependency_rules": {"teams", "engagements", "pipelines", "people", "reporting"},
    "person_rules": {"people", "reporting", "memberships", "teams", "pipelines"},
    "no_manager_rules": EVERYTHING,
    "scientist_isolation_rules": {"teams", "memberships", "people"},
}

# The rules that read the cells of the matrix (`index.engagements_by_*`, `chain_breaks`):
# after a cell changes, only these run again (`findings_after_cells`); the others' findings
# stay. tests/test_kept_analysis.py checks the result against a whole analysis.
CELL_RULES = tuple(rule for rule in RULES if "engagements" in RULE_TABLES[rule.__name__])

FindingsByRule = dict[str, list[Finding]]


def findings_by_rule(index: OrgIndex, rules=RULES) -> FindingsByRule:
    """The findings of each rule, by the rule's name, with their effective severity."""
    return {
        rule.__name__: [with_effective_severity(finding, index) for finding in rule(index)]
        for rule in rules
    }


def in_order(by_rule: FindingsByRule) -> list[Finding]:
    """All the findings, ordered by severity, code, then subject name."""
    findings = [finding for rule in RULES for finding in by_rule[rule.__name__]]
    findings.sort(key=Finding.sort_key)
    return findings


def findings_after_cells(index: OrgIndex, before: FindingsByRule) -> FindingsByRule:
    """The findings of a design whose cells (engagements) alone changed since `before`:
    the rules that read cells run again over `index`, the others' findings are kept."""
    return {**before, **findings_by_rule(index, CELL_RULES)}


def findings_after_tables(
    index: OrgIndex,
    before: FindingsByRule,
    tables: set[str],
    people: set[int] | None = None,
) -> FindingsByRule:
    """The findings of a design of which only `tables` changed since `before`: the rules
    that read one of them run again over `index`, the others' findings are kept. `people`,
    when the caller knows them, are the only people whose own facts changed (a person moved,
    everyone below them, their old and new managers; a PM or lead given or taken a
    pipeline or team; a member moved): the person rules, whose findings about a person depend
    on that person's facts alone, run again over them only."""
    again = [rule for rule in RULES if RULE_TABLES[rule.__name__] & tables]
    partial = people is not None and person_rules in again
    if partial:
        again.remove(person_rules)
    after = {**before, **findings_by_rule(index, tuple(again))}
    if partial:
        rows = [index.people_by_id[pid] for pid in people if pid in index.people_by_id]
        after["person_rules"] = [
            finding for finding in before["person_rules"] if finding.subject.id not in people
        ] + [with_effective_severity(finding, index) for finding in person_rules(index, rows)]
    return after


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(finding.severity for finding in findings)
    return {severity: counts.get(severity, 0) for severity in SEVERITY_ORDER}
