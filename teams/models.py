"""Organisations, people, teams and memberships: the columns and the reporting lines.

Models hold plain fields and database constraints only. Every write goes through
`teams.services`; the analysis of a design lives in `orgdesign.analysis.findings` and
`orgdesign.analysis.structure`.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone
from simple_history.models import HistoricalRecords

from teams.design_version import new_version, writes_seen
from teams.packed_field import PackedJSONField
from teams.secret_field import SecretField


def validate_currency(value: str) -> None:
    """An ISO 4217 code: three capital letters."""
    if not (isinstance(value, str) and len(value) == 3 and value.isascii()
            and value.isalpha() and value.isupper()):
        raise ValidationError(
            "A currency is an ISO 4217 code of three capital letters, such as USD or EUR.",
            code="currency",
        )


class Role(models.TextChoices):
    SCIENTIST = "scientist", "Scientist"
    ML_ENGINEER = "ml_engineer", "ML engineer"
    DATA_ENGINEER = "data_engineer", "Data engineer"
    SOFTWARE_ENGINEER = "software_engineer", "Software engineer"
    OPS_MANAGER = "ops_manager", "Operations manager"
    PRODUCT_MANAGER = "product_manager", "Product manager"
    TECH_LEAD = "tech_lead", "Tech lead"
    ENGINEERING_MANAGER = "engineering_manager", "Engineering manager"
    SCIENCE_MANAGER = "science_manager", "Science manager"
    EXECUTIVE = "executive", "Executive"
    OTHER = "other", "Other"


class WorkerType(models.TextChoices):
    """How someone works for the company. Contractors (agency, vendor or offshore staff) have
    their solid line at their vendor: the rules about reporting lines leave them out."""

    EMPLOYEE = "employee", "Employee"
    CONTRACTOR = "contractor", "Contractor"


# SCIM's userType values read as a contractor (case-insensitive); anything else, an employee.
CONTRACTOR_USER_TYPES = frozenset({"contractor", "vendor", "external", "temp"})


def worker_type_of_user_type(user_type: str) -> str:
    return (
        WorkerType.CONTRACTOR
        if user_type.strip().casefold() in CONTRACTOR_USER_TYPES
        else WorkerType.EMPLOYEE
    )


class TeamKind(models.TextChoices):
    DATA_OPS = "data_ops", "Data operations"
    TOOLING = "tooling", "Tooling"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    MODELING = "modeling", "Modeling"
    DEPLOYMENT = "deployment", "Deployment"
    PRODUCT_SQUAD = "product_squad", "Product squad"
    OTHER = "other", "Other"


# The five kinds that form the columns of an ML matrix, in pipeline order.
SPECIALISED_KINDS = (
    TeamKind.DATA_OPS,
    TeamKind.TOOLING,
    TeamKind.INFRASTRUCTURE,
    TeamKind.MODELING,
    TeamKind.DEPLOYMENT,
)


class KpiType(models.TextChoices):
    MODEL_OUTCOME = "model_outcome", "Model outcome"
    OUTPUT_VOLUME = "output_volume", "Output volume"
    PUBLICATIONS = "publications", "Publications"
    OTHER = "other", "Other"


# Column names of matrix.csv that a team name would collide with.
RESERVED_TEAM_NAMES = ("pipeline", "pm_owner", "lifecycle")
# people.csv writes a person's teams as "Team A:60;Team B:40".
TEAM_NAME_SEPARATORS = (":", ";")


def validate_team_name(name: str) -> None:
    """The rules of a team name that the columns of the CSV formats impose. The database
    enforces the separators too (`team_name_no_separators`)."""
    if name.strip().lower() in RESERVED_TEAM_NAMES:
        raise ValidationError(f"A team cannot be named {name!r}: it is a column of matrix.csv.")
    if any(separator in name for separator in TEAM_NAME_SEPARATORS):
        raise ValidationError("A team name cannot contain ':' or ';'.")


# A membership's share of one person's time, in whole percent.
ALLOCATION_MIN, ALLOCATION_MAX = 1, 100


def is_whole_percent(value: object, minimum: int = 1, maximum: int = 100) -> bool:
    """A whole number from `minimum` to `maximum` (a boolean or a text is not a number here):
    an allocation, an engagement's effort."""
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum


