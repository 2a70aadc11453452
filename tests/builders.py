"""Build one design in memory: unsaved model instances with explicit ids, and no database.

The findings engine and the structure classifier read concrete fields and `*_id` attributes
only, so their tests describe an organisation here and hand `OrgBuilder.data()` in:

    org = OrgBuilder()
    hana = org.person("Hana", role=Role.EXECUTIVE)
    org.set_ml_head(hana)
    squad = org.team("Search squad", kind=TeamKind.PRODUCT_SQUAD, lead=hana)
    org.member(hana, squad)
    compute_findings(org.data())
"""

from __future__ import annotations

from orgdesign.analysis.orgdata import OrgData, PositionRow
from pipelines.models import Engagement, EngagementRole, Lifecycle, Pipeline, Tier
from teams.models import Membership, Organisation, Person, Role, Team, TeamKind


class OrgBuilder:
    """Collects the rows of one organisation; ids are given in creation order per model."""

    def __init__(self, *, span_max: int = 10, layers_max: int = 6):
        self.organisation = Organisation(
            id=1, slug="acme", name="Acme", span_max=span_max, layers_max=layers_max
        )
        self.people: list[Person] = []
        self.teams: list[Team] = []
        self.memberships: list[Membership] = []
        self.pipelines: list[Pipeline] = []
        self.engagements: list[Engagement] = []
        self.positions: list[PositionRow] = []

    def person(
        self,
        name: str,
        *,
        role: str = Role.OTHER,
        manager: Person | None = None,
        active: bool = True,
        worker_type: str = "employee",
    ) -> Person:
        person = Person(
            id=len(self.people) + 1,
            organisation_id=self.organisation.id,
            name=name,
            role=role,
            manager_id=manager.id if manager is not None else None,
            active=active,
            worker_type=worker_type,
        )
        self.people.append(person)
        return person

    def set_ml_head(self, person: Person | None) -> None:
        self.organisation.ml_head_id = person.id if person is not None else None

    def team(
        self,
        name: str,
        *,
        kind: str = TeamKind.MODELING,
        lead: Person | None = None,
        kpi: str = "",
        kpi_type: str = "",
    ) -> Team:
        team = Team(
            id=len(self.teams) + 1,
            organisation_id=self.organisation.id,
            name=name,
            kind=kind,
            lead_id=lead.id if lead is not None else None,
            kpi=kpi,
            kpi_type=kpi_type,
        )
        self.teams.append(team)
        return team

    def member(self, person: Person, team: Team, allocation: int = 100) -> Membership:
        membership = Membership(
            id=len(self.memberships) + 1,
            person_id=person.id,
            team_id=team.id,
            allocation=allocation,
        )
        self.memberships.append(membership)
        return membership

    def pipeline(
        self,
        name: str,
        *,
        pm: Person | None = None,
        lifecycle: str = Lifecycle.PRODUCTION,
        tier: str = Tier.NORMAL,
        metric: str = "precision at 90% recall",
        required_stages: list[str] | None = None,
    ) -> Pipeline:
        """A metric is set unless a test clears it, so that `pipeline.no_metric` only shows
        in the tests about it."""
        pipeline = Pipeline(
            id=len(self.pipelines) + 1,
            organisation_id=self.organisation.id,
            name=name,
            pm_owner_id=pm.id if pm is not None else None,
            lifecycle=lifecycle,
            tier=tier,
            metric=metric,
        )
        # Left out, the field's default applies: data, infrastructure, modeling, deployment.
        if required_stages is not None:
            pipeline.required_stages = required_stages
        self.pipelines.append(pipeline)
        return pipeline

    def engage(
        self,
        pipeline: Pipeline,
        team: Team,
        role: str = EngagementRole.OWNER,
        effort: int | None = None,
    ) -> Engagement:
        engagement = Engagement(
            id=len(self.engagements) + 1,
            pipeline_id=pipeline.id,
            team_id=team.id,
            role=role,
            effort=effort,
        )
        self.engagements.append(engagement)
        return engagement

    def position(
        self,
        team: Team,
        *,
        title: str = "Engineer",
        role: str = Role.OTHER,
        level: str = "",
        fte: int = 100,
        pipeline: Pipeline | None = None,
    ) -> PositionRow:
        """An open position of `team` (filled and cancelled ones are not loaded)."""
        position = PositionRow(
            id=len(self.positions) + 1,
            team_id=team.id,
            title=title,
            role=role,
            level=level,
            fte=fte,
            pipeline_id=pipeline.id if pipeline is not None else None,
        )
        self.positions.append(position)
        return position

    def data(self) -> OrgData:
        return OrgData(
            organisation=self.organisation,
            people=list(self.people),
            teams=list(self.teams),
            memberships=list(self.memberships),
            pipelines=list(self.pipelines),
            engagements=list(self.engagements),
            positions=list(self.positions),
        )
