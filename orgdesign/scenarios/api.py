"""API v1: compare two designs, `GET /api/v1/orgs/<slug>/compare/<other>/` (docs/design.md
section 4).

Who may compare with what is decided by `orgdesign.access.policy.comparable`, as for the compare
page: a login compares any two designs it may see; a token compares its own design with the
ones `orgdesign.access.policy.token_sees` allows (a home's token its scenarios that are not private,
a scenario's token its origin and home, never a sibling). Any other slug answers 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from orgdesign.access.policy import comparable
from orgdesign.analysis.compare import compare_designs
from orgdesign.analysis.kept import analyses_of
from orgdesign.api.auth import token_of
from orgdesign.api.views import OrganisationScopedView
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
        analyses = analyses_of([self.organisation, other_design])
        comparison = compare_designs(
            analyses[self.organisation.pk].data, analyses[other_design.pk].data
        )
        return Response(comparison.as_dict())

    def other_design(self, request, slug: str) -> Organisation:
        return comparable(request, self.organisation, slug, token=token_of(request))
