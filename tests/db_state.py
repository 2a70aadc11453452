"""Every row a write could touch, with what a write changes in it: taken before and after a
request that must write nothing (the hostile-input corpus, the walk of every URL)."""

from django.contrib.auth import get_user_model

from orgdesign.jobs.models import Job
from pipelines.models import Engagement, Pipeline
from teams.models import ApiToken, Membership, Organisation, OrganisationAccess, Person, Team


def db_state() -> dict[str, list]:
    return {
        "Organisation": list(Organisation.objects.order_by("pk").values_list(
            "pk", "slug", "name", "ml_head_id", "span_max", "layers_max", "updated_at")),
        "Person": list(Person.objects.order_by("pk").values_list(
            "pk", "name", "email", "title", "role", "active", "manager_id", "updated_at")),
        "Team": list(Team.objects.order_by("pk").values_list(
            "pk", "name", "kind", "lead_id", "updated_at")),
        "Membership": list(Membership.objects.order_by("pk").values_list(
            "pk", "person_id", "team_id", "allocation", "updated_at")),
        "Pipeline": list(Pipeline.objects.order_by("pk").values_list(
            "pk", "name", "lifecycle", "required_stages", "updated_at")),
        "Engagement": list(Engagement.objects.order_by("pk").values_list(
            "pk", "role", "updated_at")),
        "OrganisationAccess": list(OrganisationAccess.objects.order_by("pk").values_list(
            "pk", "user_id", "role")),
        "ApiToken": list(ApiToken.objects.order_by("pk").values_list(
            "pk", "name", "revoked_at")),
        "Job": list(Job.objects.order_by("pk").values_list("pk", "kind", "state")),
        "User": list(get_user_model().objects.order_by("pk").values_list(
            "pk", "password", "is_staff", "is_superuser")),
    }
