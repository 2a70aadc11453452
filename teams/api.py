"""The API of an organisation, its people, teams and memberships, and the people sync, under
/api/v1/orgs/<slug>/. Every write goes through `teams.services` (or `teams.sync`) with the
API as its door and the token as its author; `orgdesign.api.auth` checks who may do what.
"""

from collections import defaultdict

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from orgdesign.analysis.kept import ml_org_of_teams
from orgdesign.api.auth import api_actor, caller_sees_money, expected_version, service_call
from orgdesign.api.filters import IdFilter, StrictBooleanFilter, UpdatedSinceFilterSet
from orgdesign.api.views import OrganisationScopedView, OrganisationViewSet, PairViewSet
from orgdesign.jobs.models import JobKind
from orgdesign.jobs.serializers import JobAcceptedSerializer, job_accepted
from teams import levels, services
from teams.actor import Actor
from teams.models import (
    Level,
    Membership,
    Organisation,
    Person,
    Role,
    Team,
    TeamKind,
    WorkerType,
)
from teams.serializers import (
    LevelSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    OrganisationSerializer,
    PeopleSyncRequestSerializer,
    PeopleSyncSerializer,
    PersonSerializer,
    SyncResultSerializer,
    TeamSerializer,
)
from teams.sync import sync_people


class OrganisationView(OrganisationScopedView):
    """The organisation itself: its name, ML head and thresholds."""

    queryset = Organisation.objects.all()
    organisation_lookup = "pk"
    serializer_class = OrganisationSerializer

    def get(self, request, slug: str) -> Response:
        return self.object_response(self.organisation)

    def patch(self, request, slug: str) -> Response:
        organisation = self.organisation
        expected = expected_version(request, organisation)
        serializer = self.get_serializer(organisation, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with service_call():
            organisation = services.organisation_update(
                organisation=organisation,
                expected_version=expected,
                actor=api_actor(request),
                **serializer.validated_data,
            )
        return self.object_response(organisation)


class PersonFilter(UpdatedSinceFilterSet):
    external_id = filters.CharFilter()
    email = filters.CharFilter(lookup_expr="iexact", label="The email, in any case.")
    team = IdFilter(
        field_name="memberships__team", label="Members of the team with this id."
    )
    manager = IdFilter(field_name="manager", label="Direct reports of this id.")
    role = filters.ChoiceFilter(choices=Role.choices)
    active = StrictBooleanFilter()
    worker_type = filters.ChoiceFilter(choices=WorkerType.choices)
    level = filters.CharFilter()

    class Meta:
        model = Person
        fields = [
            "external_id", "email", "team", "manager", "role", "active", "worker_type", "level",
            "updated_since",
        ]


class PersonViewSet(OrganisationViewSet):
    """People. Deleting a person deactivates them: they stay in the design, with their
    reporting lines, as someone who has left."""

    queryset = Person.objects.select_related("manager").prefetch_related(
        Prefetch("dotted_line_managers", queryset=Person.objects.only("id"))
    )
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    ordering_fields = ["name", "external_id", "email", "updated_at", "id"]
    ordering = ["name", "id"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            return queryset
        # A page reads its managers' external ids and its dotted lines in a query each
        # (extra_context): a model instance for each manager and the prefetch machinery were
        # half of a page's time at L. Not an annotation: the page's count would join it too,
        # for all 50,000 people.
        return queryset.select_related(None).prefetch_related(None)

    def extra_context(self, people: list) -> dict:
        if self.action != "list":
            return {}
        dotted: dict[int, list[int]] = defaultdict(list)
        lines = (
            Person.dotted_line_managers.through.objects
            .filter(from_person_id__in=[person.pk for person in people])
            .order_by("to_person__name", "to_person_id")  # as Person's own ordering
            .values_list("from_person_id", "to_person_id")
        )
        for person_id, manager_id in lines:
            dotted[person_id].append(manager_id)
        managers = {person.manager_id for person in people if person.manager_id}
        external_ids = dict(
            Person.objects.filter(pk__in=managers).values_list("id", "external_id")
        ) if managers else {}
        return {"dotted_line_managers": dotted, "manager_external_ids": external_ids}

    def create_object(self, data: dict, actor: Actor) -> Person:
        return services.person_create(organisation=self.organisation, actor=actor, **data)

    def update_object(self, person, data, expected, actor) -> Person:
        return services.person_update(
            person=person, expected_version=expected, actor=actor, **data
        )

    def delete_object(self, person, expected, actor) -> None:
        services.lock_unchanged(person, expected)
        services.person_deactivate(person=person, actor=actor)


class TeamFilter(UpdatedSinceFilterSet):
    name = filters.CharFilter()
    kind = filters.ChoiceFilter(choices=TeamKind.choices)
    lead = IdFilter(field_name="lead")

    class Meta:
        model = Team
        fields = ["name", "kind", "lead", "updated_since"]


class TeamViewSet(OrganisationViewSet):
    """Teams, the columns of the matrix. `in_ml_org` is computed, read only."""

    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    ordering_fields = ["name", "kind", "updated_at", "id"]
    ordering = ["name", "id"]

    def extra_context(self, teams: list) -> dict:
        return {"in_ml_org": ml_org_of_teams(self.organisation, list(teams))}

    def create_object(self, data: dict, actor: Actor) -> Team:
        return services.team_create(organisation=self.organisation, actor=actor, **data)

    def update_object(self, team, data, expected, actor) -> Team:
        return services.team_update(team=team, expected_version=expected, actor=actor, **data)

    def delete_object(self, team, expected, actor) -> None:
        services.team_delete(team=team, expected_version=expected, actor=actor)


class LevelFilter(UpdatedSinceFilterSet):
    name = filters.CharFilter()

    class Meta:
        model = Level
        fields = ["name", "updated_since"]


class LevelViewSet(OrganisationViewSet):
    """The level table: what a person at each level costs a year. Money, so for admins
    only: a token of scope admin, or a login with the admin role; anyone else 403."""

    queryset = Level.objects.all()
    serializer_class = LevelSerializer
    filterset_class = LevelFilter
    ordering_fields = ["name", "annual_cost", "updated_at", "id"]
    ordering = ["name", "id"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not caller_sees_money(request, self.organisation):
            raise exceptions.PermissionDenied(
                "Levels and costs are shown to admins only: use a token of scope admin."
            )

    def create_object(self, data: dict, actor: Actor) -> Level:
        return levels.level_create(organisation=self.organisation, actor=actor, **data)

    def update_object(self, level, data, expected, actor) -> Level:
        return levels.level_update(level=level, expected_version=expected, actor=actor, **data)

    def delete_object(self, level, expected, actor) -> None:
        levels.level_delete(level=level, actor=actor)


class MembershipFilter(UpdatedSinceFilterSet):
    person = IdFilter(field_name="person")
    team = IdFilter(field_name="team")

    class Meta:
        model = Membership
        fields = ["person", "team", "updated_since"]


class MembershipViewSet(PairViewSet):
    """A person in a team with an allocation. One per pair: change it with PATCH."""

    queryset = Membership.objects.all()
    organisation_lookup = "team__organisation"
    serializer_class = MembershipSerializer
    update_serializer_class = MembershipUpdateSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["allocation", "updated_at", "id"]
    ordering = ["id"]

    pair = ("person", "team")

    def taken(self, *, person, team) -> str:
        return f"{person.name} is already in {team.name}; change the allocation with PATCH."

    def create_pair(self, data: dict, actor: Actor) -> Membership:
        return services.membership_set(
            person=data["person"], team=data["team"], allocation=data["allocation"], actor=actor
        )

    def change_pair(self, membership, data, actor) -> Membership:
        return services.membership_set(
            person=membership.person,
            team=membership.team,
            allocation=data.get("allocation", membership.allocation),
            actor=actor,
        )

    def remove_pair(self, membership, actor) -> None:
        services.membership_remove(
            person=membership.person, team=membership.team, actor=actor
        )


class PeopleSyncView(OrganisationScopedView):
    """A batch of people as an HR system sends them, applied all or nothing by `teams.sync`."""

    serializer_class = PeopleSyncSerializer

    @extend_schema(
        request=PeopleSyncRequestSerializer,
        responses={200: SyncResultSerializer, 202: JobAcceptedSerializer},
        description=(
            "Creates, updates (and in snapshot mode deactivates) people in one go. 200 when "
            "applied, or when a dry run is clean; 400 with every bad record and nothing "
            "written otherwise."
        ),
    )
    def post(self, request, slug: str) -> Response:
        envelope = self.get_serializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        if envelope.validated_data.get("async"):
            # Checked now, so a bad batch is refused at once with every bad record (and never
            # stored); a worker then applies it, and the answer says where to follow it.
            check = sync_people(
                organisation=self.organisation,
                records=envelope.validated_data["people"],
                mode=envelope.validated_data["mode"],
                dry_run=True,
                actor=api_actor(request),
            )
            if check.errors:
                return Response(check.as_dict(), status=status.HTTP_400_BAD_REQUEST)
            return job_accepted(request, self.organisation, JobKind.PEOPLE_SYNC, {
                "people": envelope.validated_data["people"],
                "mode": envelope.validated_data["mode"],
                "dry_run": envelope.validated_data["dry_run"],
            })
        with service_call():
            result = sync_people(
                organisation=self.organisation,
                records=envelope.validated_data["people"],
                mode=envelope.validated_data["mode"],
                dry_run=envelope.validated_data["dry_run"],
                actor=api_actor(request),
            )
        answer = status.HTTP_400_BAD_REQUEST if result.errors else status.HTTP_200_OK
        return Response(result.as_dict(), status=answer)
