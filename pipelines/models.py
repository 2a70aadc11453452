"""Pipelines (the rows of the matrix), engagements (its cells), and positions (the open seats
of the teams, which may be hired for a pipeline)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from teams.models import (
    ALLOCATION_MAX,
    ALLOCATION_MIN,
    Attributed,
    Organisation,
    Person,
    Role,
    Team,
    TeamKind,
    history,
    is_whole_percent,
)


class Stage(models.TextChoices):
    DATA = "data", "Data"
    TOOLING = "tooling", "Tooling"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    MODELING = "modeling", "Modeling"
    DEPLOYMENT = "deployment", "Deployment"


# Each specialised team kind covers the stage of the same name; data_ops covers data.
STAGE_KIND = {
    Stage.DATA: TeamKind.DATA_OPS,
    Stage.TOOLING: TeamKind.TOOLING,
    Stage.INFRASTRUCTURE: TeamKind.INFRASTRUCTURE,
    Stage.MODELING: TeamKind.MODELING,
    Stage.DEPLOYMENT: TeamKind.DEPLOYMENT,
}
KIND_STAGE = {kind: stage for stage, kind in STAGE_KIND.items()}

DEFAULT_REQUIRED_STAGES = [Stage.DATA, Stage.INFRASTRUCTURE, Stage.MODELING, Stage.DEPLOYMENT]


def default_required_stages() -> list[str]:
    return [str(stage) for stage in DEFAULT_REQUIRED_STAGES]


# An engagement's effort: a whole percent of the team's capacity.
EFFORT_MIN, EFFORT_MAX = 1, 100


def is_effort(value: object) -> bool:
    return is_whole_percent(value, EFFORT_MIN, EFFORT_MAX)


class Lifecycle(models.TextChoices):
    INCUBATING = "incubating", "Incubating"
    PRODUCTION = "production", "Production"
    SUNSET = "sunset", "Sunset"


class Tier(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"


class EngagementRole(models.TextChoices):
    OWNER = "owner", "Owner"
    CONTRIBUTOR = "contributor", "Contributor"
    SERVICE = "service", "Service"


class Pipeline(Attributed):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="pipelines"
    )
    name = models.CharField(max_length=200)
    pm_owner = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_pipelines",
        verbose_name="PM owner",
    )
    lifecycle = models.CharField(
        max_length=12, choices=Lifecycle.choices, default=Lifecycle.INCUBATING
    )
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.NORMAL)
    metric = models.CharField("model metric", max_length=200, blank=True)
    # A list of stage names; JSON keeps it portable between SQLite and PostgreSQL.
    required_stages = models.JSONField(default=default_required_stages)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = history()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="pipeline_name_unique_in_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Engagement(Attributed):
    """A cell of the matrix: how a team takes part in a pipeline."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="engagements")
    # A team engaged in pipelines is not deleted behind the matrix's back, whatever the door
    # (the services refuse it with a message). RESTRICT rather than PROTECT: deleting a whole
    # organisation still takes its engagements with its pipelines.
    team = models.ForeignKey(Team, on_delete=models.RESTRICT, related_name="engagements")
    role = models.CharField(max_length=12, choices=EngagementRole.choices)
    # The percent of the team's capacity that goes to this pipeline; unset, the team's
    # capacity left by the set efforts is shared equally (docs/design.md, capacity).
    effort = models.PositiveSmallIntegerField(
        null=True, blank=True,
        validators=[MinValueValidator(EFFORT_MIN), MaxValueValidator(EFFORT_MAX)],
        help_text="Percent of the team's capacity, 1 to 100; empty shares what is left.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = history()

    class Meta:
        ordering = ["pipeline_id", "team_id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "team"], name="engagement_one_per_pair"),
            models.CheckConstraint(
                condition=Q(role__in=[choice.value for choice in EngagementRole]),
                name="engagement_role_valid",
            ),
            models.CheckConstraint(
                condition=Q(effort__isnull=True)
                | (Q(effort__gte=EFFORT_MIN) & Q(effort__lte=EFFORT_MAX)),
                name="engagement_effort_1_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.role} of {self.pipeline_id}"


class PositionStatus(models.TextChoices):
    OPEN = "open", "Open"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"


class Position(Attributed):
    """An open seat (a requisition) in a team: planned capacity, never a person. No finding
    counts it except in plan mode (docs/design.md, position). Filled, it names who filled it;
    cancelled, it stays in the list as it was."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="positions"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="positions")
    title = models.CharField(max_length=200)
    role = models.CharField(max_length=30, choices=Role.choices, default=Role.OTHER)
    # A level's name, as a person's `level` is: the level table may be filled in later.
    level = models.CharField(max_length=20, blank=True)
    fte = models.PositiveSmallIntegerField(
        "FTE", default=100,
        validators=[MinValueValidator(ALLOCATION_MIN), MaxValueValidator(ALLOCATION_MAX)],
        help_text="Percent of one FTE the seat is, 1 to 100.",
    )
    status = models.CharField(
        max_length=10, choices=PositionStatus.choices, default=PositionStatus.OPEN
    )
    target_date = models.DateField(null=True, blank=True)
    pipeline = models.ForeignKey(
        Pipeline, null=True, blank=True, on_delete=models.SET_NULL, related_name="positions",
        help_text="The pipeline the seat is hired for, if one.",
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who filled the position.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = history()

    class Meta:
        ordering = ["team_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fte__gte=ALLOCATION_MIN) & Q(fte__lte=ALLOCATION_MAX),
                name="position_fte_1_100",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in PositionStatus]),
                name="position_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class CatalogKind(models.TextChoices):
    """The kinds of a software catalog's entities that are read (Backstage's, and the rules of
    a CODEOWNERS file); any other kind is left out with a note."""

    GROUP = "group", "Group"
    SYSTEM = "system", "System"
    COMPONENT = "component", "Component"
    RESOURCE = "resource", "Resource"
    API = "api", "API"
    CODEOWNERS = "codeowners", "CODEOWNERS rule"


# The kinds a pipeline runs on: what the catalog findings judge.
RUNNABLE_KINDS = (CatalogKind.COMPONENT, CatalogKind.RESOURCE, CatalogKind.API)


class CatalogEntity(models.Model):
    """One entity of the organisation's software catalog (Backstage's `catalog-info.yaml`
    entities, or one rule of a CODEOWNERS file), as the import read it
    (`pipelines.catalog`): what matches it to the design is kept as read (`owner`, `system`,
    the `orgdesign.io/*` annotations, the source location), and what a person set by hand
    (`team`, `pipeline`, `stage`) beside it. The engine decides the match
    (`orgdesign.analysis.catalog`). Re-importing a source replaces what it brought, hand
    matches of the entities it brings again kept."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="catalog_entities"
    )
    # Which import brought it: a file's name, or the name an API push gives.
    source = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=CatalogKind.choices)
    # Backstage's entity reference, lower case: "component:default/feature-store"; a
    # CODEOWNERS rule's is "codeowners:<source>#<line>".
    ref = models.CharField(max_length=300)
    name = models.CharField(max_length=200)
    # The owner's reference ("group:default/ml-platform", "user:default/dana"), empty when
    # none is given; a CODEOWNERS rule's first owner, as written ("@acme/ml-platform").
    owner = models.CharField(max_length=300, blank=True)
    system = models.CharField(max_length=300, blank=True)  # "system:default/home-feed"
    # The annotations orgdesign.io/team (a group), orgdesign.io/pipeline and
    # orgdesign.io/stage (a component or system), as written.
    team_hint = models.CharField(max_length=200, blank=True)
    pipeline_hint = models.CharField(max_length=200, blank=True)
    stage_hint = models.CharField(max_length=40, blank=True)
    # A component's directory in its repository (from backstage.io/source-location), or a
    # CODEOWNERS rule's pattern.
    path = models.CharField(max_length=500, blank=True)
    # The order of a CODEOWNERS rule in its file (the last match wins).
    position = models.PositiveIntegerField(default=0)
    # Matched by hand on the catalog page (they win over names and annotations).
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    pipeline = models.ForeignKey(Pipeline, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    stage = models.CharField(max_length=40, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "source", "ref"],
                                    name="catalog_entity_once_per_source"),
        ]
        indexes = [models.Index(fields=["organisation", "kind"], name="catalog_org_kind")]

    def __str__(self) -> str:
        return self.ref
