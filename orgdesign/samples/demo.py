"""The demo organisation: a realistic ML group with the problems the seed documents describe.

- the ML infrastructure team reports into the company Infrastructure org (seed 002: "put ML
  Infrastructure teams into a broader Infrastructure org"), and a modeling group sits under a
  separate Research org: both are critical dependencies outside the ML org;
- the labeling team is measured on labels produced, and the research group on papers, not on
  model outcome; the tooling team has no KPI at all;
- the deployment team borrows a site reliability engineer from the company Infrastructure org;
- a pipeline has no PM, another leaves its deployment stage unowned, a third runs in
  production without a model metric;
- an ML engineer is split across two teams for 120%;
- the Ranking Models team is promised to two pipelines for 110% of its capacity;
- the Checkout Squad incubates fraud scoring with 0.9 of a full-time person;
- contractor labelers from a vendor (seed 002: Data Ops managers oversee "contractor
  operations teams") work in Vendor Labeling under the ML org's data operations manager, their
  solid line at the company's vendor manager: contractors, so nothing is flagged about them;
- scientists are embedded in product squads, one of them managed by the squad lead and alone
  in the squad (seed 000: "Squad-lead does not manage scientists", "not all squads are ML
  savvy");
- a software catalog (`catalog/`): the feature store the home feed runs on is owned by ML
  Platform, outside the ML org, and the query ranker of search relevance by Ranking Models,
  while the matrix has Applied Research own that stage (Conway's check);
- a hiring plan: a level table in USD (the vendor's labelers have no level, so they cost
  nothing here), and three open positions, one of which (a half-time ML engineer for the
  Checkout Squad) gives fraud scoring its full FTE once filled: the findings judged with the
  plan (`?plan=1`) no longer flag it as understaffed.

Everything is written through the services, like any other door into the design.

The demo also has a past (`give_a_past`), so the health page has a quarter to draw and
`?as_of=` something to show: built twelve weeks ago with more problems than today, which
were fixed one after another (`PAST`), each on its day in the history.
"""

import datetime
from pathlib import Path

from django.db import transaction
from django.db.models import F, Max

from orgdesign.history.services import KINDS
from pipelines import positions as position_services
from pipelines import services as pipeline_services
from pipelines.catalog import catalog_apply, read_files
from teams import levels as level_services
from teams import services
from teams.models import Organisation, Team

