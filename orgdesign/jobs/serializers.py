"""What the API answers when it hands work to a job (202 Accepted)."""

from rest_framework import serializers


class JobAcceptedSerializer(serializers.Serializer):
    job = serializers.UUIDField(help_text="The job's id (its address in jobs/<id>/).")
    state = serializers.CharField()
    location = serializers.CharField(help_text="The job's address, also in Location.")
