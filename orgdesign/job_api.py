"""API v1: a background job, `GET /api/v1/orgs/<slug>/jobs/<id>/` (DESIGN.md section 4)."""

from rest_framework import exceptions, serializers
from rest_framework.response import Response

from orgdesign.api_views import OrganisationScopedView
from teams.models import Job, JobState


class JobSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=JobState.choices, read_only=True)
    result = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = ["id", "kind", "state", "done", "total", "result", "error", "created_at",
                  "updated_at"]
        read_only_fields = fields


class JobView(OrganisationScopedView):
    """How far a job got: `state` queued, running, done or failed; `done` of `total` steps;
    `result` when done (or the refused records of a failed sync); `error` when failed."""

    serializer_class = JobSerializer
    queryset = Job.objects.all()
    filter_backends: list = []

    def get(self, request, slug: str, pk: int) -> Response:
        job = self.get_queryset().filter(pk=pk).first()
        if job is None:
            raise exceptions.NotFound("No such job.")
        return Response(self.get_serializer(job).data)
