"""API v1: a background job, `GET /api/v1/orgs/<slug>/jobs/<id>/` (docs/design.md section 4)."""

from rest_framework import exceptions, serializers
from rest_framework.response import Response

from orgdesign.access.policy import job_visible
from orgdesign.api.auth import caller_role, token_of
from orgdesign.api.views import OrganisationScopedView
from orgdesign.jobs.models import Job, JobState
from orgdesign.jobs.runner import job_as_read, job_note


class JobSerializer(serializers.ModelSerializer):
    # The job's address is its uid: row ids are sequential and would be guessed.
    id = serializers.UUIDField(source="uid", read_only=True)
    state = serializers.ChoiceField(choices=JobState.choices, read_only=True)
    result = serializers.JSONField(read_only=True, allow_null=True)
    note = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "state", "done", "total", "result", "error", "attempts",
                  "note", "created_at", "updated_at"]
        read_only_fields = fields

    def get_note(self, job: Job) -> str | None:
        return job_note(job)


class JobView(OrganisationScopedView):
    """How far a job got: `state` queued, running, done or failed; `done` of `total` steps;
    `result` when done (or the refused records of a failed sync); `error` when failed;
    `attempts`, the runs it took, and `note`, null unless a worker stopped while running it
    and the job was queued again (orgdesign.jobs.runner)."""

    serializer_class = JobSerializer
    queryset = Job.objects.all()
    filter_backends: list = []

    def get(self, request, slug: str, pk) -> Response:
        job = self.get_queryset().filter(uid=pk).first()
        token = token_of(request)
        role = caller_role(request, self.organisation)
        if job is not None and not job_visible(
            job, role=role, user_id=request.user.pk, token=token
        ):
            job = None
        if job is None:
            raise exceptions.NotFound("No such job.")
        return Response(self.get_serializer(job_as_read(job)).data)
