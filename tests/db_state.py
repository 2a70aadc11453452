"""Every row a write could touch, with what a write changes in it: taken before and after a
request that must write nothing (the hostile-input corpus, the walk of every URL)."""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import QuerySet

from orgdesign.jobs.models import Job
from pipelines.models import Engagement, Pipeline, Position
from teams.models import (
    ApiToken,
    Level,
    Membership,
    Organisation,
    OrganisationAccess,
    Person,
    Team,
)

QUERIES: dict[str, Callable[[], QuerySet]] = {
    "Organisation": lambda: Organisation.objects.order_by("pk").values_list(
        "pk", "slug", "name", "ml_head_id", "span_max", "layers_max", "currency", "updated_at"),
    "Person": lambda: Person.objects.order_by("pk").values_list(
        "pk", "name", "email", "title", "role", "active", "manager_id", "updated_at"),
    "Team": lambda: Team.objects.order_by("pk").values_list(
        "pk", "name", "kind", "lead_id", "updated_at"),
    "Membership": lambda: Membership.objects.order_by("pk").values_list(
        "pk", "person_id", "team_id", "allocation", "updated_at"),
    "Pipeline": lambda: Pipeline.objects.order_by("pk").values_list(
        "pk", "name", "lifecycle", "required_stages", "updated_at"),
    "Engagement": lambda: Engagement.objects.order_by("pk").values_list(
        "pk", "role", "updated_at"),
    "Position": lambda: Position.objects.order_by("pk").values_list(
        "pk", "team_id", "title", "fte", "status", "person_id", "updated_at"),
    "Level": lambda: Level.objects.order_by("pk").values_list(
        "pk", "name", "annual_cost", "updated_at"),
    "OrganisationAccess": lambda: OrganisationAccess.objects.order_by("pk").values_list(
        "pk", "user_id", "role"),
    "ApiToken": lambda: ApiToken.objects.order_by("pk").values_list(
        "pk", "name", "revoked_at"),
    "Job": lambda: Job.objects.order_by("pk").values_list("pk", "kind", "state"),
    "User": lambda: get_user_model().objects.order_by("pk").values_list(
        "pk", "password", "is_staff", "is_superuser"),
}

# Each query compiled once per test process. The state is taken twice around each of thousands
# of requests, and building and compiling ten querysets each time was most of its cost; the
# rows come back converted by the same compiler, exactly as `list(queryset)` gives them.
_compiled: dict[str, tuple] = {}


def _rows(name: str) -> list:
    entry = _compiled.get(name)
    if entry is None:
        queryset = QUERIES[name]()
        compiler = queryset.query.get_compiler(queryset.db)
        entry = _compiled[name] = (queryset.db, compiler, *compiler.as_sql())
    alias, compiler, sql, params = entry
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    return list(compiler.results_iter(results=[fetched], tuple_expected=True))


def db_state() -> dict[str, list]:
    return {name: _rows(name) for name in QUERIES}
