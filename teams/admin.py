"""Admin for organisations, people, teams and level tables. Saves go through `teams.services`
(and `teams.levels`), and the forms run the services' checks first, so the admin cannot write
what the app would refuse."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from orgdesign.web.admin_actions import delete_each
from teams import levels, services
from teams.actor import admin_actor
from teams.models import Level, Membership, Organisation, OrganisationAccess, Person, Team


class OrganisationAdminForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["slug", "name", "ml_head", "span_max", "layers_max"]

    def clean_ml_head(self):
        head = self.cleaned_data.get("ml_head")
        if self.instance.pk:
            services.require_same_org(self.instance.pk, "ml_head", head)
        elif head is not None:
            raise ValidationError("Create the organisation first, then pick its ML head.")
        return head


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = ["name", "slug", "ml_head", "span_max", "layers_max"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["ml_head"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.organisation_update(
                actor=admin_actor(request),
                organisation=obj,
                name=data["name"],
                ml_head=data["ml_head"],
                span_max=data["span_max"],
                layers_max=data["layers_max"],
            )
        else:
            created = services.organisation_create(
                actor=admin_actor(request), slug=data["slug"], name=data["name"]
            )
            obj.pk = created.pk


class OrganisationAccessAdminForm(forms.ModelForm):
    class Meta:
        model = OrganisationAccess
        fields = ["organisation", "user", "role"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and data.get("role"):
            # A role change must not leave the organisation without an admin.
            services.check_access_change(
                organisation=self.instance.organisation, user=self.instance.user, role=data["role"]
            )
        return data


@admin.register(OrganisationAccess)
class OrganisationAccessAdmin(admin.ModelAdmin):
    form = OrganisationAccessAdminForm
    list_display = ["organisation", "user", "role"]
    list_filter = ["role", "organisation"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # Changing who holds the role would be a revoke and a grant: add a new row instead.
        return ["organisation", "user"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # The services refuse to remove an organisation's last admin.
        return obj is None or services.access_removable(
            organisation=obj.organisation, user=obj.user
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        organisation = obj.organisation if change else data["organisation"]
        user = obj.user if change else data["user"]
        obj.pk = services.access_grant(organisation=organisation, user=user, role=data["role"]).pk

    def delete_model(self, request, obj):
        services.access_revoke(organisation=obj.organisation, user=obj.user)

    def delete_queryset(self, request, queryset):
        delete_each(request, queryset, services.access_revoke, lambda a: {
            "organisation": a.organisation, "user": a.user
        })


class PersonAdminForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = [
            "organisation",
            "external_id",
            "name",
            "email",
            "user_name",
            "given_name",
            "family_name",
            "title",
            "department",
            "role",
            "worker_type",
            "user_type",
            "level",
            "manager",
            "dotted_line_managers",
            "active",
        ]

    def clean(self):
        data = super().clean()
        organisation = data.get("organisation")
        if organisation is None:
            return data
        self.instance.organisation = organisation
        manager = data.get("manager")
        services.require_same_org(organisation.pk, "manager", manager)
        for dotted in data.get("dotted_line_managers") or ():
            services.require_same_org(organisation.pk, "dotted_line_managers", dotted)
        services.person_check_manager(self.instance, manager)
        return data


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    form = PersonAdminForm
    list_display = [
        "name", "organisation", "external_id", "email", "role", "worker_type", "level",
        "manager", "active",
    ]
    list_filter = ["active", "role", "worker_type", "organisation"]
    search_fields = ["name", "email", "user_name", "external_id"]
    raw_id_fields = ["manager", "dotted_line_managers"]
    list_select_related = ["organisation", "manager"]
    actions = ["deactivate"]

    def has_delete_permission(self, request, obj=None):
        # People who leave are deactivated (services.person_deactivate), never deleted, so
        # their reporting lines and history stay in the design.
        return False

    @admin.action(description="Deactivate the selected people")
    def deactivate(self, request, queryset):
        for person in queryset:
            services.person_deactivate(actor=admin_actor(request), person=person)

    def save_model(self, request, obj, form, change):
        data = {key: form.cleaned_data[key] for key in form.Meta.fields if key in form.cleaned_data}
        data["dotted_line_managers"] = list(data.get("dotted_line_managers") or [])
        if change:
            data.pop("organisation")
            services.person_update(actor=admin_actor(request), person=obj, **data)
        else:
            created = services.person_create(actor=admin_actor(request), **data)
            obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        # The dotted lines were saved with the rest by save_model, in one service call (and
        # one history entry); the form's own save_m2m would write them again.
        pass


class TeamAdminForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["organisation", "name", "kind", "lead", "kpi", "kpi_type", "external_id"]

    def clean(self):
        data = super().clean()
        if data.get("organisation") is not None:
            services.require_same_org(data["organisation"].pk, "lead", data.get("lead"))
        return data


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamAdminForm
    list_display = ["name", "organisation", "kind", "lead", "kpi_type"]
    list_filter = ["kind", "organisation"]
    search_fields = ["name"]
    raw_id_fields = ["lead"]
    list_select_related = ["organisation", "lead"]

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        if change:
            data.pop("organisation")
            services.team_update(actor=admin_actor(request), team=obj, **data)
        else:
            obj.pk = services.team_create(actor=admin_actor(request), **data).pk

    def has_delete_permission(self, request, obj=None):
        # The services refuse to delete a team that pipelines engage (its cells would go).
        return obj is None or not obj.engagements.exists()

    def delete_model(self, request, obj):
        services.team_delete(team=obj, actor=admin_actor(request))

    def delete_queryset(self, request, queryset):
        delete_each(request, queryset, services.team_delete, lambda team: {
            "team": team, "actor": admin_actor(request)})


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["person", "team", "allocation"]

    def clean(self):
        data = super().clean()
        person, team = data.get("person"), data.get("team")
        if person is not None and team is not None:
            services.require_same_org(person.organisation_id, "team", team)
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["person", "team", "allocation"]
    raw_id_fields = ["person", "team"]
    list_select_related = ["person", "team"]

    def delete_model(self, request, obj):
        services.membership_remove(person=obj.person, team=obj.team, actor=admin_actor(request))

    def delete_queryset(self, request, queryset):
        delete_each(request, queryset, services.membership_remove, lambda membership: {
            "person": membership.person, "team": membership.team,
            "actor": admin_actor(request)})

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        obj.pk = services.membership_set(
            actor=admin_actor(request),
            person=data["person"],
            team=data["team"],
            allocation=data["allocation"],
        ).pk


class LevelAdminForm(forms.ModelForm):
    class Meta:
        model = Level
        fields = ["organisation", "name", "annual_cost"]


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    """The level tables (money: the admin site is for superusers and staff the operator
    trusts); saves go through `teams.levels`."""

    form = LevelAdminForm
    list_display = ["name", "organisation", "annual_cost"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        organisation = data.pop("organisation")
        if change:
            levels.level_update(level=obj, actor=admin_actor(request), **data)
        else:
            obj.pk = levels.level_create(
                organisation=organisation, actor=admin_actor(request), **data
            ).pk

    def delete_model(self, request, obj):
        levels.level_delete(level=obj, actor=admin_actor(request))

    def delete_queryset(self, request, queryset):
        delete_each(request, queryset, levels.level_delete, lambda level: {
            "level": level, "actor": admin_actor(request)})
