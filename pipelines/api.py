"""The API of pipelines and engagements (the rows and cells of the matrix), and the reads
computed from the whole design: findings, their catalogue and the matrix, under
/api/v1/orgs/<slug>/. Writes go through `pipelines.services`; the reads take the design's
analysis (`orgdesign.analysis.kept`: loaded in six queries, or kept from an earlier read of
the same version).
"""

from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.viewsets import ViewSetMixin

from orgdesign.analysis.catalogue import CATALOGUE
from orgdesign.analysis.matrix import MatrixFilters, build_columns, build_rows, filter_pipelines
from orgdesign.api.auth import refuse, service_call
from orgdesign.api.filters import IdFilter, UpdatedSinceFilterSet
from orgdesign.api.strict import FlagField
from orgdesign.api.views import OrganisationScopedView, OrganisationViewSet, PairViewSet
from orgdesign.health.as_of import api_design_shown
from pipelines import positions, services
from pipelines.catalog import catalog_apply, read_pushed
from pipelines.models import (
    Engagement,
    EngagementRole,
    Lifecycle,
    Pipeline,
    Position,
    PositionStatus,
    Tier,
)
from pipelines.serializers import (
    CatalogueEntrySerializer,
    EngagementSerializer,
    EngagementUpdateSerializer,
    FindingQuerySerializer,
    FindingSerializer,
    MatrixQuerySerializer,
    MatrixSerializer,
    PipelineSerializer,
    PositionSerializer,
)
from teams.actor import Actor
from teams.services import UNSET


class PipelineFilter(UpdatedSinceFilterSet):
    name = filters.CharFilter()
    lifecycle = filters.ChoiceFilter(choices=Lifecycle.choices)
    tier = filters.ChoiceFilter(choices=Tier.choices)
    pm_owner = IdFilter(field_name="pm_owner")

    class Meta:
        model = Pipeline
        fields = ["name", "lifecycle", "tier", "pm_owner", "updated_since"]


class PipelineViewSet(OrganisationViewSet):
    """Pipelines, the rows of the matrix."""

    queryset = Pipeline.objects.all()
    serializer_class = PipelineSerializer
    filterset_class = PipelineFilter
    ordering_fields = ["name", "lifecycle", "tier", "updated_at", "id"]
    ordering = ["name", "id"]

    def create_object(self, data: dict, actor: Actor) -> Pipeline:
        return services.pipeline_create(organisation=self.organisation, actor=actor, **data)

    def update_object(self, pipeline, data, expected, actor) -> Pipeline:
        return services.pipeline_update(
            pipeline=pipeline, expected_version=expected, actor=actor, **data
        )

    def delete_object(self, pipeline, expected, actor) -> None:
        refuse(
            f"{pipeline.name} cannot be deleted through the API: deleting a pipeline would "
            "drop its row of the matrix with every engagement in it. Set its lifecycle to "
            "sunset instead, or clear its engagements (engagements/)."
        )


class EngagementFilter(UpdatedSinceFilterSet):
    pipeline = IdFilter(field_name="pipeline")
    team = IdFilter(field_name="team")
    role = filters.ChoiceFilter(choices=EngagementRole.choices)

    class Meta:
        model = Engagement
        fields = ["pipeline", "team", "role", "updated_since"]


class EngagementViewSet(PairViewSet):
    """A cell of the matrix: a team's role in a pipeline, and the effort (percent of the
    team's capacity) it takes, or null. One per pair: change the role or the effort with
    PATCH; DELETE clears the cell."""

    queryset = Engagement.objects.all()
    organisation_lookup = "pipeline__organisation"
    serializer_class = EngagementSerializer
    update_serializer_class = EngagementUpdateSerializer
    filterset_class = EngagementFilter
    ordering_fields = ["role", "updated_at", "id"]
    ordering = ["id"]

    pair = ("pipeline", "team")

    def taken(self, *, pipeline, team) -> str:
        return f"{team.name} already has a role in {pipeline.name}; change it with PATCH."

    def create_pair(self, data: dict, actor: Actor) -> Engagement:
        return services.engagement_set(
            pipeline=data["pipeline"], team=data["team"], role=data["role"],
            effort=data.get("effort"), actor=actor,
        )

    def change_pair(self, engagement, data, actor) -> Engagement:
        return services.engagement_set(
            pipeline=engagement.pipeline,
            team=engagement.team,
            role=data.get("role", engagement.role),
            effort=data.get("effort", UNSET),
            actor=actor,
        )

    def remove_pair(self, engagement, actor) -> None:
        services.engagement_set(
            pipeline=engagement.pipeline, team=engagement.team, role=None, actor=actor
        )


class PositionFilter(UpdatedSinceFilterSet):
    team = IdFilter(field_name="team")
    pipeline = IdFilter(field_name="pipeline")
    status = filters.ChoiceFilter(choices=PositionStatus.choices)

    class Meta:
        model = Position
        fields = ["team", "pipeline", "status", "updated_since"]