def is_allocation(value: object) -> bool:
    return is_whole_percent(value, ALLOCATION_MIN, ALLOCATION_MAX)


class Door(models.TextChoices):
    """Through which way in a change came, for "who changed what" and attribution."""

    BROWSER = "browser", "Browser"
    API = "api", "API"
    SCIM = "scim", "SCIM"
    IMPORT = "import", "CSV import"
    ADMIN = "admin", "Admin"
    PROMOTION = "promotion", "Scenario promotion"
    CONNECTOR = "connector", "Directory connector"
    SYSTEM = "system", "System"


class Attributed(models.Model):
    """Who changed the row last (a login or an API token), and through which door."""

    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )
    updated_by_token = models.ForeignKey(
        "teams.ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        editable=False,
    )
    updated_via = models.CharField(
        max_length=10, choices=Door.choices, default=Door.SYSTEM, editable=False
    )

    class Meta:
        abstract = True


class HistoryEntry(models.Model):
    """What every history table adds to django-simple-history's columns.

    A row's own attribution columns (`updated_by`, `updated_by_token`, `updated_via`) are
    copied into its history, so each entry says who changed it and through which door. The
    organisation is kept on every entry, memberships and cells included, so one design's
    history reads without joining tables whose rows may be gone.
    """

    history_org = models.BigIntegerField(null=True, editable=False, db_index=True)

    class Meta:
        abstract = True


def history(*, excluded_fields=(), **kwargs) -> HistoricalRecords:
    """The history of a model of the design (see HistoryEntry)."""
    return HistoricalRecords(
        bases=[HistoryEntry],
        # The author is the row's own `updated_by`, set by teams.history on each entry: no
        # request-bound user, and no query for a user the row names only by id.
        get_user=lambda **kwargs: None,
        excluded_fields=["updated_at", *excluded_fields],
        **kwargs,
    )


# The words after /orgs/ that are pages of the app, not organisations (orgdesign/urls.py;
# tests/test_scenario_access.py checks the URLconf against it): no slug may be one of them.
RESERVED_SLUGS = frozenset({"new"})


class MergeApproval(models.TextChoices):
    AUTO = "auto", "When the organisation has more than one admin"
    ALWAYS = "always", "Always"
    NEVER = "never", "Never"


def validate_org_slug(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            f"The address {slug!r} is taken by a page of the app; choose another.",
            code="reserved",
        )


