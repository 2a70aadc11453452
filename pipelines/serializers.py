"""The API's JSON for pipelines, engagements, findings, the catalogue and the matrix.

Serializers only translate (see `teams.serializers`); findings and the matrix are computed by
the pure analyses and only shaped here.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgdesign.analysis.catalogue import ERROR, INFO, WARNING
from orgdesign.analysis.findings import Finding
from orgdesign.analysis.matrix import Row
from orgdesign.analysis.structure import TRADE_OFFS
from orgdesign.api.strict import (
    FlagField,
    StrictChoiceField,
    StrictIntegerField,
    StrictModelSerializer,
)
from orgdesign.health.as_of import AS_OF_HELP, validate_as_of
from pipelines.models import Engagement, Pipeline, Position, PositionStatus, Stage
from teams.models import Person, Team
from teams.serializers import OrganisationRelatedField

SEVERITIES = [ERROR, WARNING, INFO]


class PipelineSerializer(StrictModelSerializer):
    pm_owner = OrganisationRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False,
        help_text="The Product Manager who owns the pipeline, or null.",
    )
    required_stages = serializers.ListField(
        child=StrictChoiceField(choices=Stage.choices),
        required=False,
        help_text="Stage names; a new pipeline without them requires data, infrastructure, "
        "modeling and deployment.",
    )

    class Meta:
        model = Pipeline
        fields = [
            "id", "name", "pm_owner", "lifecycle", "tier", "metric", "required_stages",
            "updated_at",
        ]
        validators: list = []  # refusals come from the services, not from here


class EngagementSerializer(StrictModelSerializer):
    pipeline = OrganisationRelatedField(queryset=Pipeline.objects.all())
    team = OrganisationRelatedField(queryset=Team.objects.all())
    # Declared plainly so that the bounds are told by the service, like every other rule.
    effort = StrictIntegerField(
        required=False, allow_null=True,
        help_text="Percent of the team's capacity, 1 to 100; null shares what the set efforts "
        "leave.",
    )

    class Meta:
        model = Engagement
        fields = ["id", "pipeline", "team", "role", "effort", "updated_at"]
        validators: list = []  # refusals come from the services, not from here


class EngagementUpdateSerializer(EngagementSerializer):
    """An engagement changes its role and effort; its pipeline and team stay (delete and
    create)."""

    pipeline = serializers.PrimaryKeyRelatedField(read_only=True)
    team = serializers.PrimaryKeyRelatedField(read_only=True)


class PositionSerializer(StrictModelSerializer):
    """An open seat. Created open; `status` "filled" with a `person` fills it (the person joins
    the team at its FTE), "cancelled" cancels it, "open" opens a cancelled one again."""

    team = OrganisationRelatedField(queryset=Team.objects.all())
    pipeline = OrganisationRelatedField(
        queryset=Pipeline.objects.all(), allow_null=True, required=False,
        help_text="The pipeline the seat is hired for, or null.",
    )
    person = OrganisationRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False,
        help_text="Who filled the position (write it with status filled to fill it).",
    )
    fte = StrictIntegerField(required=False, help_text="Percent of one FTE, 1 to 100.")
    status = StrictChoiceField(choices=PositionStatus.choices, required=False)

    class Meta:
        model = Position
        fields = [
            "id", "team", "title", "role", "level", "fte", "status", "target_date", "pipeline",
            "person", "updated_at",
        ]
        validators: list = []  # refusals come from the services, not from here


# Findings and their catalogue ----------------------------------------------------------------


class RefSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["organisation", "pipeline", "team", "person", "component"])
    id = serializers.IntegerField()
    name = serializers.CharField()


class FindingSerializer(serializers.Serializer):
    """A finding in the shape of docs/design.md section 2, as `Finding.as_dict` gives it; the
    fields below describe it for the schema."""

    key = serializers.CharField(
        help_text="code:subject id[:stage]; names the finding in findings/<key>/remedies/."
    )
    code = serializers.CharField()
    severity = serializers.ChoiceField(
        choices=SEVERITIES, help_text="The effective severity, after the catalogue's rules."
    )
    base_severity = serializers.ChoiceField(
        choices=SEVERITIES, help_text="The code's severity in the catalogue."
    )
    subject = RefSerializer()
    message = serializers.CharField()
    related = RefSerializer(many=True)
    stage = serializers.ChoiceField(
        choices=Stage.choices, required=False, help_text="Only on stage findings."
    )

    def to_representation(self, finding: Finding) -> dict:
        return finding.as_dict()


class FindingQuerySerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=SEVERITIES, required=False)
    code = serializers.CharField(required=False, help_text="A code of findings/codes/.")
    plan = FlagField(
        required=False,
        help_text="1 or true: judge the plan, the design with every open position filled by "
        "a placeholder member of its team at its FTE (the stage rules only); 0 or false "
        "(the default): the design as it is.",
    )
    as_of = serializers.CharField(required=False, help_text=AS_OF_HELP,
                                  validators=[validate_as_of])


class CatalogueEntrySerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.ChoiceField(choices=SEVERITIES, help_text="The base severity.")
    title = serializers.CharField()
    why = serializers.CharField(help_text="Why it matters.")
    fix = serializers.CharField(help_text="How to fix it.")
    severity_rules = serializers.ListField(
        child=serializers.CharField(),
        help_text="When a finding of this code takes another severity than the base one.",
    )


# The matrix ----------------------------------------------------------------------------------


class StructureSerializer(serializers.Serializer):
    """The structure classification (docs/design.md section 3) with its evidence."""

    label = serializers.ChoiceField(choices=list(TRADE_OFFS))
    people = serializers.IntegerField(help_text="Active scientists and ML engineers with a team.")
    central = serializers.IntegerField()
    embedded = serializers.IntegerField()
    central_share = serializers.FloatField()
    embedded_share = serializers.FloatField()
    specialised_kinds_engaged = serializers.ListField(child=serializers.CharField())
    pipelines_with_pm_and_two_teams = serializers.IntegerField()
    lifecycles = serializers.DictField(child=serializers.IntegerField())
    fit_hint = serializers.CharField(allow_blank=True)
    trade_offs = serializers.ListField(child=serializers.CharField())


class ColumnSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="team.id")
    name = serializers.CharField(source="team.name")
    kind = serializers.CharField(source="team.kind")
    lead = serializers.IntegerField(source="team.lead_id", allow_null=True)
    stage = serializers.CharField(allow_null=True, help_text="The stage its kind covers.")
    in_ml_org = serializers.BooleanField(allow_null=True)
    findings = FindingSerializer(many=True)


class CellSerializer(serializers.Serializer):
    team = serializers.IntegerField(source="team_id")
    role = serializers.CharField()


class RowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pipeline.id")
    name = serializers.CharField(source="pipeline.name")
    pm_owner = serializers.IntegerField(source="pipeline.pm_owner_id", allow_null=True)
    pm_name = serializers.CharField(allow_blank=True)
    lifecycle = serializers.CharField(source="pipeline.lifecycle")
    tier = serializers.CharField(source="pipeline.tier")
    required_stages = serializers.ListField(
        child=serializers.CharField(), source="pipeline.required_stages"
    )
    cells = serializers.SerializerMethodField(
        help_text="The engaged teams of the row; a column not listed is empty."
    )
    findings = FindingSerializer(many=True)

    @extend_schema_field(CellSerializer(many=True))
    def get_cells(self, row: Row) -> list[dict]:
        return CellSerializer([cell for cell in row.cells if cell.role], many=True).data


class MatrixSerializer(serializers.Serializer):
    """One page of rows, with the columns and the structure on every page."""

    count = serializers.IntegerField(help_text="Rows in all pages.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    structure = StructureSerializer()
    columns = ColumnSerializer(many=True)
    results = RowSerializer(many=True)


class MatrixQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False)
    page_size = serializers.IntegerField(required=False, help_text="Rows a page, up to 1,000.")
    pm = serializers.IntegerField(
        required=False, min_value=0, max_value=10**18 - 1, help_text="Rows owned by this person id."
    )
    lifecycle = serializers.CharField(required=False)
    tier = serializers.CharField(required=False)
    kind = serializers.CharField(required=False, help_text="Only the columns of this kind.")
    as_of = serializers.CharField(required=False, help_text=AS_OF_HELP,
                                  validators=[validate_as_of])
    errors = serializers.BooleanField(required=False, help_text="Only rows with errors.")