# key, name, title, role, manager key
PEOPLE = [
    ("ceo", "Helena Brandt", "Chief Executive Officer", "executive", None),
    ("cto", "Marcus Lee", "Chief Technology Officer", "executive", "ceo"),
    ("vp-infra", "Priya Shah", "VP Infrastructure", "executive", "cto"),
    ("vp-research", "Tomás Ortega", "VP Research", "executive", "cto"),
    ("vp-ml", "Amara Okafor", "VP Machine Learning", "executive", "cto"),
    ("vp-product", "Olivia Chen", "VP Product", "executive", "ceo"),
    # Company Infrastructure org, outside ML: the ML platform team sits here.
    ("infra-lead", "Dana Kim", "Engineering Manager, ML Platform", "engineering_manager",
     "vp-infra"),
    ("infra-1", "Felix Braun", "Data Engineer", "data_engineer", "infra-lead"),
    ("infra-2", "Sofia Rossi", "Data Engineer", "data_engineer", "infra-lead"),
    ("infra-3", "Kwame Mensah", "Software Engineer", "software_engineer", "infra-lead"),
    ("infra-sre", "Jamal Wright", "Site Reliability Engineer", "software_engineer",
     "infra-lead"),
    # Research org, outside ML: an applied modeling group.
    ("research-lead", "Yuki Tanaka", "Research Manager", "science_manager", "vp-research"),
    ("research-1", "Arjun Mehta", "Research Scientist", "scientist", "research-lead"),
    ("research-2", "Chloé Martin", "Research Scientist", "scientist", "research-lead"),
    # The ML org.
    ("pm-1", "Jonas Weber", "ML Product Manager", "product_manager", "vp-ml"),
    ("pm-2", "Grace Park", "ML Product Manager", "product_manager", "vp-ml"),
    ("science-mgr", "Ines Duarte", "Science Manager", "science_manager", "vp-ml"),
    ("sci-1", "Lucas Almeida", "Applied Scientist", "scientist", "science-mgr"),
    ("sci-2", "Hana Sato", "Applied Scientist", "scientist", "science-mgr"),
    ("sci-3", "Omar Farouk", "Applied Scientist", "scientist", "science-mgr"),
    ("mle-1", "Mia Novak", "ML Engineer", "ml_engineer", "science-mgr"),
    ("dataops-lead", "Lena Fischer", "Data Operations Manager", "ops_manager", "vp-ml"),
    ("dataops-1", "Carlos Ruiz", "Labeling QA Lead", "ops_manager", "dataops-lead"),
    ("dataops-2", "Aisha Bello", "Labeling Operations Analyst", "ops_manager", "dataops-lead"),
    ("tooling-lead", "Sam Rivera", "Engineering Manager, ML Tooling", "engineering_manager",
     "vp-ml"),
    ("tooling-1", "Nina Petrova", "Full-stack Engineer", "software_engineer", "tooling-lead"),
    ("tooling-2", "Tom Becker", "Full-stack Engineer", "software_engineer", "tooling-lead"),
    ("deploy-lead", "Noor Haddad", "Engineering Manager, Deployment", "engineering_manager",
     "vp-ml"),
    ("deploy-1", "Erik Lund", "ML Engineer", "ml_engineer", "deploy-lead"),
    ("deploy-2", "Zara Ahmed", "Performance Engineer", "software_engineer", "deploy-lead"),
    ("tech-lead", "Pablo Jiménez", "Principal Engineer", "tech_lead", "vp-ml"),
    # Product org: squads with embedded scientists.
    ("squad-lead-1", "Ben Carter", "Squad Lead, Discovery", "engineering_manager",
     "vp-product"),
    ("squad-1-eng", "Laura Schmidt", "Software Engineer", "software_engineer", "squad-lead-1"),
    ("squad-lead-2", "Maya Singh", "Squad Lead, Checkout", "engineering_manager", "vp-product"),
    ("squad-2-eng", "David Cohen", "Software Engineer", "software_engineer", "squad-lead-2"),
    ("squad-2-sci", "Ravi Patel", "Data Scientist", "scientist", "squad-lead-2"),
    ("squad-pm", "Emma Wilson", "Product Manager, Checkout", "product_manager", "vp-product"),
    # The company's vendor management, and a labeling vendor's staff (contractors).
    ("vendor-mgr", "Rosa Lima", "Vendor Manager", "ops_manager", "ceo"),
    ("labeler-1", "Yusuf Demir", "Labeler (LabelCo)", "other", "vendor-mgr"),
    ("labeler-2", "Mei Tanaka", "Labeler (LabelCo)", "other", "vendor-mgr"),
    ("labeler-3", "Rafael Costa", "Labeling Team Lead (LabelCo)", "ops_manager", "vendor-mgr"),
]

CONTRACTORS = {"labeler-1", "labeler-2", "labeler-3"}

# name, kind, lead key, KPI, KPI type, [(member key, allocation)]
TEAMS = [
    ("Labeling Ops", "data_ops", "dataops-lead", "Labels produced per week", "output_volume",
     [("dataops-1", 100), ("dataops-2", 100)]),
    ("ML Tooling", "tooling", "tooling-lead", "", "",
     [("tooling-1", 100), ("tooling-2", 100)]),
    ("ML Platform", "infrastructure", "infra-lead", "Platform uptime", "other",
     [("infra-1", 100), ("infra-2", 100), ("infra-3", 100)]),
    ("Ranking Models", "modeling", "science-mgr", "Feed engagement lift", "model_outcome",
     [("sci-1", 100), ("mle-1", 80)]),
    ("Applied Research", "modeling", "research-lead", "Papers accepted", "publications",
     [("research-1", 100), ("research-2", 100)]),
    ("Model Deployment", "deployment", "deploy-lead", "p99 inference latency", "model_outcome",
     [("deploy-1", 100), ("deploy-2", 100), ("mle-1", 40), ("infra-sre", 50)]),
    ("Discovery Squad", "product_squad", "squad-lead-1", "Weekly active listeners", "other",
     [("squad-1-eng", 100), ("sci-2", 100), ("sci-3", 100)]),
    ("Checkout Squad", "product_squad", "squad-lead-2", "Checkout conversion", "other",
     [("squad-2-eng", 50), ("squad-2-sci", 40)]),
    ("Vendor Labeling", "data_ops", "dataops-lead", "Moderation model recall", "model_outcome",
     [("labeler-1", 100), ("labeler-2", 100), ("labeler-3", 100)]),
]

# The level table: name, annual cost in USD (salary and overheads).
LEVELS = [("L3", 110_000), ("L4", 145_000), ("L5", 185_000), ("L6", 235_000),
          ("L7", 300_000), ("E1", 380_000)]

