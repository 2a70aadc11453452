"""Synthetic organisations for benchmarks: the logic of `manage.py generate_org`.

`generate_org` builds a whole company from a seed: a CEO, the ML head directly under them
with an ML org of about 5% of the people, and orgs outside it (the company Infrastructure
org, Research, Product with its squads, and the rest of the business). On a mostly healthy
matrix it plants some of every finding of docs/design.md section 2 except `org.no_ml_head`, so
each rule has work to do at every size.

It runs in two steps. `plan_org` draws everything from one `random.Random(seed)` in plain
Python, so the same seed gives the same organisation (names, roles, reporting lines, teams,
memberships, pipelines, engagements). `generate_org` then stores the plan with `bulk_create`,
level by level of the reporting tree so every manager has an id before their reports are
inserted. The planted problems assume the default thresholds (`span_max` 10, `layers_max` 6).
"""

from __future__ import annotations

import itertools
import random
import string
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from django.db import transaction

from pipelines.models import (
    STAGE_KIND,
    CatalogEntity,
    Engagement,
    EngagementRole,
    Lifecycle,
    Pipeline,
    Position,
    Stage,
    Tier,
)
from teams.bulk import ANALYZE_FROM_ROWS, analyze
from teams.design_version import design_changed
from teams.models import (
    SPECIALISED_KINDS,
    KpiType,
    Level,
    Membership,
    Organisation,
    Person,
    Role,
    Team,
    TeamKind,
)
from teams.services import organisation_update

MIN_PEOPLE = 400
MIN_TEAMS = 20
MIN_PIPELINES = 20
ML_SHARE = 0.05
# The skeleton of the ML org (directors, the deep chain, the wide span, PMs) needs this many.
MIN_ML_PEOPLE = 40
BATCH_SIZE = 2000
# The level table of a generated company (annual costs in its currency, USD), the highest
# last; and one open position in every POSITION_EVERY-th team of a specialised kind.
LEVEL_COSTS = [("L3", 110_000), ("L4", 145_000), ("L5", 185_000), ("L6", 235_000),
               ("E1", 380_000)]
POSITION_EVERY = 7

# Planted against the default thresholds: one manager above span_max (10), and a chain that
# reaches one step past layers_max (6) below the ML head.
WIDE_SPAN = 12
DEEP_CHAIN_STEPS = 7
# The allocation of each of the two members of a planted understaffed team (under one FTE),
# and the effort a planted over-committed team gives each of two pipelines (over 100%).
THIN_ALLOCATION = 30
OVER_COMMITTED_EFFORT = 60

# The planted pipeline problems, in the order the first pipelines get them.
NO_PM, PM_LEFT, NOT_A_PM, PM_OUTSIDE, STAGE_UNOWNED, STAGE_TWO_OWNERS, NO_METRIC = range(7)
PIPELINE_PROBLEMS = 7

# Shares of the whole company; what is left goes to the rest of the business.
INFRASTRUCTURE_SHARE = 0.15
RESEARCH_SHARE = 0.03
PRODUCT_SHARE = 0.17

# How the specialised teams of the ML org split across the five kinds.
ML_KIND_WEIGHTS = {
    TeamKind.DATA_OPS: 0.20,
    TeamKind.TOOLING: 0.15,
    TeamKind.INFRASTRUCTURE: 0.15,
    TeamKind.MODELING: 0.30,
    TeamKind.DEPLOYMENT: 0.20,
}

FIRST_NAMES = (
    "Ada", "Adrian", "Aisha", "Alan", "Alba", "Amara", "Andre", "Anika", "Arjun", "Astrid",
    "Ben", "Bianca", "Bruno", "Camila", "Carlos", "Chen", "Chloe", "Dara", "David", "Diego",
    "Elena", "Elif", "Emil", "Emma", "Eric", "Fatima", "Felix", "Freya", "Gabriel", "Grace",
    "Hana", "Hugo", "Ines", "Ivan", "Jada", "James", "Jin", "Joao", "Julia", "Kai",
    "Karim", "Kenji", "Lara", "Leila", "Leo", "Lina", "Luca", "Maya", "Mateo", "Mei",
    "Mila", "Nadia", "Naomi", "Nikhil", "Nina", "Noah", "Omar", "Oscar", "Priya", "Rafael",
    "Rania", "Ravi", "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Thea", "Tomas", "Uma",
    "Victor", "Wei", "Yara", "Yusuf", "Zara", "Zoe",
)
LAST_NAMES = (
    "Abara", "Alvarez", "Andersen", "Bakker", "Banerjee", "Becker", "Bianchi", "Brown",
    "Carvalho", "Chen", "Costa", "Dubois", "Duarte", "Eriksen", "Fischer", "Fontaine",
    "Garcia", "Gupta", "Haddad", "Hansen", "Hoffmann", "Ibrahim", "Ito", "Jansen", "Jensen",
    "Kaur", "Khan", "Kim", "Kowalski", "Larsen", "Lee", "Lopez", "Mahmoud", "Martin",
    "Mendes", "Moreau", "Muller", "Nakamura", "Nguyen", "Novak", "Okafor", "Oliveira",
    "Osei", "Park", "Patel", "Perez", "Petrov", "Ricci", "Rossi", "Sato", "Schmidt", "Silva",
    "Singh", "Smith", "Suzuki", "Tanaka", "Torres", "Van Dijk", "Wagner", "Walker", "Wang",
    "Weber", "Wilson", "Wong", "Yamamoto", "Yilmaz", "Zhang", "Zielinski",
)
SENIORITY = ("", "", "Senior ", "Staff ")