class Organisation(Attributed):
    """One organisation design: a tenant. Everything else belongs to exactly one."""

    slug = models.SlugField(max_length=80, unique=True, validators=[validate_org_slug])
    name = models.CharField(max_length=200)
    ml_head = models.ForeignKey(
        "teams.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The person who leads the ML organisation (e.g. VP of ML).",
    )
    span_max = models.PositiveSmallIntegerField(
        default=10, help_text="More active direct reports than this is a wide span."
    )
    layers_max = models.PositiveSmallIntegerField(
        default=6, help_text="More steps than this from the ML head is too deep."
    )
    # A scenario is a copy of a design to try changes on; its origin is the design it copies
    # (the live one, or another scenario). Kept when the origin goes, as a design of its own.
    scenario_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scenarios",
        editable=False,
    )
    # The live design a scenario belongs to, at the top of its chain of origins: who may see
    # the scenario, and with which role, is decided by the members of this design
    # (orgdesign.access.policy). Null for a live design. Its scenarios go with it.
    home = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="all_scenarios",
        editable=False,
    )
    # A private scenario is seen only by its creator and the admins of its home.
    private = models.BooleanField(
        default=False, help_text="Only its creator and the admins of its origin see it."
    )
    # The currency of the level table's annual costs (ISO 4217). Money is shown to admins only.
    currency = models.CharField(
        max_length=3, default="USD", validators=[validate_currency],
        help_text="ISO 4217 code of the level table's annual costs, such as USD or EUR.",
    )
    # Whether merging a scenario into this design needs an admin's approval first.
    merge_approval = models.CharField(
        max_length=10, choices=MergeApproval.choices, default=MergeApproval.AUTO,
        help_text="Whether a scenario needs an admin's approval before it is merged.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Changed by every write of the design (teams.design_version), never by a save of the
    # organisation's own fields: a save would put back the value it read.
    design_version = models.BigIntegerField(default=new_version, editable=False)
    # How many entities its software catalog holds (pipelines.CatalogEntity), kept by the
    # catalog import: a design without a catalog is loaded without asking for one.
    catalog_size = models.PositiveIntegerField(default=0, editable=False)
    history = history(excluded_fields=["design_version", "catalog_size"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(span_max__gte=1), name="org_span_max_positive",
                violation_error_code="span_max_positive",
                violation_error_message="The widest span must be at least 1.",
            ),
            models.CheckConstraint(
                condition=Q(layers_max__gte=1), name="org_layers_max_positive",
                violation_error_code="layers_max_positive",
                violation_error_message="The deepest chain must be at least 1 layer.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in ("design_version", "catalog_size")
            ]
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance.writes_at_read = writes_seen()
        return instance

    @property
    def is_scenario(self) -> bool:
        return self.home_id is not None

    @property
    def home_pk(self) -> int:
        """The design whose members decide who sees this one: its home, or itself."""
        return self.home_id or self.pk

    @property
    def read_since_write(self) -> bool:
        """Whether this instance was read after this connection's last write of any design,
        so its `design_version` is the one the connection sees."""
        return getattr(self, "writes_at_read", None) == writes_seen()


class AccessRole(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


class OrganisationAccess(models.Model):
    """A login's role in one organisation: viewer reads, editor edits, admin also manages."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="access")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="org_access"
    )
    role = models.CharField(max_length=10, choices=AccessRole.choices, default=AccessRole.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="access_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.organisation}"


def as_row_id(value) -> int | None:
    """A row id read from text (a query string, a SCIM id), or None when the text cannot be
    one: ids are decimal integers of at most 18 ASCII digits (no "²", no 5,000 digits, which
    `int` refuses or the database cannot hold)."""
    text = str(value)
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def scim_user_name_expression():
    """`Person.scim_user_name` in SQL: the login, else the email. Unique per organisation
    whatever its case, and what `userName eq` filters read (through the same index)."""
    return Coalesce(
        NullIf("user_name", models.Value("")), "email", output_field=models.CharField()
    )


class Person(Attributed):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="people")
    external_id = models.CharField(
        max_length=100, blank=True, help_text="The HR system's id; unique in the organisation."
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    # The login an identity provider knows the person by (SCIM userName): often the email,
    # but Okta and Entra ID allow plain logins such as "jsmith". Empty for people who never
    # came through SCIM; their email stands in for it (`scim_user_name`).
    user_name = models.CharField(
        "login (SCIM userName)", max_length=255, blank=True,
        help_text="The identity provider's userName; the email stands in when empty.",
    )
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    # The HR department as the HR system or identity provider sends it: which company org the
    # person sits in. Not derived from the teams, which are the design.
    department = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=30, choices=Role.choices, default=Role.OTHER)
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="direct_reports",
        help_text="Solid-line manager.",
    )
    dotted_line_managers = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dotted_line_reports"
    )
    active = models.BooleanField(default=True)
    worker_type = models.CharField(
        max_length=12, choices=WorkerType.choices, default=WorkerType.EMPLOYEE,
        help_text="Contractors report to their vendor: no reporting-line finding counts them.",
    )
    # The identity provider's userType as it was sent ("Vendor", "Temp", ...), kept so SCIM
    # answers it back; `worker_type` is what it means here.
    user_type = models.CharField("SCIM userType", max_length=64, blank=True)
    level = models.CharField(
        max_length=20, blank=True, help_text="The HR job level, such as L5."
    )
    # Set when an identity provider deletes the person through SCIM: they stay in the design
    # as someone who left, and SCIM no longer serves them (unlike `active: false`, which
    # keeps them visible so the provider can re-enable them). Cleared when they come back.
    scim_deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The dotted lines are kept with each entry, as the set of managers at that time.
    history = history(m2m_fields=["dotted_line_managers"])

    class Meta:
        verbose_name_plural = "people"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~Q(external_id=""),
                name="person_external_id_unique_in_org",
                violation_error_code="external_id_taken",
                violation_error_message=(
                    "Someone in this organisation already has this external id."
                ),
            ),
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                condition=~Q(email=""),
                name="person_email_unique_in_org",
                violation_error_code="email_taken",
                violation_error_message="Someone in this organisation already has this email.",
            ),
            models.UniqueConstraint(
                "organisation",
                Lower(scim_user_name_expression()),
                condition=~Q(user_name="") | ~Q(email=""),
                name="person_user_name_unique_in_org",
                violation_error_code="user_name_taken",
                violation_error_message=(
                    "Someone in this organisation already has this login (userName)."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(manager=models.F("id")), name="person_not_own_manager"
            ),
        ]
        indexes = [
            # Lists sort by name, then id (Meta.ordering): the index gives a page in order
            # without sorting the whole organisation.
            models.Index(fields=["organisation", "name", "id"], name="person_org_name_id"),
            models.Index(fields=["organisation", "active"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scim_user_name(self) -> str:
        """The person's SCIM userName: their login, else their email."""
        return self.user_name or self.email


class Team(Attributed):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120, validators=[validate_team_name])
    kind = models.CharField(max_length=20, choices=TeamKind.choices, default=TeamKind.OTHER)
    lead = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        help_text="The person accountable for the team.",
    )
    kpi = models.CharField("KPI", max_length=200, blank=True)
    kpi_type = models.CharField(
        "KPI type", max_length=20, choices=KpiType.choices, blank=True, default=""
    )
    # The id an identity provider keeps for the team as a SCIM Group (externalId), as sent.
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = history()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="team_name_unique_in_org"
            ),
            models.CheckConstraint(
                condition=~Q(name__contains=TEAM_NAME_SEPARATORS[0])
                & ~Q(name__contains=TEAM_NAME_SEPARATORS[1]),
                name="team_name_no_separators",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(Attributed):
    """A person in a team, with the share of their time (FTE percent) it takes."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    allocation = models.PositiveSmallIntegerField(
        default=100,
        validators=[MinValueValidator(ALLOCATION_MIN), MaxValueValidator(ALLOCATION_MAX)],
        help_text="Percent of one FTE, 1 to 100.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = history()

    class Meta:
        ordering = ["team_id", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "team"], name="membership_one_per_pair"),
            models.CheckConstraint(
                condition=Q(allocation__gte=ALLOCATION_MIN) & Q(allocation__lte=ALLOCATION_MAX),
                name="membership_allocation_1_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.team_id} ({self.allocation}%)"


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"
    # What an admin may do through the API: write, and see money (levels, costs).
    ADMIN = "admin", "Read, write and cost"


class Level(Attributed):
    """A job level of the organisation and what a person at it costs a year, in the
    organisation's currency. People and positions name their level; money is for admins."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="levels")
    name = models.CharField(max_length=20, help_text="The HR job level, such as L5.")
    annual_cost = models.PositiveBigIntegerField(
        help_text="What a person at this level costs a year, in whole units of the currency."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = history()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="level_name_unique_in_org",
                violation_error_code="level_taken",
                violation_error_message="This organisation already has a level of this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PendingUpload(models.Model):
    """A CSV file between its preview and its apply (`orgdesign.csvio.uploads`). In the database,
    like sessions, so that the apply may reach any web process, and the worker that applies a
    large import finds it, whichever host it runs on."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sha256"], name="pending_upload_unique_in_org"
            )
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({len(self.data)} bytes)"


class ImportMapping(models.Model):
    """How the columns of an HR system's roster were read (`teams.import_mappings`): saved
    when a roster is applied, and proposed again for the next file with the same headers,
    so a monthly export is mapped once. Not part of the design: no history."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # The file's headers as sent, in order, and a digest of them (what a file is matched by).
    headers = models.JSONField()
    headers_key = models.CharField(max_length=64)
    # Header -> the field it is read as, or "" when it is not imported.
    mapping = models.JSONField()
    # What identifies a person when the file has no employee id: external_id, email or login.
    key = models.CharField(max_length=20, default="external_id")
    create_teams = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "headers_key"], name="import_mapping_one_per_headers"
            )
        ]

    def __str__(self) -> str:
        return f"{len(self.headers)} columns ({self.headers_key[:12]})"


