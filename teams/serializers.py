"""The API's JSON for organisations, people, teams and memberships (docs/design.md section 4).

Serializers only translate: JSON to the arguments of `teams.services` and model instances
back to JSON. The rules (no manager cycle, allocation bounds, unique names) live in the
services, whose refusals the views answer as 400 with the same field names.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgdesign.api.strict import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictPrimaryKeyRelatedField,
    StrictSerializer,
)
from teams.models import Level, Membership, Organisation, Person, Role, Team, WorkerType


class OrganisationRelatedField(StrictPrimaryKeyRelatedField):
    """The id of an object of the request's organisation. Another organisation's ids read as
    unknown ones, so a client cannot tell them from ids that do not exist."""

    default_error_messages = {
        "does_not_exist": _("No object with id {pk_value} in this organisation."),
    }

    def get_queryset(self):
        return super().get_queryset().filter(organisation=self.context["organisation"])


class OrganisationSerializer(StrictModelSerializer):
    ml_head = OrganisationRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False,
        help_text="The person who leads the ML organisation, or null.",
    )

    class Meta:
        model = Organisation
        fields = ["id", "slug", "name", "ml_head", "span_max", "layers_max", "updated_at"]
        validators: list = []  # refusals come from the services, not from here
        read_only_fields = ["slug"]


class ManagerExternalIdField(StrictCharField):
    """Reads as the manager's external id; written, names the manager by their HR id, so an
    HR system need not know our ids. Null or empty clears the manager."""

    def __init__(self, **kwargs):
        super().__init__(
            required=False, allow_null=True, allow_blank=True, max_length=100, **kwargs
        )

    def get_attribute(self, instance):
        return instance.manager.external_id if instance.manager_id else None


# How the API writes a moment (DRF's own field, made once: a serializer builds its fields
# anew for each request).
TIMESTAMP = serializers.DateTimeField()


class PersonSerializer(StrictModelSerializer):
    manager = OrganisationRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False,
        help_text="The solid-line manager's id, or null.",
    )
    manager_external_id = ManagerExternalIdField(
        help_text="The solid-line manager's external id; may be written instead of `manager`."
    )
    dotted_line_managers = OrganisationRelatedField(
        queryset=Person.objects.all(), many=True, required=False
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "external_id",
            "name",
            "email",
            "title",
            "department",
            "role",
            "manager",
            "manager_external_id",
            "dotted_line_managers",
            "active",
            "worker_type",
            "level",
            "updated_at",
        ]
        validators: list = []  # refusals come from the services, not from here
        extra_kwargs = {
            "worker_type": {
                "help_text": "employee (the default) or contractor: agency, vendor or offshore "
                "staff whose solid line runs to their vendor.",
            },
        }

    def to_representation(self, person: Person) -> dict:
        """The declared fields, read straight from the person (its manager and dotted lines
        prefetched by the view): DRF's field by field reading took half of the time of a
        page of 100 people. tests/test_api_people.py checks it against DRF's own."""
        listed = self.context.get("dotted_line_managers")  # a page's, read at once
        if listed is not None:
            dotted = listed.get(person.id, ())
        else:
            prefetched = getattr(person, "_prefetched_objects_cache", {})
            dotted = [other.pk for other in
                      prefetched.get("dotted_line_managers", person.dotted_line_managers.all())]
        if not person.manager_id:
            manager_external_id = None
        elif (external_ids := self.context.get("manager_external_ids")) is not None:
            manager_external_id = external_ids.get(person.manager_id)  # a page's, read at once
        else:
            manager_external_id = person.manager.external_id
        return {
            "id": person.id,
            "external_id": person.external_id,
            "name": person.name,
            "email": person.email,
            "title": person.title,
            "department": person.department,
            "role": person.role,
            "manager": person.manager_id,
            "manager_external_id": manager_external_id,
            "dotted_line_managers": list(dotted),
            "active": person.active,
            "worker_type": person.worker_type,
            "level": person.level,
            "updated_at": TIMESTAMP.to_representation(person.updated_at),
        }

    def validate_manager_external_id(self, external_id: str | None) -> Person | None:
        if not external_id:
            return None
        manager = Person.objects.filter(
            organisation=self.context["organisation"], external_id=external_id
        ).first()
        if manager is None:
            raise serializers.ValidationError(
                f"No one in this organisation has the external id {external_id!r}."
            )
        return manager

    def validate(self, attrs: dict) -> dict:
        """`manager_external_id` is another way to say `manager`; both must agree."""
        if "manager_external_id" in attrs:
            by_external_id = attrs.pop("manager_external_id")
            if "manager" in attrs and attrs["manager"] != by_external_id:
                raise serializers.ValidationError(
                    {"manager_external_id": "It names another person than `manager`."}
                )
            attrs["manager"] = by_external_id
        return attrs