# Product areas name squads, specialised teams and pipelines.
AREAS = (
    "Search", "Feed", "Ads", "Maps", "Payments", "Checkout", "Messaging", "Video", "Music",
    "Photos", "Notifications", "Marketplace", "Trust and Safety", "Growth", "Onboarding",
    "Pricing", "Logistics", "Delivery", "Support", "Identity", "Fraud", "Risk", "Reviews",
    "Catalog", "Inventory", "Travel", "Stories", "Groups", "Events", "Jobs", "Gaming", "Health",
    "Education", "News", "Weather", "Sports", "Shopping", "Creators", "Live", "Home",
)
TEAM_BASES = {
    TeamKind.DATA_OPS: (
        "Data Labeling", "Data Quality", "Annotation Operations", "Data Collection",
        "Ground Truth",
    ),
    TeamKind.TOOLING: (
        "ML Tooling", "Experimentation Tools", "Feature Store", "Model Registry",
        "Labeling Tools",
    ),
    TeamKind.INFRASTRUCTURE: (
        "ML Infrastructure", "Training Platform", "GPU Compute", "Feature Pipelines",
        "Serving Infrastructure",
    ),
    TeamKind.MODELING: (
        "Ranking Models", "Vision Models", "Language Models", "Forecasting Models",
        "Personalization Models",
    ),
    TeamKind.DEPLOYMENT: (
        "Model Deployment", "Model Serving", "Online Inference", "Model Monitoring",
        "Edge Deployment",
    ),
}
TEAM_KPIS = {
    TeamKind.DATA_OPS: ("Precision gained from new labels", KpiType.MODEL_OUTCOME),
    TeamKind.TOOLING: ("Experiments run per engineer", KpiType.OTHER),
    TeamKind.INFRASTRUCTURE: ("Training jobs finished on time", KpiType.OTHER),
    TeamKind.MODELING: ("Offline metric of shipped models", KpiType.MODEL_OUTCOME),
    TeamKind.DEPLOYMENT: ("Online lift of deployed models", KpiType.MODEL_OUTCOME),
}
OUTPUT_VOLUME_KPI = "Labels produced per week"
# Seed 002: research teams "may pursue ... publication-worthy work".
PUBLICATIONS_KPI = ("Papers accepted at top venues", KpiType.PUBLICATIONS)
SQUAD_KPI = ("Weekly active users", KpiType.OTHER)
SQUAD_WORDS = ("Core", "Growth", "Engagement", "Discovery", "Quality", "Conversion")
COMPANY_INFRASTRUCTURE_TEAMS = (
    "Compute Platform", "Storage Platform", "Networking", "Kubernetes Platform",
    "Observability", "Build and Release", "Developer Productivity", "Databases",
    "Site Reliability", "Cloud Cost",
)
RESEARCH_TOPICS = (
    "Vision", "Language", "Speech", "Reinforcement Learning", "Causal Inference",
    "Graph Learning", "Robotics", "Generative Models",
)
OTHER_TEAMS = (
    "ML Guild", "Responsible AI Council", "ML Reading Group", "Model Review Board",
    "ML Hiring Committee", "ML Onboarding",
)
# Pipeline tasks and the model metric each is judged on.
TASKS = {
    "ranking": "NDCG@10",
    "retrieval": "recall@100",
    "click-through prediction": "AUC",
    "spam detection": "precision at 99% recall",
    "fraud detection": "fraud caught per false alarm",
    "query understanding": "intent accuracy",
    "demand forecasting": "MAPE",
    "image classification": "top-1 accuracy",
    "recommendations": "long-term engagement lift",
    "churn prediction": "AUC",
    "dwell-time prediction": "RMSE",
    "content moderation": "violating views prevented",
    "entity resolution": "F1",
    "price optimisation": "margin lift",
    "ETA prediction": "mean absolute error",
    "anomaly detection": "alerts acted on",
    "translation": "BLEU",
    "speech recognition": "word error rate",
    "text extraction": "character error rate",
    "lead scoring": "conversion lift",
    "personalisation": "session depth lift",
    "notification timing": "open rate",
    "embeddings": "downstream recall",
    "de-duplication": "duplicate rate",
    "sentiment analysis": "macro F1",
}


@dataclass(slots=True)
class PlannedPerson:
    external_id: str
    name: str
    email: str
    title: str
    role: str
    manager: int | None  # index into OrgPlan.people
    depth: int  # steps below the top of their tree
    active: bool = True


@dataclass(slots=True)
class PlannedTeam:
    name: str
    kind: str
    lead: int | None = None
    kpi: str = ""
    kpi_type: str = ""


@dataclass(slots=True)
class PlannedMembership:
    person: int
    team: int  # index into OrgPlan.teams
    allocation: int


@dataclass(slots=True)
class PlannedPipeline:
    name: str
    pm_owner: int | None
    lifecycle: str
    tier: str
    metric: str
    required_stages: list[str]
    engagements: dict[int, str] = field(default_factory=dict)  # team index -> role
    efforts: dict[int, int] = field(default_factory=dict)  # team index -> percent


@dataclass
class OrgPlan:
    people: list[PlannedPerson]
    teams: list[PlannedTeam]
    memberships: list[PlannedMembership]
    pipelines: list[PlannedPipeline]
    ml_head: int
    ml_org_size: int


@dataclass(frozen=True)
class GenerationSummary:
    people: int
    ml_org_people: int
    teams: int
    memberships: int
    pipelines: int
    engagements: int
    depth: int

    def __str__(self) -> str:
        return (
            f"{self.people:,} people ({self.ml_org_people:,} in the ML org), "
            f"{self.teams:,} teams, {self.memberships:,} memberships, "
            f"{self.pipelines:,} pipelines, {self.engagements:,} engagements, "
            f"{self.depth} levels deep"
        )


def check_sizes(*, people: int, teams: int, pipelines: int) -> None:
    """Refuse sizes too small to hold every planted problem, or out of proportion."""
    if people < MIN_PEOPLE:
        raise ValueError(f"--people must be at least {MIN_PEOPLE}, not {people}.")
    if teams < MIN_TEAMS:
        raise ValueError(f"--teams must be at least {MIN_TEAMS}, not {teams}.")
    if teams > people // 10:
        raise ValueError(f"--teams can be at most a tenth of --people ({people // 10}).")
    if pipelines < MIN_PIPELINES:
        raise ValueError(f"--pipelines must be at least {MIN_PIPELINES}, not {pipelines}.")
    if pipelines > people:
        raise ValueError(f"--pipelines can be at most --people ({people}).")


@transaction.atomic
def generate_org(
    organisation: Organisation, *, people: int, teams: int, pipelines: int, seed: int = 0
) -> GenerationSummary:
    """Fill an empty organisation with a synthetic company and set its ML head."""
    if (
        organisation.people.exists()
        or organisation.teams.exists()
        or organisation.pipelines.exists()
    ):
        raise ValueError(
            f"Organisation {organisation.slug} already has people, teams or pipelines; "
            "generate into a new organisation."
        )
    plan = plan_org(people=people, teams=teams, pipelines=pipelines, seed=seed)
    _store(organisation, plan)
    # Stored in bulk without history: the version changes here instead.
    design_changed(organisation.pk)
    if len(plan.people) >= ANALYZE_FROM_ROWS:
        analyze(Person, Membership, Team, Pipeline, Engagement)
    return GenerationSummary(
        people=len(plan.people),
        ml_org_people=plan.ml_org_size,
        teams=len(plan.teams),
        memberships=len(plan.memberships),
        pipelines=len(plan.pipelines),
        engagements=sum(len(pipeline.engagements) for pipeline in plan.pipelines),
        depth=max(person.depth for person in plan.people),
    )