# Each person's level, by key; the executives at E1; the vendor's labelers have none.
PERSON_LEVELS = {
    "ceo": "E1", "cto": "E1", "vp-infra": "E1", "vp-research": "E1", "vp-ml": "E1",
    "vp-product": "E1", "infra-lead": "L6", "infra-1": "L4", "infra-2": "L5", "infra-3": "L4",
    "infra-sre": "L5", "research-lead": "L6", "research-1": "L5", "research-2": "L5",
    "pm-1": "L5", "pm-2": "L5", "science-mgr": "L6", "sci-1": "L5", "sci-2": "L4", "sci-3": "L4",
    "mle-1": "L5", "dataops-lead": "L5", "dataops-1": "L4", "dataops-2": "L3",
    "tooling-lead": "L6", "tooling-1": "L4", "tooling-2": "L3", "deploy-lead": "L6",
    "deploy-1": "L5", "deploy-2": "L4", "tech-lead": "L7", "squad-lead-1": "L6",
    "squad-1-eng": "L4", "squad-lead-2": "L6", "squad-2-eng": "L4", "squad-2-sci": "L5",
    "squad-pm": "L5", "vendor-mgr": "L4",
}

# Open positions: team, title, role, level, FTE, target date, pipeline.
POSITIONS = [
    ("Checkout Squad", "ML Engineer, fraud", "ml_engineer", "L5", 50,
     datetime.date(2027, 3, 1), "Fraud scoring"),
    ("Model Deployment", "Site Reliability Engineer", "software_engineer", "L5", 100,
     datetime.date(2027, 4, 15), None),
    ("Ranking Models", "Applied Scientist", "scientist", "L5", 100,
     datetime.date(2027, 6, 1), "Home feed ranking"),
]

# name, PM key, lifecycle, tier, metric, {team name: role or (role, effort)}
PIPELINES = [
    ("Home feed ranking", "pm-1", "production", "critical", "NDCG@10", {
        "Labeling Ops": ("owner", 40), "ML Tooling": "contributor", "ML Platform": ("owner", 35),
        "Ranking Models": ("owner", 60), "Model Deployment": "owner",
    }),
    ("Search relevance", "pm-2", "production", "high", "Mean reciprocal rank", {
        "Labeling Ops": "owner", "ML Platform": "owner", "Applied Research": "owner",
        "Model Deployment": "contributor",
    }),
    ("Ad click prediction", "pm-2", "production", "critical", "Log loss", {
        "Labeling Ops": "owner", "ML Platform": "owner", "Ranking Models": ("owner", 50),
        "Model Deployment": "owner", "ML Tooling": "service",
    }),
    ("Content moderation", "pm-1", "production", "high", "", {
        "Labeling Ops": "owner", "ML Platform": "owner", "Ranking Models": "owner",
        "Model Deployment": "owner", "Vendor Labeling": "contributor",
    }),
    ("Podcast recommendations", None, "incubating", "normal", "Listen-through rate", {
        "Discovery Squad": "owner", "ML Platform": "service",
    }),
    ("Fraud scoring", "squad-pm", "incubating", "high", "Precision at 1% FPR", {
        "Checkout Squad": "owner", "Ranking Models": "contributor",
    }),
]

# The HR department of everyone under each of these people (the executives in "Executive"),
# as an HR system would send it: the company org each person sits in.
DEPARTMENTS = {
    "ceo": "Executive", "vp-infra": "Infrastructure", "vp-research": "Research",
    "vp-ml": "Machine Learning", "vp-product": "Product", "vendor-mgr": "Vendor Management",
}


def _department(key: str, managers: dict[str, str | None]) -> str:
    while key is not None and key not in DEPARTMENTS:
        key = managers[key]
    return DEPARTMENTS.get(key, "")


DEMO_SLUG = "demo"
DEMO_NAME = "Northwind Media (demo)"