class TeamSerializer(StrictModelSerializer):
    lead = OrganisationRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False,
        help_text="The person accountable for the team, or null.",
    )
    in_ml_org = serializers.SerializerMethodField(
        help_text="Whether the team's active lead is in the ML org; null when there is no "
        "active lead or no active ML head to tell."
    )

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "lead", "kpi", "kpi_type", "in_ml_org", "updated_at"]
        validators: list = []  # refusals come from the services, not from here

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_in_ml_org(self, team: Team) -> bool | None:
        # Computed by the view for the whole page at once (one query for every chain).
        return self.context["in_ml_org"].get(team.id)


class LevelSerializer(StrictModelSerializer):
    """A level of the level table: money, so only for admins (the view checks)."""

    annual_cost = StrictIntegerField(
        min_value=0, help_text="What a person at this level costs a year, in the "
        "organisation's currency (whole units)."
    )
    currency = serializers.SerializerMethodField(
        help_text="The organisation's currency (ISO 4217), the same for every level."
    )

    class Meta:
        model = Level
        fields = ["id", "name", "annual_cost", "currency", "updated_at"]
        validators: list = []  # refusals come from the services, not from here

    def get_currency(self, level: Level) -> str:
        return self.context["organisation"].currency


class MembershipSerializer(StrictModelSerializer):
    person = OrganisationRelatedField(queryset=Person.objects.all())
    team = OrganisationRelatedField(queryset=Team.objects.all())
    # Declared plainly so that the bounds are told by the service, like every other rule.
    allocation = StrictIntegerField(help_text="Percent of one FTE, 1 to 100.")

    class Meta:
        model = Membership
        fields = ["id", "person", "team", "allocation", "updated_at"]
        validators: list = []  # refusals come from the services, not from here


class MembershipUpdateSerializer(MembershipSerializer):
    """A membership changes its allocation; its person and team stay (delete and create)."""

    class Meta(MembershipSerializer.Meta):
        read_only_fields = ["person", "team"]

    person = serializers.PrimaryKeyRelatedField(read_only=True)
    team = serializers.PrimaryKeyRelatedField(read_only=True)


class SyncTeamSerializer(serializers.Serializer):
    team = serializers.CharField(help_text="The team's name.")
    allocation = serializers.IntegerField()


class SyncPersonSerializer(serializers.Serializer):
    """One person as an HR system sends them (describes the request; `teams.sync` reads it)."""

    external_id = serializers.CharField()
    name = serializers.CharField(required=False)
    # null is read as empty, as HR systems send it.
    email = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    department = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="The HR department."
    )
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    manager_external_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    active = serializers.BooleanField(required=False)
    worker_type = serializers.ChoiceField(
        choices=WorkerType.choices, required=False, allow_null=True,
        help_text="employee or contractor; null or empty is employee.",
    )
    level = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=20,
        help_text="The HR job level, such as L5.",
    )
    teams = SyncTeamSerializer(
        many=True, required=False,
        help_text="Absent leaves the person's memberships as they are; present replaces them.",
    )


class PeopleSyncSerializer(StrictSerializer):
    """The envelope of a sync. Each record is checked by the sync itself, which reports every
    bad one with its index, so here they only need to be objects."""

    mode = StrictChoiceField(choices=["delta", "snapshot"], default="delta")
    dry_run = StrictBooleanField(default=False)
    # Any JSON per record: the sync itself refuses a record that is not an object, with its
    # index, in its own answer.
    people = serializers.ListField(child=serializers.JSONField(allow_null=True))

    def get_fields(self) -> dict:
        # "async" is a Python keyword, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["async"] = StrictBooleanField(
            default=False,
            help_text="Apply it in the background: 202 with the job's address in Location.",
        )
        return fields


class PeopleSyncRequestSerializer(PeopleSyncSerializer):
    """The same envelope with the records described, for the schema."""

    people = SyncPersonSerializer(many=True)


class SyncErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True, allow_blank=True)
    errors = serializers.DictField()


class SyncResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    deactivated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = SyncErrorSerializer(many=True)

