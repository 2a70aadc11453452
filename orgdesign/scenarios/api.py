"""API v1: compare two designs, `GET /api/v1/orgs/<slug>/compare/<other>/` (docs/design.md
section 4).

Who may compare with what is decided by `orgdesign.access.policy.comparable`, as for the compare
page: a login compares any two designs it may see; a token compares its own design with the
ones `orgdesign.access.policy.token_sees` allows (a home's token its scenarios that are not private,
a scenario's token its origin and home, never a sibling). Any other slug answers 404.

`capacity` carries cost only for a caller who sees money in both designs (a token of scope
admin, a login that is an admin of both); `?plan=1` judges the findings of the plans.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from orgdesign.access.policy import comparable
from orgdesign.analysis.capacity import costs_of
from orgdesign.analysis.compare import compare_designs
from orgdesign.analysis.kept import analyses_of, level_costs
from orgdesign.api.auth import caller_sees_money, token_of
from orgdesign.api.strict import FlagField
from orgdesign.api.views import OrganisationScopedView
from orgdesign.scenarios.base import changes_of
from pipelines.serializers import FindingSerializer
from teams.models import Organisation


class ChangeSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="What matched the object across the designs.")
    name = serializers.CharField()
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    fields = serializers.DictField(
        child=serializers.DictField(), help_text='Each field that differs: {"a": ..., "b": ...}.'
    )


class FindingsDiffSerializer(serializers.Serializer):
    fixed = FindingSerializer(many=True, help_text="Findings of the first design only.")
    introduced = FindingSerializer(many=True, help_text="Findings of the second design only.")


class FigureSerializer(serializers.Serializer):
    a = serializers.FloatField(allow_null=True, help_text="In the first design (null: absent).")
    b = serializers.FloatField(allow_null=True, help_text="In the second design.")


class CapacityTotalSerializer(serializers.Serializer):
    headcount = FigureSerializer(help_text="Active people in at least one team, each once.")
    fte = FigureSerializer()
    open_positions = FigureSerializer()
    planned_fte = FigureSerializer(help_text="FTE once the open positions are filled.")
    cost = FigureSerializer(
        required=False, help_text="Annual cost now (admins and admin tokens only)."
    )
    planned_cost = FigureSerializer(
        required=False, help_text="Annual cost once the open positions are filled (admins)."
    )


class CapacityTeamSerializer(CapacityTotalSerializer):
    name = serializers.CharField(help_text="Teams are matched across the designs by name.")
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    headcount = FigureSerializer(help_text="Active members.")


class CapacityPipelineSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Pipelines are matched by name.")
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    fte = FigureSerializer()
    planned_fte = FigureSerializer()
    cost = FigureSerializer(required=False, help_text="Admins and admin tokens only.")
    planned_cost = FigureSerializer(required=False, help_text="Admins and admin tokens only.")


class CapacityDiffSerializer(serializers.Serializer):
    total = CapacityTotalSerializer()
    teams = CapacityTeamSerializer(many=True, help_text="Only the teams whose figures differ.")
    pipelines = CapacityPipelineSerializer(
        many=True, help_text="Only the pipelines whose figures differ."
    )


class ComparisonSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    people = ChangeSerializer(many=True)
    teams = ChangeSerializer(many=True)
    pipelines = ChangeSerializer(many=True)
    cells = ChangeSerializer(many=True)
    findings = FindingsDiffSerializer()
    capacity = CapacityDiffSerializer(
        help_text="Headcount, FTE, open positions and (admins) cost, from the first design "
        'to the second: each figure as {"a": ..., "b": ...}.'
    )


class CompareQuerySerializer(serializers.Serializer):
    plan = FlagField(
        required=False,
        help_text="1 or true: the findings fixed and introduced are the plans' (each design "
        "with its open positions filled, as findings/?plan=1); 0 or false (the default): "
        "the designs' own.",
    )


class CompareView(OrganisationScopedView):
    """What differs from this design to `other`: people, teams, pipelines, cells, and the
    findings each has that the other has not."""

    serializer_class = ComparisonSerializer
    filter_backends: list = []

    @extend_schema(parameters=[CompareQuerySerializer], responses=ComparisonSerializer)
    def get(self, request, slug: str, other: str) -> Response:
        query = CompareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        plan = query.validated_data.get("plan", False)
        other_design = self.other_design(request, other)
        money = caller_sees_money(request, self.organisation) and caller_sees_money(
            request, other_design
        )
        analyses = analyses_of([self.organisation, other_design])
        first, second = analyses[self.organisation.pk], analyses[other_design.pk]
        costs = (
            (costs_of(first.index, level_costs(self.organisation), first.capacity),
             costs_of(second.index, level_costs(other_design), second.capacity))
            if money else None
        )
        comparison = compare_designs(
            first.index, second.index,
            findings=(
                (first.plan_findings, second.plan_findings) if plan
                else (first.findings, second.findings)
            ),
            capacities=(first.capacity, second.capacity),
            costs=costs,
        )
        return Response(comparison.as_dict())

    def other_design(self, request, slug: str) -> Organisation:
        return comparable(request, self.organisation, slug, token=token_of(request))


class DesignObjectSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["person", "team", "pipeline", "membership",
                                            "engagement", "position"])
    id = serializers.CharField(help_text="The object's id in the origin (new<id>: the "
                               "scenario added it); a membership or engagement is "
                               "<person or pipeline>-<team>.")
    name = serializers.CharField()


class DesignChangeSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="<type>:<id>:<field>, or <type>:<id> for an object "
                                "added or removed: the name of the change in every list.")
    object = DesignObjectSerializer()
    field = serializers.CharField(allow_null=True)
    action = serializers.ChoiceField(choices=["added", "removed", "changed"])
    before = serializers.JSONField(allow_null=True, help_text="As copied (null: added).")
    after = serializers.JSONField(allow_null=True, help_text="In the scenario now (null: "
                                  "removed). References are ids, as `object.id`.")
    words = serializers.CharField(help_text='In words: "Dana Kim: manager Priya Shah → '
                                  'Amara Okafor".')


class DesignChangePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DesignChangeSerializer(many=True)


class ScenarioChangesView(OrganisationScopedView):
    """What the scenario changed since it was copied from this design (its base), change
    by change, in the origin's ids: the live design's own changes since are not the
    scenario's. 404 for a scenario that is not this design's, or that the caller may not
    see; 409 for one copied before bases were kept."""

    serializer_class = DesignChangeSerializer
    filter_backends: list = []

    @extend_schema(responses=DesignChangePageSerializer,
                   parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)])
    def get(self, request, slug: str, scenario: str) -> Response:
        other = comparable(request, self.organisation, scenario, token=token_of(request))
        if other.scenario_of_id != self.organisation.pk:
            raise NotFound("No such scenario of this design.")
        changes = changes_of(other)
        if changes is None:
            return Response({"detail": "This scenario was copied before its changes were "
                             "kept: copy the design again to list them."}, status=409)
        page = self.paginate_queryset(changes)
        return self.get_paginated_response([change.as_dict() for change in page])