def plan_org(*, people: int, teams: int, pipelines: int, seed: int = 0) -> OrgPlan:
    """The whole synthetic organisation as plain data, drawn from `random.Random(seed)`."""
    check_sizes(people=people, teams=teams, pipelines=pipelines)
    return _Planner(random.Random(seed), people=people, teams=teams, pipelines=pipelines).plan()


def _store(organisation: Organisation, plan: OrgPlan) -> None:
    # Bulk inserts bypass teams.services and pipelines.services on purpose: the services
    # validate one row at a time (a manager change reads the whole organisation to refuse a
    # cycle), which would take hours for 50,000 people. The plan is valid by construction:
    # a tree, references inside the organisation, allocations within 1..100.
    person_ids = [0] * len(plan.people)
    by_depth: dict[int, list[int]] = defaultdict(list)
    for index, person in enumerate(plan.people):
        by_depth[person.depth].append(index)
    for depth in sorted(by_depth):
        rows = [
            Person(
                organisation_id=organisation.id,
                external_id=person.external_id,
                name=person.name,
                email=person.email,
                title=person.title,
                role=person.role,
                manager_id=None if person.manager is None else person_ids[person.manager],
                active=person.active,
                level=_level_of(index, person.depth),
            )
            for index, person in ((index, plan.people[index]) for index in by_depth[depth])
        ]
        Person.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        for index, row in zip(by_depth[depth], rows, strict=True):
            person_ids[index] = row.pk

    def person_id(index: int | None) -> int | None:
        return None if index is None else person_ids[index]

    team_rows = [
        Team(
            organisation_id=organisation.id,
            name=team.name,
            kind=team.kind,
            lead_id=person_id(team.lead),
            kpi=team.kpi,
            kpi_type=team.kpi_type,
        )
        for team in plan.teams
    ]
    Team.objects.bulk_create(team_rows, batch_size=BATCH_SIZE)
    Membership.objects.bulk_create(
        [
            Membership(
                person_id=person_ids[membership.person],
                team_id=team_rows[membership.team].pk,
                allocation=membership.allocation,
            )
            for membership in plan.memberships
        ],
        batch_size=BATCH_SIZE,
    )
    pipeline_rows = [
        Pipeline(
            organisation_id=organisation.id,
            name=pipeline.name,
            pm_owner_id=person_id(pipeline.pm_owner),
            lifecycle=pipeline.lifecycle,
            tier=pipeline.tier,
            metric=pipeline.metric,
            required_stages=pipeline.required_stages,
        )
        for pipeline in plan.pipelines
    ]
    Pipeline.objects.bulk_create(pipeline_rows, batch_size=BATCH_SIZE)
    Engagement.objects.bulk_create(
        [
            Engagement(
                pipeline_id=row.pk, team_id=team_rows[team].pk, role=role,
                effort=pipeline.efforts.get(team),
            )
            for row, pipeline in zip(pipeline_rows, plan.pipelines, strict=True)
            for team, role in pipeline.engagements.items()
        ],
        batch_size=BATCH_SIZE,
    )
    Level.objects.bulk_create(
        [Level(organisation_id=organisation.id, name=name, annual_cost=cost)
         for name, cost in LEVEL_COSTS]
    )
    Position.objects.bulk_create(
        [
            Position(
                organisation_id=organisation.id, team_id=row.pk,
                title=f"{team.kind.replace('_', ' ').capitalize()} hire", fte=100,
                level=LEVEL_COSTS[1][0],
            )
            for number, (row, team) in enumerate(zip(team_rows, plan.teams, strict=True))
            if team.kind in SPECIALISED_KINDS and number % POSITION_EVERY == 0
        ],
        batch_size=BATCH_SIZE,
    )
    catalog = plan_catalog(plan)
    CatalogEntity.objects.bulk_create(
        [CatalogEntity(organisation_id=organisation.id, **row) for row in catalog],
        batch_size=BATCH_SIZE)
    Organisation.objects.filter(pk=organisation.pk).update(catalog_size=len(catalog))
    organisation.catalog_size = len(catalog)
    organisation_update(
        organisation=organisation, ml_head=Person.objects.get(pk=person_ids[plan.ml_head])
    )


# How many pipelines the generated software catalog covers: enough for every catalog
# finding, few enough that the catalog stays a small part of a large design (the benchmarks
# import one of 20,000 components of their own).
CATALOG_PIPELINES = 8


def _slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())


def plan_catalog(plan: OrgPlan) -> list[dict]:
    """A software catalog for the first pipelines: a component for each required stage,
    owned (by name) by the stage's owner team, and the planted disagreements: a component
    owned by another team than its stage's, one without an owner, one owned by a company
    Infrastructure team (outside the ML org), and a stage with no component."""
    rows: list[dict] = []

    def add(name: str, pipeline: PlannedPipeline, stage: str, owner: str) -> None:
        rows.append({
            "source": "generated", "kind": "component", "ref": f"component:default/{name}",
            "name": name, "owner": f"group:default/{owner}" if owner else "", "system": "",
            "team_hint": "", "pipeline_hint": pipeline.name, "stage_hint": stage, "path": "",
            "position": len(rows),
        })

    outside = next((team for team in plan.teams if team.name in COMPANY_INFRASTRUCTURE_TEAMS),
                   None)

    def owners_of(pipeline: PlannedPipeline) -> dict[str, PlannedTeam]:
        owners = {}
        for team, role in pipeline.engagements.items():
            for stage, kind in STAGE_KIND.items():
                if role == EngagementRole.OWNER and plan.teams[team].kind == kind:
                    owners.setdefault(str(stage), plan.teams[team])
        return owners

    # The pipelines with owner teams for two stages or more: each plant has room there.
    covered = [(pipeline, owners) for pipeline in plan.pipelines
               if len(owners := owners_of(pipeline)) >= 2]
    for number, (pipeline, owners) in enumerate(covered[:CATALOG_PIPELINES]):
        base = _slug(pipeline.name)
        for stage in pipeline.required_stages:
            if stage not in owners or (number == 2 and stage == max(owners)):
                continue  # planted: a stage owned on paper with nothing behind it
            owner = owners[stage]
            if number == 0 and stage == min(owners):
                # planted: a component owned by another stage's team
                owner = next(team for key, team in owners.items() if key != stage)
            add(f"{base}-{stage}", pipeline, stage, _slug(owner.name))
        if number == 1:
            add(f"{base}-orphan", pipeline, "", "")
        if number == 3 and outside is not None:
            add(f"{base}-platform", pipeline, "", _slug(outside.name))
    return rows



def _level_of(index: int, depth: int) -> str:
    """A person's level, drawn from their place rather than the plan's random stream (so the
    planted problems stay where they were): the top two layers at the highest, the rest in
    turn; every 50th person without one, as HR data has gaps."""
    if index % 50 == 49:
        return ""
    if depth <= 1:
        return LEVEL_COSTS[-1][0]
    return LEVEL_COSTS[index % (len(LEVEL_COSTS) - 1)][0]


