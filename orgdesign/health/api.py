"""`GET /api/v1/orgs/<slug>/health/`: the recorded trend (docs/design.md section 4), read
from the snapshots in one query."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from orgdesign.api.views import OrganisationScopedView
from orgdesign.health.services import DAYS, trend


class HealthQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, min_value=1, max_value=3660,
                                    help_text=f"How many days back (default {DAYS}).")


class KindFiguresSerializer(serializers.Serializer):
    headcount = serializers.IntegerField()
    fte = serializers.FloatField()


class SnapshotSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="daily (00:00 UTC), promotion or merge.")
    note = serializers.CharField(help_text="What a promotion or merge brought.")
    backfilled = serializers.BooleanField(help_text="Read back from history.")
    errors = serializers.IntegerField()
    warnings = serializers.IntegerField()
    infos = serializers.IntegerField()
    by_code = serializers.DictField(child=serializers.IntegerField())
    label = serializers.CharField()
    central_share = serializers.FloatField()
    embedded_share = serializers.FloatField()
    spans = serializers.DictField(child=serializers.IntegerField(),
                                  help_text="Direct reports -> managers in the ML org.")
    layers = serializers.DictField(child=serializers.IntegerField(),
                                   help_text="Steps below the ML head -> people.")
    headcount = serializers.IntegerField()
    fte = serializers.FloatField()
    by_kind = serializers.DictField(child=KindFiguresSerializer())
    open_positions = serializers.IntegerField()
    open_fte = serializers.FloatField()


class HealthSerializer(serializers.Serializer):
    snapshots = SnapshotSerializer(many=True)


class HealthView(OrganisationScopedView):
    """The design's health snapshots, oldest first."""

    serializer_class = HealthSerializer
    filter_backends: list = []

    @extend_schema(parameters=[HealthQuerySerializer], responses=HealthSerializer)
    def get(self, request, slug: str) -> Response:
        query = HealthQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        snapshots = trend(self.organisation, days=query.validated_data.get("days", DAYS))
        return Response(HealthSerializer({"snapshots": [
            {**snapshot.figures, "at": snapshot.at, "kind": snapshot.kind,
             "note": snapshot.note, "backfilled": snapshot.backfilled}
            for snapshot in snapshots
        ]}).data)