class RequestCount(models.Model):
    """Requests of one client (a token, a login) in the current window of its rate limit:
    the throttle's state, kept in the database so that every web process counts together
    (`orgdesign.web.ratelimit`). One row per client, rewritten in place."""

    key = models.CharField(max_length=120, unique=True)
    started = models.BigIntegerField(help_text="The window's start, in seconds since 1970.")
    count = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class ApiToken(models.Model):
    """A key for HR systems and scripts, scoped to one organisation.

    Only a SHA-256 hash of the key is stored: the key is random (256 bits), so a slow
    password hash would add nothing, and every API request has to check one.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.READ)
    key_prefix = models.CharField(
        max_length=12, help_text="The start of the key, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class DirectoryKind(models.TextChoices):
    ENTRA = "entra", "Microsoft Entra ID"
    OKTA = "okta", "Okta"


class PullSchedule(models.TextChoices):
    HOURLY = "hourly", "Every hour"
    DAILY = "daily", "Every day"
    MANUAL = "manual", "Only when asked"


class DirectoryConnector(models.Model):
    """An organisation's company directory, pulled through the people sync
    (teams/directory/): one per organisation and kind. Not part of the design, so it has no
    history; its secret is encrypted (`teams.secret_field`) and never shown again."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="connectors"
    )
    kind = models.CharField(max_length=10, choices=DirectoryKind.choices)
    # The directory's API base (Graph, or the Okta org URL) and, for Entra, the authority.
    url = models.URLField("directory URL", max_length=300)
    login_url = models.URLField("token authority", max_length=300, blank=True)
    tenant_id = models.CharField("tenant id", max_length=100, blank=True)
    client_id = models.CharField("client id", max_length=100, blank=True)
    # Entra only: pull the members of this group (its object id) instead of every user.
    group = models.CharField(max_length=100, blank=True)
    # Our field -> the directory's attribute (teams/directory/mapping.py has the defaults).
    mapping = models.JSONField(default=dict, blank=True)
    schedule = models.CharField(
        max_length=10, choices=PullSchedule.choices, default=PullSchedule.MANUAL
    )
    secret = SecretField(blank=True)
    # Where the next run starts: Graph's deltaLink, or Okta's latest `lastUpdated` seen.
    cursor = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When a run last started (scheduled or not): the schedule counts from it.
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind"], name="connector_one_per_kind",
                violation_error_message="This organisation already has a connector of this "
                "kind.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.organisation.slug})"