def _level_sizes(size: int, span: int) -> list[int]:
    """Sizes of the levels below one manager, top level first, for `size` people.

    Built from the bottom: each level has a `span`-th of the people of the level below, so
    every manager has about `span` reports and the top level, at most `span`, reports to the
    manager the levels hang from.
    """

    def levels_for(leaves: int) -> list[int]:
        levels = [leaves]
        while levels[0] > span:
            levels.insert(0, -(-levels[0] // span))
        return levels

    if size <= 0:
        return []
    leaves = size * (span - 1) // span + 1
    while sum(levels_for(leaves)) > size:
        leaves -= 1
    while sum(levels_for(leaves + 1)) <= size:
        leaves += 1
    levels = levels_for(leaves)
    levels[-1] += size - sum(levels)
    return levels


def _split(total: int, weights: dict, minimum: int = 0) -> dict:
    """`total` split across the keys of `weights` in proportion, each key at least `minimum`."""
    rest = total - minimum * len(weights)
    scale = sum(weights.values())
    shares = {key: rest * weight / scale for key, weight in weights.items()}
    counts = {key: minimum + int(share) for key, share in shares.items()}
    leftover = total - sum(counts.values())
    by_remainder = sorted(weights, key=lambda key: shares[key] - int(shares[key]), reverse=True)
    for key in by_remainder[:leftover]:
        counts[key] += 1
    return counts


# (role, title, weight) of the individual contributors of a group.
Individuals = tuple[tuple[str, str, float], ...]


@dataclass(frozen=True)
class _Division:
    """An org outside the ML org, hanging from one executive under the CEO."""

    name: str
    head_title: str
    span: int
    manager_role: str
    individuals: Individuals


INFRASTRUCTURE = _Division(
    "Infrastructure", "Chief Technology Officer", 7, Role.ENGINEERING_MANAGER,
    (
        (Role.SOFTWARE_ENGINEER, "Software Engineer", 0.8),
        (Role.DATA_ENGINEER, "Data Engineer", 0.2),
    ),
)
RESEARCH = _Division(
    "Research", "Chief Scientist", 6, Role.SCIENCE_MANAGER,
    ((Role.SCIENTIST, "Research Scientist", 0.8), (Role.ML_ENGINEER, "Research Engineer", 0.2)),
)
PRODUCT = _Division(
    "Product Engineering", "Chief Product Officer", 8, Role.ENGINEERING_MANAGER,
    (
        (Role.SOFTWARE_ENGINEER, "Software Engineer", 0.7),
        (Role.PRODUCT_MANAGER, "Product Manager", 0.12),
        (Role.OTHER, "Product Designer", 0.18),
    ),
)
# The rest of the business, with their shares of what the orgs above leave.
BUSINESS = {
    _Division(
        "Operations", "Chief Operating Officer", 8, Role.OPS_MANAGER,
        ((Role.OTHER, "Operations Specialist", 0.8), (Role.OTHER, "Support Agent", 0.2)),
    ): 0.55,
    _Division(
        "Sales", "Chief Revenue Officer", 8, Role.OTHER,
        ((Role.OTHER, "Account Executive", 0.7), (Role.OTHER, "Sales Engineer", 0.3)),
    ): 0.35,
    _Division(
        "Finance and People", "Chief Financial Officer", 7, Role.OTHER,
        ((Role.OTHER, "Financial Analyst", 0.5), (Role.OTHER, "People Partner", 0.5)),
    ): 0.10,
}


@dataclass
class _MlOrg:
    """Who is who in the ML org, as indices into the plan's people."""

    head: int
    directors: dict[str, int] = field(default_factory=dict)
    chain: list[int] = field(default_factory=list)
    labelers: list[int] = field(default_factory=list)
    unallocated: list[int] = field(default_factory=list)
    former_leads: list[int] = field(default_factory=list)
    former_pms: list[int] = field(default_factory=list)
    pms: list[int] = field(default_factory=list)
    individuals: dict[str, list[int]] = field(default_factory=dict)
    members: range = range(0)


@dataclass
class _MlTeams:
    """The specialised teams of the ML org by kind, and which carry a planted problem."""

    by_kind: dict[str, list[int]]
    single: list[int] = field(default_factory=list)
    no_lead: list[int] = field(default_factory=list)
    lead_left: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)
    idle: list[int] = field(default_factory=list)
    # Two members at a fraction of their time: pipeline.stage_understaffed.
    thin: list[int] = field(default_factory=list)
    engageable: dict[str, list[int]] = field(default_factory=dict)
    # By kind, the teams that carry no planted problem.
    ordinary: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class _OutsideTeams:
    """Specialised teams led from the company Infrastructure and Research orgs."""

    infrastructure: list[int] = field(default_factory=list)
    research: list[int] = field(default_factory=list)


class _Planner:
    """Draws one organisation; every choice comes from `rng`, in a fixed order."""

    def __init__(self, rng: random.Random, *, people: int, teams: int, pipelines: int):
        self.rng = rng
        self.size = people
        self.team_count = teams
        self.pipeline_count = pipelines
        self.people: list[PlannedPerson] = []
        self.reports: list[list[int]] = []
        self.teams: list[PlannedTeam] = []
        self.team_names: set[str] = set()
        self.memberships: list[PlannedMembership] = []
        # People the random leavers must not touch: the planted problems depend on them.
        self.protected: set[int] = set()
        self.leads_with_members: set[int] = set()
        self.areas = list(AREAS)
        rng.shuffle(self.areas)

        self.ml_size = max(round(people * ML_SHARE), MIN_ML_PEOPLE)
        # One planted team problem of each kind per hundred teams, one planted pipeline
        # problem of each kind per hundred pipelines; at least one of each.
        self.planted_teams = max(1, round(teams * 0.01))
        self.planted_pipelines = max(1, round(pipelines * 0.01))
        self.squad_count = round(teams * 0.3)
        self.other_team_count = max(1, round(teams * 0.05))
        specialised = teams - self.squad_count - self.other_team_count
        self.outside_team_count = max(2, round(specialised * 0.05))
        self.ml_team_count = specialised - self.outside_team_count

    # People ----------------------------------------------------------------------------------

    def add_person(
        self, *, role: str, title: str, manager: int | None, active: bool = True
    ) -> int:
        rng = self.rng
        index = len(self.people)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        initial = rng.choice(string.ascii_uppercase)
        self.people.append(
            PlannedPerson(
                external_id=f"E{index + 1:06d}",
                name=f"{first} {initial}. {last}",
                email=f"{first}.{last.replace(' ', '')}.{index + 1}@example.com".lower(),
                title=title,
                role=str(role),
                manager=manager,
                depth=0 if manager is None else self.people[manager].depth + 1,
                active=active,
            )
        )
        self.reports.append([])
        if manager is not None:
            self.reports[manager].append(index)
        return index

    def grow(
        self,
        top: int,
        size: int,
        *,
        span: int,
        function: str,
        manager_role: str,
        individuals: Individuals,
    ) -> list[int]:
        """Place `size` people below `top`, level by level; returns the bottom level.

        Reports are dealt to the managers of the level above in contiguous runs, so spans
        stay within one of each other.
        """
        levels = _level_sizes(size, span)
        kinds = [(role, title) for role, title, _ in individuals]
        weights = [weight for _, _, weight in individuals]
        parents = [top]
        for depth, count in enumerate(levels):
            above_bottom = len(levels) - 1 - depth
            level = []
            for position in range(count):
                manager = parents[position * len(parents) // count]
                if above_bottom:
                    role = manager_role
                    rank = "Manager" if above_bottom == 1 else "Senior Manager"
                    title = f"{rank}, {function}"
                else:
                    role, title = self.rng.choices(kinds, weights)[0]
                    title = self.rng.choice(SENIORITY) + title
                level.append(self.add_person(role=role, title=title, manager=manager))
            parents = level
        return parents if levels else []

    def bottom_managers(self, individuals: list[int]) -> list[int]:
        """The managers of `individuals`, in order, each once."""
        return list(dict.fromkeys(self.people[index].manager for index in individuals))

    def add_division(self, ceo: int, division: _Division, size: int) -> list[int]:
        head = self.add_person(role=Role.EXECUTIVE, title=division.head_title, manager=ceo)
        self.protected.add(head)
        return self.grow(
            head,
            size - 1,
            span=division.span,
            function=division.name,
            manager_role=division.manager_role,
            individuals=division.individuals,
        )

    # Teams -----------------------------------------------------------------------------------

    def add_team(self, name: str, kind: str, lead: int | None = None) -> int:
        unique, number = name, 1
        while unique in self.team_names:
            number += 1
            unique = f"{name} {number}"
        self.team_names.add(unique)
        self.teams.append(PlannedTeam(name=unique, kind=str(kind), lead=lead))
        if lead is not None:
            self.protected.add(lead)
        return len(self.teams) - 1

    def add_member(self, person: int, team: int, allocation: int = 100) -> PlannedMembership:
        membership = PlannedMembership(person=person, team=team, allocation=allocation)
        self.memberships.append(membership)
        return membership

    def lead_by_their_manager(self, team: int, members: list[int], fallback: int) -> None:
        """The team's lead is the manager most of its members report to."""
        managers = Counter(self.people[member].manager for member in members)
        lead = managers.most_common(1)[0][0] if managers else fallback
        self.teams[team].lead = lead
        self.protected.add(lead)

    # The plan --------------------------------------------------------------------------------

    def plan(self) -> OrgPlan:
        ceo = self.add_person(role=Role.EXECUTIVE, title="Chief Executive Officer", manager=None)
        self.protected.add(ceo)
        ml = self.plan_ml_org(ceo)

        new_hires = max(1, round(self.ml_size * 0.004))
        outside = self.size - 1 - self.ml_size - new_hires
        infrastructure_size = round(self.size * INFRASTRUCTURE_SHARE)
        research_size = round(self.size * RESEARCH_SHARE)
        product_size = max(round(self.size * PRODUCT_SHARE), 8 * self.squad_count + 1)
        business_size = outside - infrastructure_size - research_size - product_size

        infrastructure = self.add_division(ceo, INFRASTRUCTURE, infrastructure_size)
        research = self.add_division(ceo, RESEARCH, research_size)
        # Squad leads are the managers just above the bottom: enough of them for the squads.
        squad_span = max(2, min(PRODUCT.span, (product_size - 1) // self.squad_count - 2))
        product = self.add_division(ceo, replace(PRODUCT, span=squad_span), product_size)
        for division, size in _split(business_size, BUSINESS).items():
            self.add_division(ceo, division, size)

        # Hired into ML teams before HR set their manager: without one, their chain does not
        # reach the ML head, so only their team says they work in the ML org.
        hires = [
            self.add_person(
                role=Role.ML_ENGINEER, title="ML Engineer (new hire)", manager=None
            )
            for _ in range(new_hires)
        ]
        self.protected.update(hires)

        ml_teams = self.plan_ml_teams(ml, hires)
        squads, product_pms = self.plan_squads(product)
        outside_teams = self.plan_outside_teams(infrastructure, research)
        self.plan_borrowed_staff(ml_teams, infrastructure)
        self.plan_other_teams(ml)
        self.plan_leavers(ml)
        pipelines = self.plan_pipelines(ml, ml_teams, squads, outside_teams, product_pms)

        return OrgPlan(
            people=self.people,
            teams=self.teams,
            memberships=self.memberships,
            pipelines=pipelines,
            ml_head=ml.head,
            ml_org_size=self.ml_size,
        )

    def plan_ml_org(self, ceo: int) -> _MlOrg:
        """The ML org: a head, five directors, and the planted chain, span and leavers."""
        start = len(self.people)
        ml = _MlOrg(
            head=self.add_person(
                role=Role.EXECUTIVE, title="VP of Machine Learning", manager=ceo
            )
        )
        directors = {
            "data": (Role.OPS_MANAGER, "Director of Data Operations"),
            "platform": (Role.ENGINEERING_MANAGER, "Director of ML Platform"),
            "science": (Role.SCIENCE_MANAGER, "Director of Applied Science"),
            "engineering": (Role.ENGINEERING_MANAGER, "Director of ML Engineering"),
            "product": (Role.PRODUCT_MANAGER, "Head of ML Product"),
        }
        for group, (role, title) in directors.items():
            ml.directors[group] = self.add_person(role=role, title=title, manager=ml.head)

        # A chain one step deeper than layers_max; the manager in its middle has left, so the
        # one below reports to someone inactive, and the others each have a single report.
        manager = ml.directors["science"]
        for step in range(2, DEEP_CHAIN_STEPS + 1):
            bottom = step == DEEP_CHAIN_STEPS
            manager = self.add_person(
                role=Role.SCIENTIST if bottom else Role.SCIENCE_MANAGER,
                title="Research Scientist" if bottom else "Science Manager",
                manager=manager,
                active=step != 4,
            )
            ml.chain.append(manager)

        # Labelers under one operations manager each: a span wider than span_max.
        for _ in range(max(1, round(self.ml_size / 1000))):
            labeling = self.add_person(
                role=Role.OPS_MANAGER,
                title="Labeling Operations Manager",
                manager=ml.directors["data"],
            )
            for _ in range(WIDE_SPAN):
                ml.labelers.append(
                    self.add_person(role=Role.OTHER, title="Data Annotator", manager=labeling)
                )

        # In the ML org with nothing to do: no team, no pipeline, no reports.
        for _ in range(max(1, self.ml_size // 500)):
            ml.unallocated.append(
                self.add_person(
                    role=Role.OTHER, title="ML Program Manager", manager=ml.directors["product"]
                )
            )
        for _ in range(max(1, self.planted_teams // 2)):
            ml.former_leads.append(
                self.add_person(
                    role=Role.TECH_LEAD,
                    title="Tech Lead, ML Platform",
                    manager=ml.directors["platform"],
                    active=False,
                )
            )
        for _ in range(max(1, self.planted_pipelines // 4)):
            ml.former_pms.append(
                self.add_person(
                    role=Role.PRODUCT_MANAGER,
                    title="Product Manager, ML",
                    manager=ml.directors["product"],
                    active=False,
                )
            )
        # About one PM per four pipelines, at most a tenth of the ML org.
        pm_count = max(2, min(round(self.pipeline_count / 4), round(self.ml_size * 0.1)))
        ml.pms = self.grow(
            ml.directors["product"],
            pm_count,
            span=8,
            function="ML Product",
            manager_role=Role.PRODUCT_MANAGER,
            individuals=((Role.PRODUCT_MANAGER, "Product Manager, ML", 1.0),),
        )

        rest = self.ml_size - (len(self.people) - start)
        if rest < 4:
            raise ValueError(
                "Too few people for the ML org's planted problems; ask for more --people or "
                "fewer --pipelines."
            )
        sizes = _split(
            rest, {"data": 0.2, "platform": 0.3, "science": 0.3, "engineering": 0.2}, minimum=1
        )
        groups: dict[str, tuple[str, str, Individuals]] = {
            "data": (
                "Data Operations", Role.OPS_MANAGER,
                ((Role.DATA_ENGINEER, "Data Engineer", 0.6), (Role.OTHER, "Data Annotator", 0.4)),
            ),
            "platform": (
                "ML Platform", Role.ENGINEERING_MANAGER,
                (
                    (Role.SOFTWARE_ENGINEER, "Software Engineer, ML Platform", 0.55),
                    (Role.ML_ENGINEER, "ML Engineer", 0.35),
                    (Role.TECH_LEAD, "Tech Lead", 0.1),
                ),
            ),
            "science": (
                "Applied Science", Role.SCIENCE_MANAGER,
                (
                    (Role.SCIENTIST, "Applied Scientist", 0.7),
                    (Role.ML_ENGINEER, "ML Engineer", 0.3),
                ),
            ),
            "engineering": (
                "ML Engineering", Role.ENGINEERING_MANAGER,
                (
                    (Role.ML_ENGINEER, "ML Engineer", 0.6),
                    (Role.SOFTWARE_ENGINEER, "Software Engineer, ML Serving", 0.4),
                ),
            ),
        }
        for group, (function, manager_role, individuals) in groups.items():
            ml.individuals[group] = self.grow(
                ml.directors[group],
                sizes[group],
                span=7,
                function=function,
                manager_role=manager_role,
                individuals=individuals,
            )
        ml.individuals["data"] = ml.labelers + ml.individuals["data"]
        ml.individuals["science"].append(ml.chain[-1])
        ml.members = range(start, len(self.people))
        self.protected.update(
            [ml.head, *ml.directors.values(), *ml.chain, *ml.labelers, *ml.unallocated]
        )
        self.protected.update(ml.former_leads + ml.former_pms)
        return ml

    def plan_ml_teams(self, ml: _MlOrg, hires: list[int]) -> _MlTeams:
        """Specialised teams of the ML org, led by their members' manager, and the planted
        team problems: no lead, a lead who left, empty, idle, a single member, two members
        under one FTE."""
        kinds = _split(self.ml_team_count, ML_KIND_WEIGHTS, minimum=2)
        by_kind: dict[str, list[int]] = {}
        for kind, count in kinds.items():
            bases = TEAM_BASES[kind]
            by_kind[kind] = []
            for number in range(count):
                area = self.areas[(number // len(bases)) % len(self.areas)]
                name = f"{area} {bases[number % len(bases)]}"
                by_kind[kind].append(self.add_team(name, kind))

        teams = _MlTeams(by_kind=by_kind)
        normal = {kind: list(indices) for kind, indices in by_kind.items()}

        def plant(preferred: str) -> int:
            # Keep at least one ordinary team of every kind to own its stage.
            kind = preferred if len(normal[preferred]) >= 2 else max(
                normal, key=lambda other: len(normal[other])
            )
            return normal[kind].pop()

        for _ in range(self.planted_teams):
            teams.single.append(plant(TeamKind.DEPLOYMENT))
            teams.no_lead.append(plant(TeamKind.TOOLING))
            teams.lead_left.append(plant(TeamKind.MODELING))
            teams.empty.append(plant(TeamKind.INFRASTRUCTURE))
            teams.idle.append(plant(TeamKind.MODELING))
            teams.thin.append(plant(TeamKind.DEPLOYMENT))

        group_kinds = {
            "data": (TeamKind.DATA_OPS,),
            "platform": (TeamKind.TOOLING, TeamKind.INFRASTRUCTURE),
            "science": (TeamKind.MODELING,),
            "engineering": (TeamKind.DEPLOYMENT,),
        }
        first_membership: dict[int, PlannedMembership] = {}
        for group, group_team_kinds in group_kinds.items():
            group_teams = [team for kind in group_team_kinds for team in by_kind[kind]]
            individuals = list(ml.individuals[group])
            members: dict[int, list[int]] = {team: [] for team in group_teams}
            for team in group_teams:
                if team in teams.single and individuals:
                    members[team].append(individuals.pop())
                if team in teams.thin and len(individuals) >= 2:
                    members[team] += [individuals.pop(), individuals.pop()]
            receiving = [
                team for team in group_teams
                if team not in teams.single + teams.empty + teams.thin
            ]
            for position, person in enumerate(individuals):
                members[receiving[position * len(receiving) // len(individuals)]].append(person)
            for team in group_teams:
                self.lead_by_their_manager(team, members[team], ml.directors[group])
                for person in members[team]:
                    first_membership[person] = self.add_member(
                        person, team, THIN_ALLOCATION if team in teams.thin else 100
                    )
        for team in teams.no_lead:
            self.teams[team].lead = None
        for position, team in enumerate(teams.lead_left):
            self.teams[team].lead = ml.former_leads[position % len(ml.former_leads)]
        for position, hire in enumerate(hires):
            team = normal[TeamKind.DEPLOYMENT][position % len(normal[TeamKind.DEPLOYMENT])]
            self.add_member(hire, team)

        # Labels produced is a volume, not an outcome: every third data operations team.
        for position, team in enumerate(by_kind[TeamKind.DATA_OPS]):
            if position % 3 == 0:
                self.teams[team].kpi, self.teams[team].kpi_type = (
                    OUTPUT_VOLUME_KPI, KpiType.OUTPUT_VOLUME,
                )
            else:
                self.teams[team].kpi, self.teams[team].kpi_type = TEAM_KPIS[TeamKind.DATA_OPS]
        for kind in (TeamKind.TOOLING, TeamKind.INFRASTRUCTURE, TeamKind.MODELING,
                     TeamKind.DEPLOYMENT):
            for team in by_kind[kind]:
                self.teams[team].kpi, self.teams[team].kpi_type = TEAM_KPIS[kind]
        # No KPI at all: the first ordinary deployment team, which the first pipelines engage.
        self.teams[normal[TeamKind.DEPLOYMENT][0]].kpi = ""
        self.teams[normal[TeamKind.DEPLOYMENT][0]].kpi_type = ""
        teams.ordinary = normal

        # Some people split their time across two teams; a few are promised more than 100%.
        all_normal = [team for kind in normal for team in normal[kind]]
        candidates = [
            person for person, membership in first_membership.items()
            if person not in ml.chain and membership.team not in teams.thin
        ]
        split_count = round(len(candidates) * 0.05)
        over_count = max(1, round(len(candidates) * 0.01))
        chosen = self.rng.sample(candidates, split_count + over_count)
        for position, person in enumerate(chosen):
            membership = first_membership[person]
            second = self.rng.choice(
                [team for team in all_normal if team != membership.team]
            )
            if position < over_count:
                self.add_member(person, second, self.rng.randint(20, 50))
                self.protected.add(person)
            else:
                membership.allocation = 60
                self.add_member(person, second, 40)

        teams.engageable = {
            kind: [team for team in by_kind[kind] if team not in teams.idle] for kind in by_kind
        }
        return teams

    def plan_squads(self, product: list[int]) -> tuple[list[int], list[int]]:
        """Product squads: a squad lead and their reports, some of them embedded scientists.

        Returns the squads and the Product org's product managers.
        """
        leads = self.bottom_managers(product)
        if len(leads) < self.squad_count:
            raise ValueError(
                "Too few people in the Product org for the squads; ask for fewer --teams."
            )
        squads = []
        for number in range(self.squad_count):
            lead = leads[number * len(leads) // self.squad_count]
            area = self.areas[number % len(self.areas)]
            word = SQUAD_WORDS[(number // len(self.areas)) % len(SQUAD_WORDS)]
            squad = self.add_team(f"{area} {word} Squad", TeamKind.PRODUCT_SQUAD, lead)
            self.teams[squad].kpi, self.teams[squad].kpi_type = SQUAD_KPI
            self.people[lead].title = "Squad Lead"
            members = self.reports[lead]
            # Embedded scientists report to the squad lead, not to a science manager. The
            # first squad has a lone one, the second two; the others zero to three.
            embedded = {0: 1, 1: 2}.get(number, self.rng.choice((0, 1, 1, 2, 3)))
            for member in members[: min(embedded, len(members) - 1)]:
                if number == 0 or self.rng.random() < 0.7:
                    role, title = Role.SCIENTIST, "Applied Scientist (embedded)"
                else:
                    role, title = Role.ML_ENGINEER, "ML Engineer (embedded)"
                self.people[member].role, self.people[member].title = str(role), title
                if number < 2:
                    self.protected.add(member)
            for member in members:
                self.add_member(member, squad)
            squads.append(squad)
        pms = [person for person in product if self.people[person].role == Role.PRODUCT_MANAGER]
        if not pms:
            pms = [product[-1]]
            self.people[pms[0]].role, self.people[pms[0]].title = (
                str(Role.PRODUCT_MANAGER), "Product Manager",
            )
        return squads, pms

    def plan_outside_teams(self, infrastructure: list[int], research: list[int]) -> _OutsideTeams:
        """Specialised teams led from the company Infrastructure and Research orgs: critical
        dependencies under other management. Each is a manager and their reports."""
        outside = _OutsideTeams()
        infrastructure_count = max(1, round(self.outside_team_count * 0.6))
        research_count = self.outside_team_count - infrastructure_count
        infrastructure_leads = self.bottom_managers(infrastructure)
        for number in range(infrastructure_count):
            kind = TeamKind.TOOLING if number % 3 == 2 else TeamKind.INFRASTRUCTURE
            name = COMPANY_INFRASTRUCTURE_TEAMS[number % len(COMPANY_INFRASTRUCTURE_TEAMS)]
            lead = infrastructure_leads[number * len(infrastructure_leads) // infrastructure_count]
            outside.infrastructure.append(self.add_manager_team(name, kind, lead))
        research_leads = self.bottom_managers(research)
        for number in range(research_count):
            name = f"{RESEARCH_TOPICS[number % len(RESEARCH_TOPICS)]} Research Lab"
            lead = research_leads[number * len(research_leads) // research_count]
            team = self.add_manager_team(name, TeamKind.MODELING, lead)
            self.teams[team].kpi, self.teams[team].kpi_type = PUBLICATIONS_KPI
            outside.research.append(team)
        return outside

    def plan_borrowed_staff(self, ml_teams: _MlTeams, infrastructure: list[int]) -> None:
        """Seed 002's trap from the other side: ML infrastructure teams staffed with engineers
        who report into the company Infrastructure org. They join an ordinary ML team at
        half time, and nothing else."""
        in_a_team = {membership.person for membership in self.memberships}
        engineers = [
            person
            for person in infrastructure
            if not self.reports[person] and person not in in_a_team
        ]
        teams = ml_teams.ordinary[TeamKind.INFRASTRUCTURE]
        for position, person in enumerate(engineers[: self.planted_teams]):
            self.add_member(person, teams[position % len(teams)], 50)
            self.protected.add(person)

    def add_manager_team(self, name: str, kind: str, lead: int) -> int:
        """A team of a manager's reports; the reports join only the manager's first team."""
        team = self.add_team(name, kind, lead)
        self.teams[team].kpi, self.teams[team].kpi_type = TEAM_KPIS[kind]
        if lead not in self.leads_with_members:
            self.leads_with_members.add(lead)
            for member in self.reports[lead]:
                self.add_member(member, team)
        return team

    def plan_other_teams(self, ml: _MlOrg) -> None:
        """Guilds and councils of the ML org: managers give them a tenth of their time."""
        managers = [
            person
            for person in ml.members
            if self.reports[person] and self.people[person].active and person not in ml.chain
        ]
        for number in range(self.other_team_count):
            team = self.add_team(OTHER_TEAMS[number % len(OTHER_TEAMS)], TeamKind.OTHER, ml.head)
            for position in range(min(4, len(managers))):
                manager = managers[(number * 4 + position) % len(managers)]
                self.add_member(manager, team, 10)

    def plan_leavers(self, ml: _MlOrg) -> None:
        """People who left stay in the design as inactive: some individual contributors
        everywhere, and a few managers outside the ML org whose reports still point at them."""
        leaves = [
            person
            for person in range(len(self.people))
            if not self.reports[person] and person not in self.protected
        ]
        for person in leaves:
            if self.rng.random() < 0.015:
                self.people[person].active = False
        managers = [
            person
            for person in range(len(self.people))
            if self.reports[person]
            and person not in self.protected
            and person not in ml.members
        ]
        for person in self.rng.sample(managers, max(1, round(self.size * 0.001))):
            self.people[person].active = False

    def plan_pipelines(
        self,
        ml: _MlOrg,
        ml_teams: _MlTeams,
        squads: list[int],
        outside: _OutsideTeams,
        product_pms: list[int],
    ) -> list[PlannedPipeline]:
        """Pipelines owned mostly by ML PMs, engaging 3 to 8 teams, and the planted pipeline
        problems: no PM, a PM who left, a non-PM owner, a PM outside the ML org, a stage
        nobody owns, a stage with two owners."""
        rng = self.rng
        combinations = [(area, task) for area in self.areas for task in TASKS]
        rng.shuffle(combinations)
        # Past every area and task, later versions of the same models.
        named = [
            (f"{area} {task}" + (f" v{version}" if version > 1 else ""), task)
            for version in range(1, self.pipeline_count // len(combinations) + 2)
            for area, task in combinations
        ]

        planted = self.planted_pipelines
        pms = itertools.cycle(
            [pm for pm in ml.pms if self.people[pm].active] or [ml.directors["product"]]
        )
        non_pms = itertools.cycle(
            [ml.directors[group] for group in ("science", "platform", "engineering", "data")]
        )
        former_pms = itertools.cycle(ml.former_pms)
        outside_pms = itertools.cycle(
            [pm for pm in product_pms if self.people[pm].active] or product_pms
        )
        pools = {kind: itertools.cycle(teams) for kind, teams in ml_teams.engageable.items()}
        second_modeling = len(ml_teams.engageable[TeamKind.MODELING]) >= 2
        research = itertools.cycle(outside.research)
        squad_pool = itertools.cycle(squads)
        outside_teams = [
            (team, EngagementRole.SERVICE) for team in outside.infrastructure
        ] + [(team, EngagementRole.CONTRIBUTOR) for team in outside.research]
        outside_pool = itertools.cycle(outside_teams)
        outside_used = 0

        pipelines = []
        for number in range(self.pipeline_count):
            problem = number // planted if number < PIPELINE_PROBLEMS * planted else None
            name, task = named[number]
            if problem in (STAGE_UNOWNED, STAGE_TWO_OWNERS, NO_METRIC):
                lifecycle = Lifecycle.PRODUCTION
            else:
                lifecycle = rng.choices(
                    (Lifecycle.PRODUCTION, Lifecycle.INCUBATING, Lifecycle.SUNSET),
                    (0.55, 0.35, 0.10),
                )[0]
            stages = [Stage.DATA, Stage.INFRASTRUCTURE, Stage.MODELING, Stage.DEPLOYMENT]
            if rng.random() < 0.3:
                stages.insert(1, Stage.TOOLING)
            if problem == NO_PM:
                pm_owner = None
            elif problem == PM_LEFT:
                pm_owner = next(former_pms)
            elif problem == NOT_A_PM:
                pm_owner = next(non_pms)
            elif problem == PM_OUTSIDE:
                pm_owner = next(outside_pms)
            else:
                pm_owner = next(pms)
            pipeline = PlannedPipeline(
                name=name,
                pm_owner=pm_owner,
                lifecycle=str(lifecycle),
                tier=str(rng.choices((Tier.CRITICAL, Tier.HIGH, Tier.NORMAL), (0.2, 0.3, 0.5))[0]),
                metric="" if problem == NO_METRIC else TASKS[task],
                required_stages=[str(stage) for stage in stages],
            )
            roles = pipeline.engagements

            if lifecycle == Lifecycle.INCUBATING and rng.random() < 0.5:
                # Embedded teams incubate: the squad owns it, specialists contribute.
                roles[next(squad_pool)] = EngagementRole.OWNER
                for stage in rng.sample(stages, rng.randint(2, 4)):
                    roles[next(pools[STAGE_KIND[stage]])] = EngagementRole.CONTRIBUTOR
            else:
                for stage in stages:
                    unowned = problem == STAGE_UNOWNED and stage == Stage.DEPLOYMENT
                    team = next(pools[STAGE_KIND[stage]])
                    roles[team] = EngagementRole.CONTRIBUTOR if unowned else EngagementRole.OWNER
                if problem == STAGE_TWO_OWNERS:
                    pool = pools[TeamKind.MODELING] if second_modeling else research
                    roles[next(pool)] = EngagementRole.OWNER
                if rng.random() < 0.6:
                    roles[next(squad_pool)] = EngagementRole.CONTRIBUTOR
                if outside_used < len(outside_teams) or rng.random() < 0.35:
                    team, role = next(outside_pool)
                    roles.setdefault(team, role)
                    outside_used += 1
                if Stage.TOOLING not in stages and len(roles) < 8 and rng.random() < 0.3:
                    roles.setdefault(next(pools[TeamKind.TOOLING]), EngagementRole.SERVICE)
            pipeline.engagements = {team: str(role) for team, role in roles.items()}
            pipelines.append(pipeline)
        self.over_commit(pipelines, ml_teams)
        return pipelines

    def over_commit(self, pipelines: list[PlannedPipeline], ml_teams: _MlTeams) -> None:
        """Promise one ordinary team to two pipelines at 60% each: team.over_committed."""
        ordinary = {team for teams in ml_teams.ordinary.values() for team in teams}
        working: dict[int, list[PlannedPipeline]] = defaultdict(list)
        for pipeline in pipelines:
            for team, role in pipeline.engagements.items():
                if team in ordinary and role != EngagementRole.SERVICE:
                    working[team].append(pipeline)
        team = next((team for team, found in working.items() if len(found) >= 2), None)
        if team is not None:
            for pipeline in working[team][:2]:
                pipeline.efforts[team] = OVER_COMMITTED_EFFORT