@transaction.atomic
def build_demo(*, slug: str = DEMO_SLUG, name: str = DEMO_NAME) -> Organisation:
    """Create the demo organisation. The caller makes sure the slug is free."""
    organisation = services.organisation_create(slug=slug, name=name)
    people = {}
    managers = {key: manager_key for key, _, _, _, manager_key in PEOPLE}
    for key, person_name, title, role, manager_key in PEOPLE:
        people[key] = services.person_create(
            organisation=organisation,
            name=person_name,
            external_id=f"NW-{len(people) + 1:04d}",
            email=f"{key}@northwind.example",
            title=title,
            department=_department(key, managers),
            role=role,
            manager=people[manager_key] if manager_key else None,
            worker_type="contractor" if key in CONTRACTORS else "employee",
            level=PERSON_LEVELS.get(key, ""),
        )
    services.person_update(person=people["tech-lead"], dotted_line_managers=[people["cto"]])
    services.organisation_update(organisation=organisation, ml_head=people["vp-ml"])

    teams = {}
    for team_name, kind, lead_key, kpi, kpi_type, members in TEAMS:
        team = services.team_create(
            organisation=organisation,
            name=team_name,
            kind=kind,
            lead=people[lead_key],
            kpi=kpi,
            kpi_type=kpi_type,
        )
        teams[team_name] = team
        for member_key, allocation in members:
            services.membership_set(person=people[member_key], team=team, allocation=allocation)

    pipelines = {}
    for pipeline_name, pm_key, lifecycle, tier, metric, cells in PIPELINES:
        pipeline = pipeline_services.pipeline_create(
            organisation=organisation,
            name=pipeline_name,
            pm_owner=people[pm_key] if pm_key else None,
            lifecycle=lifecycle,
            tier=tier,
            metric=metric,
        )
        for team_name, cell in cells.items():
            role, effort = cell if isinstance(cell, tuple) else (cell, None)
            pipeline_services.engagement_set(
                pipeline=pipeline, team=teams[team_name], role=role, effort=effort
            )
        pipelines[pipeline_name] = pipeline

    for level_name, cost in LEVELS:
        level_services.level_create(organisation=organisation, name=level_name, annual_cost=cost)
    for team_name, title, role, level, fte, target, pipeline_name in POSITIONS:
        position_services.position_create(
            organisation=organisation, team=teams[team_name], title=title, role=role,
            level=level, fte=fte, target_date=target,
            pipeline=pipelines[pipeline_name] if pipeline_name else None,
        )
    # Its software catalog (orgdesign/samples/catalog/), as `import_catalog` would read it.
    catalog_apply(organisation, read_files(organisation, [
        (f"catalog/{path.name}", path.read_bytes()) for path in sorted(CATALOG.iterdir())]))
    organisation.refresh_from_db()
    return organisation


# The demo's software catalog: Backstage entities and a CODEOWNERS file.
CATALOG = Path(__file__).resolve().parent / "catalog"

# The demo's past: how many days ago it was built, and the problems it had then that were
# fixed since, each (days ago, what was wrong then): a change made at build time, undone on
# that day.
BUILT_DAYS_AGO = 84
PAST = [
    (63, "Model Deployment did not own the deployment of Ad click prediction yet"),
    (49, "Content moderation had no PM until Jonas Weber took it"),
    (35, "Applied Research owned the modeling of Home feed ranking beside Ranking Models"),
    (21, "ML Tooling was measured on tickets closed"),
]


def _marks() -> dict:
    return {model: model.history.aggregate(last=Max("history_id"))["last"] or 0
            for model in KINDS.values()}


def _date_since(organisation: Organisation, marks: dict, days_ago: int) -> None:
    """Move what was recorded of the design since `marks` back by `days_ago` days."""
    for model, last in marks.items():
        model.history.filter(history_org=organisation.pk, history_id__gt=last).update(
            history_date=F("history_date") - datetime.timedelta(days=days_ago))


def give_a_past(organisation: Organisation) -> None:
    """Make the demo twelve weeks old: its build, and the problems of `PAST`, dated
    BUILT_DAYS_AGO days back, then each problem fixed on its day. Today's design is the one
    `build_demo` made; only the history says how it got there."""
    org = organisation.pk
    team = {team.name: team for team in Team.objects.filter(organisation=organisation)}
    pipeline = {p.name: p for p in organisation.pipelines.all()}
    pm_1 = pipeline["Home feed ranking"].pm_owner

    def cell(pipeline_name, team_name, role, effort=None):
        pipeline_services.engagement_set(pipeline=pipeline[pipeline_name],
                                         team=team[team_name], role=role, effort=effort)

    def kpi(name, text, kind):
        services.team_update(team=Team.objects.get(pk=team[name].pk), kpi=text, kpi_type=kind)

    def pm(pipeline_name, person):
        pipeline_services.pipeline_update(pipeline=pipeline[pipeline_name], pm_owner=person)

    problems = [
        (lambda: cell("Ad click prediction", "Model Deployment", None),
         lambda: cell("Ad click prediction", "Model Deployment", "owner")),
        (lambda: pm("Content moderation", None), lambda: pm("Content moderation", pm_1)),
        (lambda: cell("Home feed ranking", "Applied Research", "owner"),
         lambda: cell("Home feed ranking", "Applied Research", None)),
        (lambda: kpi("ML Tooling", "Tickets closed", "output_volume"),
         lambda: kpi("ML Tooling", "", "")),
    ]
    for make, _ in problems:
        make()
    _date_since(organisation, dict.fromkeys(KINDS.values(), 0), BUILT_DAYS_AGO)
    Organisation.objects.filter(pk=org).update(
        created_at=F("created_at") - datetime.timedelta(days=BUILT_DAYS_AGO))
    for (days_ago, _), (_, fix) in zip(PAST, problems, strict=True):
        marks = _marks()
        fix()
        _date_since(organisation, marks, days_ago)
    organisation.refresh_from_db()