class PositionViewSet(OrganisationViewSet):
    """Positions, the open seats of the teams. A new one is open; PATCH `status` "filled"
    with a `person` fills it (they join the team at its FTE, in the same write), "cancelled"
    cancels it, "open" opens a cancelled one again."""

    queryset = Position.objects.all()
    serializer_class = PositionSerializer
    filterset_class = PositionFilter
    ordering_fields = ["target_date", "status", "updated_at", "id"]
    ordering = ["team_id", "id"]

    def create_object(self, data: dict, actor: Actor) -> Position:
        status = data.pop("status", PositionStatus.OPEN)
        person = data.pop("person", None)
        if status != PositionStatus.OPEN or person is not None:
            refuse("A position is created open: fill it afterwards with PATCH "
                   '{"status": "filled", "person": <id>}.')
        return positions.position_create(organisation=self.organisation, actor=actor, **data)

    def update_object(self, position, data, expected, actor) -> Position:
        status = data.pop("status", None)
        person = data.pop("person", UNSET)
        if person is not UNSET and person != position.person and status is None:
            status = PositionStatus.FILLED
        if data:
            position = positions.position_update(
                position=position, expected_version=expected, actor=actor, **data
            )
            expected = None  # checked once, by the edit
        if status is None or status == position.status:
            if person is not UNSET and person != position.person:
                refuse("Who filled a position is part of its record: it cannot be changed.")
            return position
        if status == PositionStatus.FILLED:
            return positions.position_fill(
                position=position, person=None if person is UNSET else person,
                expected_version=expected, actor=actor,
            )
        if status == PositionStatus.CANCELLED:
            return positions.position_cancel(
                position=position, expected_version=expected, actor=actor
            )
        return positions.position_reopen(position=position, expected_version=expected, actor=actor)

    def delete_object(self, position, expected, actor) -> None:
        positions.position_delete(position=position, actor=actor)


class FindingViewSet(ViewSetMixin, OrganisationScopedView):
    """What is broken in the design, in the engine's order (severity, code, subject); with
    `?plan=1`, in the design once its open positions are filled."""

    serializer_class = FindingSerializer
    filter_backends: list = []

    @extend_schema(parameters=[FindingQuerySerializer])
    def list(self, request, slug: str) -> Response:
        query = FindingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        severity = query.validated_data.get("severity")
        code = query.validated_data.get("code")
        analysis = api_design_shown(self.organisation, request.query_params).analysis
        # ?plan=1: the design as it will be once its open positions are filled.
        judged = analysis.plan_findings if query.validated_data.get("plan") else analysis.findings
        findings = [
            finding
            for finding in judged
            if (severity is None or finding.severity == severity)
            and (code is None or finding.code == code)
        ]
        page = self.paginate_queryset(findings)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CatalogueViewSet(ViewSetMixin, OrganisationScopedView):
    """Every finding code with its severity, title, why it matters and how to fix it."""

    serializer_class = CatalogueEntrySerializer
    filter_backends: list = []

    def list(self, request, slug: str) -> Response:
        page = self.paginate_queryset(list(CATALOGUE.values()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MatrixView(OrganisationScopedView):
    """The matrix: the teams as columns, one page of pipelines as rows with their engaged
    cells, and the structure classification, with the findings of each row and column."""

    serializer_class = MatrixSerializer
    filter_backends: list = []

    @extend_schema(parameters=[MatrixQuerySerializer])
    def get(self, request, slug: str) -> Response:
        # Values of the wrong type are refused (the page, whose links never break, ignores
        # them); unknown kinds and tiers select nothing more.
        MatrixQuerySerializer(data=request.query_params).is_valid(raise_exception=True)
        analysis = api_design_shown(self.organisation, request.query_params).analysis
        index, findings = analysis.index, analysis.findings
        matrix_filters = MatrixFilters.from_query(request.query_params)
        groups = build_columns(index, findings, kind=matrix_filters.kind)
        page = self.paginate_queryset(filter_pipelines(index, findings, matrix_filters))
        matrix = {
            "count": self.paginator.page.paginator.count,
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
            "structure": analysis.structure,
            "columns": [column for group in groups for column in group.columns],
            "results": build_rows(index, page, groups, findings),
        }
        return Response(self.get_serializer(matrix).data)


class CatalogPushQuerySerializer(serializers.Serializer):
    source = serializers.CharField(
        required=False, max_length=200,
        help_text="The name of what is pushed (default `api`): pushing the same source again "
        "replaces what it brought before.")
    dry_run = FlagField(required=False, help_text="1 or true: say what the push would do, "
                        "and write nothing.")


class CatalogPushSerializer(serializers.Serializer):
    sources = serializers.DictField(help_text="By source: `brought`, `removed`.")
    kinds = serializers.DictField(child=serializers.IntegerField())
    problems = serializers.ListField(child=serializers.CharField())
    notes = serializers.ListField(child=serializers.CharField())
    applied = serializers.BooleanField()


class CatalogView(OrganisationScopedView):
    """Push a software catalog: the entities as the Backstage catalog API serves them (a JSON
    list of entities, or `{"items": [...]}`), Component, Resource, API, System and Group read,
    others left out with a note. All or nothing: a problem answers 400 with every problem and
    writes nothing."""

    serializer_class = CatalogPushSerializer
    filter_backends: list = []

    # A refused push answers 400 in the shape of a push (its problems), a refused query (a
    # bad `source` or `dry_run`) in DRF's, by field: the schema says an object either way.
    @extend_schema(parameters=[CatalogPushQuerySerializer], request=dict,
                   responses={200: CatalogPushSerializer, 400: OpenApiTypes.OBJECT})
    def post(self, request, slug: str) -> Response:
        query = CatalogPushQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        plan = read_pushed(self.organisation, query.validated_data.get("source", "api"),
                           request.data)
        applied = False
        if not plan.problems and not query.validated_data.get("dry_run"):
            with service_call():
                catalog_apply(self.organisation, plan)
            applied = True
        return Response({**plan.as_dict(), "applied": applied},
                        status=400 if plan.problems else 200)
