"""API v1: compare two designs, `GET /api/v1/orgs/<slug>/compare/<other>/` (DESIGN.md section 4).

A login compares any two designs it has a role in. A token belongs to one organisation: it
may compare it with the designs of its family (its origin, its scenarios, and its origin's
other scenarios); any other slug answers 404, as if it did not exist.
"""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from orgdesign.access import get_org_for_user
from orgdesign.analysis.compare import compare_designs
from orgdesign.analysis.loader import load_many
from orgdesign.api_auth import token_of
from orgdesign.api_views import OrganisationScopedView
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


class ComparisonSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    people = ChangeSerializer(many=True)
    teams = ChangeSerializer(many=True)
    pipelines = ChangeSerializer(many=True)
    cells = ChangeSerializer(many=True)
    findings = FindingsDiffSerializer()


class CompareView(OrganisationScopedView):
    """What differs from this design to `other`: people, teams, pipelines, cells, and the
    findings each has that the other has not."""

    serializer_class = ComparisonSerializer
    filter_backends: list = []

    @extend_schema(responses=ComparisonSerializer)
    def get(self, request, slug: str, other: str) -> Response:
        other_design = self.other_design(request, other)
        data = load_many([self.organisation, other_design])
        comparison = compare_designs(data[self.organisation.pk], data[other_design.pk])
        return Response(comparison.as_dict())

    def other_design(self, request, slug: str) -> Organisation:
        token = token_of(request)
        if token is None:
            return get_org_for_user(request, slug)
        organisation = self.organisation
        family = Q(scenario_of=organisation)
        if organisation.scenario_of_id is not None:
            family |= Q(pk=organisation.scenario_of_id)
            family |= Q(scenario_of_id=organisation.scenario_of_id)
        family |= Q(pk=organisation.pk)
        other = Organisation.objects.filter(family, slug=slug).first()
        if other is None:
            raise exceptions.NotFound("No such organisation.")
        return other