class RunState(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class DirectoryRun(models.Model):
    """One pull of a connector, applied or previewed: when, what it counted, why it failed."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    connector = models.ForeignKey(
        DirectoryConnector, on_delete=models.CASCADE, related_name="runs"
    )
    preview = models.BooleanField(default=False)
    # Who asked: "page", "command" or "schedule".
    trigger = models.CharField(max_length=10)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # {"created", "updated", "deactivated", "unchanged", "errors"} as pull_directory prints.
    counts = models.JSONField(default=dict, blank=True)
    # The people who would be (or were) created, changed and deactivated, the first of each.
    changes = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    # Seconds spent waiting because the directory throttled the run.
    waited = models.FloatField(default=0)
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.connector} at {self.started_at:%Y-%m-%d %H:%M} ({self.state})"


class DirectoryIdentity(models.Model):
    """Who a directory user is here: the directory's own id (what managers and removals
    name) and the external id of the person it became. Only people a connector brought or
    matched are here, so a pull deactivates no one who came through another door."""

    connector = models.ForeignKey(
        DirectoryConnector, on_delete=models.CASCADE, related_name="identities"
    )
    directory_id = models.CharField(max_length=100)
    external_id = models.CharField(max_length=100)
    # The sign-in name (Entra userPrincipalName, Okta login), lower-cased: Okta's managerId
    # often holds it instead of an id.
    login = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "directory_id"], name="identity_unique_in_connector"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.directory_id} -> {self.external_id}"


class ScenarioBase(models.Model):
    """What a scenario was copied from, as it was copied (orgdesign/scenarios/base.py): its
    origin's objects (`data`, orgdesign.analysis.changeset.DesignRows) and the maps of ids
    the copy made (`ids`, origin -> scenario by table), so the scenario's changes can be
    listed against it."""

    scenario = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="base"
    )
    origin = models.ForeignKey(
        Organisation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField(default=timezone.now)
    data = PackedJSONField()
    ids = PackedJSONField()

    def __str__(self) -> str:
        return f"Base of {self.scenario_id} (taken {self.taken_at:%Y-%m-%d %H:%M})"


class ReviewAction(models.TextChoices):
    PROPOSE = "propose", "Proposed for review"
    COMMENT = "comment", "Commented"
    APPROVE = "approve", "Approved"
    REQUEST_CHANGES = "request_changes", "Asked for changes"
    MERGE = "merge", "Merged"


def who_of(user, token, *, nobody: str) -> str:
    """Who took a step: a login by name, a token by its name, else `nobody`."""
    if user is not None:
        return user.get_username()
    if token is not None:
        return f"token {token.name}"
    return nobody


class ScenarioReview(models.Model):
    """One step of a scenario's review (orgdesign/scenarios/review.py): who did what, when,
    on the scenario or on one of its changes, and the scenario's design version then (an
    approval holds only while the scenario is unchanged)."""

    scenario = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="reviews"
    )
    action = models.CharField(max_length=20, choices=ReviewAction.choices)
    text = models.TextField(blank=True)
    # A change's key (orgdesign.analysis.changeset) for a comment on that change.
    change = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    token = models.ForeignKey(
        "ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.scenario_id})"

    @property
    def who(self) -> str:
        return who_of(self.user, self.token, nobody="someone removed")


class ScenarioMerge(models.Model):
    """A scenario merged into its origin (orgdesign/scenarios/merge.py), kept so the merge can
    be undone: every object it wrote, as it was just before (`before`) and just after
    (`after`), by table and key in the origin's ids (None: absent). Its undo scenario is
    made from them on request (orgdesign/scenarios/undo.py), against the design as it is
    then, so a merge can be undone even after later live changes."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="merges"
    )
    # The scenario merged; its name is kept for when the scenario is deleted.
    scenario = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scenario_name = models.CharField(max_length=200)
    changes = models.PositiveIntegerField(default=0)
    reason = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    token = models.ForeignKey(
        "ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    before = PackedJSONField()
    after = PackedJSONField()

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"Merge of {self.scenario_name} into {self.organisation_id}"

    @property
    def who(self) -> str:
        return who_of(self.user, self.token, nobody="the system")


class SnapshotKind(models.TextChoices):
    DAILY = "daily", "Daily"
    PROMOTION = "promotion", "Promotion"
    MERGE = "merge", "Merge"


class HealthSnapshot(models.Model):
    """A design's health at a moment (`orgdesign.analysis.health.Health`, as a dict in
    `figures`): daily at 00:00 UTC, and at every promotion or merge, whose words are in
    `note`. A daily snapshot read back from history rather than from the design of that
    moment is `backfilled`. Not part of the design: no history of its own; the health page
    reads these, never the history."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="health_snapshots"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=SnapshotKind.choices,
                            default=SnapshotKind.DAILY)
    note = models.CharField(max_length=300, blank=True)
    backfilled = models.BooleanField(default=False)
    figures = models.JSONField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["organisation", "at"], name="health_org_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "at"], condition=Q(kind="daily"),
                name="health_one_daily_snapshot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
