"""Admin for pipelines, engagements and positions; saves go through `pipelines.services` and
`pipelines.positions`."""

from django import forms
from django.contrib import admin

from orgdesign.web.admin_actions import delete_each
from pipelines import positions, services
from pipelines.models import Engagement, Pipeline, Position
from teams.actor import admin_actor
from teams.services import require_same_org


class PipelineAdminForm(forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["organisation", "name", "pm_owner", "lifecycle", "tier", "metric",
                  "required_stages"]

    def clean(self):
        data = super().clean()
        if data.get("organisation") is not None:
            require_same_org(data["organisation"].pk, "pm_owner", data.get("pm_owner"))
        if "required_stages" in data:
            data["required_stages"] = services.clean_stages(data["required_stages"] or [])
        return data


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    form = PipelineAdminForm
    list_display = ["name", "organisation", "pm_owner", "lifecycle", "tier"]
    list_filter = ["lifecycle", "tier", "organisation"]
    search_fields = ["name"]
    raw_id_fields = ["pm_owner"]
    list_select_related = ["organisation", "pm_owner"]

    def delete_model(self, request, obj):
        services.pipeline_delete(pipeline=obj, actor=admin_actor(request))

    def delete_queryset(self, request, queryset):
        delete_each(request, queryset, services.pipeline_delete, lambda pipeline: {
            "pipeline": pipeline, "actor": admin_actor(request)})

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        if change:
            data.pop("organisation")
            services.pipeline_update(actor=admin_actor(request), pipeline=obj, **data)
        else:
            obj.pk = services.pipeline_create(actor=admin_actor(request), **data).pk


class EngagementAdminForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = ["pipeline", "team", "role", "effort"]

    def clean(self):
        data = super().clean()
        pipeline, team = data.get("pipeline"), data.get("team")
        if pipeline is not None and team is not None:
            require_same_org(pipeline.organisation_id, "team", team)
        return data


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    form = EngagementAdminForm
    list_display = ["pipeline", "team", "role", "effort"]
    list_filter = ["role"]
    raw_id_fields = ["pipeline", "team"]
    list_select_related = ["pipeline", "team"]

    def delete_model(self, request, obj):
        services.engagement_set(
            pipeline=obj.pipeline, team=obj.team, role=None, actor=admin_actor(request)
        )

    def delete_queryset(self, request, queryset):
        delete_each(request, queryset, services.engagement_set, lambda cell: {
            "pipeline": cell.pipeline, "team": cell.team, "role": None,
            "actor": admin_actor(request)})

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        obj.pk = services.engagement_set(
            actor=admin_actor(request),
            pipeline=data["pipeline"], team=data["team"], role=data["role"],
            effort=data.get("effort"),
        ).pk


class PositionAdminForm(forms.ModelForm):
    class Meta:
        model = Position
        fields = ["organisation", "team", "title", "role", "level", "fte", "target_date",
                  "pipeline"]

    def clean(self):
        data = super().clean()
        if data.get("organisation") is not None:
            require_same_org(data["organisation"].pk, "team", data.get("team"))
            require_same_org(data["organisation"].pk, "pipeline", data.get("pipeline"))
        if self.instance.pk is not None:
            stored = Position.objects.get(pk=self.instance.pk)
            positions.check_record_kept(stored, team=data.get("team"), fte=data.get("fte"))
        return data


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    """Positions, opened and edited through `pipelines.positions`; the status moves through
    the actions (cancel, open again), and a position is filled from its page in the app,
    where the person is picked."""

    form = PositionAdminForm
    list_display = ["title", "team", "organisation", "fte", "status", "target_date", "person"]
    list_filter = ["status", "organisation"]
    search_fields = ["title"]
    raw_id_fields = ["team", "pipeline"]
    list_select_related = ["team", "organisation", "person"]
    actions = ["cancel", "reopen"]

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        organisation = data.pop("organisation")
        if change:
            positions.position_update(position=obj, actor=admin_actor(request), **data)
        else:
            obj.pk = positions.position_create(
                organisation=organisation, actor=admin_actor(request), **data
            ).pk

    def delete_model(self, request, obj):
        positions.position_delete(position=obj, actor=admin_actor(request))

    def delete_queryset(self, request, queryset):
        delete_each(request, queryset, positions.position_delete, lambda position: {
            "position": position, "actor": admin_actor(request)})

    @admin.action(description="Cancel the selected open positions")
    def cancel(self, request, queryset):
        delete_each(request, queryset, positions.position_cancel, lambda position: {
            "position": position, "actor": admin_actor(request)})

    @admin.action(description="Open the selected cancelled positions again")
    def reopen(self, request, queryset):
        delete_each(request, queryset, positions.position_reopen, lambda position: {
            "position": position, "actor": admin_actor(request)})
