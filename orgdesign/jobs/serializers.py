"""What the API answers when it hands work to a job (202 Accepted)."""

from django.urls import reverse
from rest_framework import serializers, status
from rest_framework.response import Response

from orgdesign.api.auth import api_actor
from orgdesign.jobs.runner import job_start
from teams.models import Organisation


class JobAcceptedSerializer(serializers.Serializer):
    job = serializers.UUIDField(help_text="The job's id (its address in jobs/<id>/).")
    state = serializers.CharField()
    location = serializers.CharField(help_text="The job's address, also in Location.")


def job_accepted(request, organisation: Organisation, kind: str, params: dict) -> Response:
    """Start a job of `kind` for the caller and answer 202 with its address, in the body
    and in `Location`."""
    job = job_start(organisation=organisation, kind=kind, params=params,
                    actor=api_actor(request))
    location = reverse("api-job", args=[organisation.slug, job.uid])
    return Response({"job": str(job.uid), "state": job.state, "location": location},
                    status=status.HTTP_202_ACCEPTED, headers={"Location": location})
