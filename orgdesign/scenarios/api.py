"""API v1: compare two designs, `GET /api/v1/orgs/<slug>/compare/<other>/` (docs/design.md
section 4).

Who may compare with what is decided by `orgdesign.access.policy.comparable`, as for the compare
page: a login compares any two designs it may see; a token compares its own design with the
ones `orgdesign.access.policy.token_sees` allows (a home's token its scenarios that are not private,
a scenario's token its origin and home, never a sibling). Any other slug answers 404.

`capacity` carries cost only for a caller who sees money in both designs (a token of scope
admin, a login that is an admin of both); `?plan=1` judges the findings of the plans.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from orgdesign.access.policy import comparable, may_review
from orgdesign.analysis.kept import comparison_of
from orgdesign.api.auth import api_actor, caller_role, caller_sees_money, service_call, token_of
from orgdesign.api.strict import FlagField, StrictCharField, StrictChoiceField, StrictSerializer
from orgdesign.api.views import OrganisationScopedView
from orgdesign.health.as_of import AS_OF_HELP, api_design_shown, validate_as_of
from orgdesign.jobs.models import JobKind
from orgdesign.jobs.serializers import JobAcceptedSerializer, job_accepted
from orgdesign.scenarios.base import changes_of, findings_of_changes
from orgdesign.scenarios.merge import NO_BASE, NoBase, check_merge, merge_plan, scenario_rebase
from orgdesign.scenarios.review import STEPS, TEXT_MAX, review_add, review_state
from orgdesign.scenarios.services import check_scenario_room
from orgdesign.scenarios.undo import undo_name
from pipelines.serializers import FindingSerializer
from teams.models import Organisation, ScenarioMerge, ScenarioReview


class ChangeSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="What matched the object across the designs.")
    name = serializers.CharField()
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    fields = serializers.DictField(
        child=serializers.DictField(), help_text='Each field that differs: {"a": ..., "b": ...}.'
    )


class FindingsDiffSerializer(serializers.Serializer):
    fixed = FindingSerializer(many=True, help_text="Findings of the first design only.")
    introduced = FindingSerializer(many=True, help_text="Findings of the second design only.")


class FigureSerializer(serializers.Serializer):
    a = serializers.FloatField(allow_null=True, help_text="In the first design (null: absent).")
    b = serializers.FloatField(allow_null=True, help_text="In the second design.")


class CapacityTotalSerializer(serializers.Serializer):
    headcount = FigureSerializer(help_text="Active people in at least one team, each once.")
    fte = FigureSerializer()
    open_positions = FigureSerializer()
    planned_fte = FigureSerializer(help_text="FTE once the open positions are filled.")
    cost = FigureSerializer(
        required=False, help_text="Annual cost now (admins and admin tokens only)."
    )
    planned_cost = FigureSerializer(
        required=False, help_text="Annual cost once the open positions are filled (admins)."
    )


class CapacityTeamSerializer(CapacityTotalSerializer):
    name = serializers.CharField(help_text="Teams are matched across the designs by name.")
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    headcount = FigureSerializer(help_text="Active members.")


class CapacityPipelineSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Pipelines are matched by name.")
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    fte = FigureSerializer()
    planned_fte = FigureSerializer()
    cost = FigureSerializer(required=False, help_text="Admins and admin tokens only.")
    planned_cost = FigureSerializer(required=False, help_text="Admins and admin tokens only.")


class CapacityDiffSerializer(serializers.Serializer):
    total = CapacityTotalSerializer()
    teams = CapacityTeamSerializer(many=True, help_text="Only the teams whose figures differ.")
    pipelines = CapacityPipelineSerializer(
        many=True, help_text="Only the pipelines whose figures differ."
    )


class ComparisonSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    people = ChangeSerializer(many=True)
    teams = ChangeSerializer(many=True)
    pipelines = ChangeSerializer(many=True)
    cells = ChangeSerializer(many=True)
    findings = FindingsDiffSerializer()
    capacity = CapacityDiffSerializer(
        help_text="Headcount, FTE, open positions and (admins) cost, from the first design "
        'to the second: each figure as {"a": ..., "b": ...}.'
    )


class CompareQuerySerializer(serializers.Serializer):
    plan = FlagField(
        required=False,
        help_text="1 or true: the findings fixed and introduced are the plans' (each design "
        "with its open positions filled, as findings/?plan=1); 0 or false (the default): "
        "the designs' own.",
    )
    as_of = serializers.CharField(required=False, help_text="The first design as of this "
                                  "moment (then against now). " + AS_OF_HELP,
                                  validators=[validate_as_of])


class CompareView(OrganisationScopedView):
    """What differs from this design to `other`: people, teams, pipelines, cells, and the
    findings each has that the other has not."""

    serializer_class = ComparisonSerializer
    filter_backends: list = []

    @extend_schema(parameters=[CompareQuerySerializer], responses=ComparisonSerializer)
    def get(self, request, slug: str, other: str) -> Response:
        query = CompareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        plan = query.validated_data.get("plan", False)
        other_design = self.other_design(request, other)
        money = caller_sees_money(request, self.organisation) and caller_sees_money(
            request, other_design
        )
        past = api_design_shown(self.organisation, request.query_params, now_too=False)
        comparison = comparison_of(self.organisation, other_design, plan=plan, money=money,
                                   first_as=past.analysis if past else None)
        return Response(comparison.as_dict())

    def other_design(self, request, slug: str) -> Organisation:
        return comparable(request, self.organisation, slug, token=token_of(request))


class ChangedObjectSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["person", "team", "pipeline", "membership",
                                            "engagement", "position"])
    id = serializers.CharField(help_text="The object's id in the origin (new<id>: the "
                               "scenario added it); a membership or engagement is "
                               "<person or pipeline>-<team>.")
    name = serializers.CharField()


class ScenarioChangeSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="<type>:<id>:<field>, or <type>:<id> for an object "
                                "added or removed: the name of the change in every list.")
    object = ChangedObjectSerializer()
    field = serializers.CharField(allow_null=True)
    action = serializers.ChoiceField(choices=["added", "removed", "changed"])
    before = serializers.JSONField(allow_null=True, help_text="As copied (null: added).")
    after = serializers.JSONField(allow_null=True, help_text="In the scenario now (null: "
                                  "removed). References are ids, as `object.id`.")
    words = serializers.CharField(help_text='In words: "Dana Kim: manager Priya Shah → '
                                  'Amara Okafor".')
    fixes = FindingSerializer(many=True, help_text="Findings of the live design, about "
                              "what this change is about, that the scenario has not.")
    brings = FindingSerializer(many=True, help_text="Findings of the scenario, about what "
                               "this change is about, that the live design has not.")


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The schema of one page of a list (orgdesign.api.auth.ApiPagination) of `item`s."""
    return type(name, (serializers.Serializer,), {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    })


ScenarioChangePageSerializer = page_of(ScenarioChangeSerializer, "ScenarioChangePageSerializer")


class ScenarioChangesView(OrganisationScopedView):
    """What the scenario changed since it was copied from this design (its base), change
    by change, in the origin's ids: the live design's own changes since are not the
    scenario's. 404 for a scenario that is not this design's, or that the caller may not
    see; 409 for one copied before bases were kept."""

    serializer_class = ScenarioChangeSerializer
    filter_backends: list = []

    @extend_schema(responses=ScenarioChangePageSerializer,
                   parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)])
    def get(self, request, slug: str, scenario: str) -> Response:
        other = comparable(request, self.organisation, scenario, token=token_of(request))
        if other.scenario_of_id != self.organisation.pk:
            raise NotFound("No such scenario of this design.")
        changes = changes_of(other)
        if changes is None:
            return Response({"detail": NO_BASE}, status=409)
        page = self.paginate_queryset(changes)
        effects = findings_of_changes(other, page)
        context = self.get_serializer_context()
        return self.get_paginated_response([
            {**change.as_dict(),
             **{side: FindingSerializer(effects.get(change.key, {}).get(side, []), many=True,
                                        context=context).data
                for side in ("fixes", "brings")}}
            for change in page])


def refusal_response(refused: DjangoValidationError) -> Response:
    """A merge or rebase refused: 409 naming the unresolved conflicts, or saying what is
    missing (an approval); 400 with the fields for bad input."""
    if hasattr(refused, "error_dict"):
        if "conflicts" in refused.error_dict:
            return Response({"detail": "Resolve these conflicts first.",
                             "conflicts": refused.message_dict["conflicts"]}, status=409)
        raise serializers.ValidationError(refused.message_dict)
    return Response({"detail": refused.messages[0]}, status=409)


class ScenarioView(OrganisationScopedView):
    """What the scenario views share: the scenario of this design named in the URL, which
    the caller may see (404 otherwise)."""

    filter_backends: list = []

    def scenario(self, request, slug: str) -> Organisation:
        other = comparable(request, self.organisation, slug, token=token_of(request))
        if other.scenario_of_id != self.organisation.pk:
            raise NotFound("No such scenario of this design.")
        return other

    def require(self, request, action: str) -> None:
        if not may_review(caller_role(request, self.organisation), action):
            raise PermissionDenied(f"Your role in {self.organisation.slug} may not "
                                   f"{action.replace('_', ' ')} a scenario.")


class ReviewStepSerializer(serializers.Serializer):
    action = serializers.CharField()
    text = serializers.CharField()
    change = serializers.CharField(help_text="A change's key, for a comment on one change.")
    who = serializers.CharField()
    at = serializers.DateTimeField()


class ReviewStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["draft", "proposed", "changes_requested",
                                             "approved", "merged"])
    needs_approval = serializers.BooleanField()
    approved_by = serializers.ListField(child=serializers.CharField())
    withdrawn = serializers.ListField(child=serializers.CharField(),
                                      help_text="Approvals the scenario changed since.")
    may_merge = serializers.BooleanField()


class ReviewSerializer(serializers.Serializer):
    state = ReviewStateSerializer()
    steps = ReviewStepSerializer(many=True)


class ReviewPostSerializer(StrictSerializer):
    action = StrictChoiceField(choices=list(STEPS))
    text = StrictCharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    change = StrictCharField(required=False, allow_blank=True, max_length=200)


def _step(step) -> dict:
    return {"action": step.action, "text": step.text, "change": step.change, "who": step.who,
            "at": step.created_at}


class ScenarioReviewView(ScenarioView):
    """The scenario's review: its state and every step, who and when. POST takes a step:
    `propose` (editors), `comment` (anyone who sees the scenario; on one change with
    `change`), `approve` or `request_changes` (admins of this design)."""

    serializer_class = ReviewSerializer
    # A viewer signed in comments; tokens write only with a write scope, as everywhere.
    members_write = True

    @extend_schema(responses=ReviewSerializer)
    def get(self, request, slug: str, scenario: str) -> Response:
        other = self.scenario(request, scenario)
        steps = list(ScenarioReview.objects.filter(scenario=other).select_related(
            "user", "token"))
        return Response({"state": review_state(other, steps).as_dict(),
                         "steps": [_step(step) for step in steps]})

    @extend_schema(request=ReviewPostSerializer, responses={201: ReviewStepSerializer})
    def post(self, request, slug: str, scenario: str) -> Response:
        other = self.scenario(request, scenario)
        body = ReviewPostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self.require(request, body.validated_data["action"])
        with service_call():
            step = review_add(scenario=other, user=request.user, token=token_of(request),
                              **body.validated_data)
        return Response(_step(step), status=201)


class ConflictSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The scenario's change, as in changes/.")
    words = serializers.CharField(help_text="The scenario's change, in words.")
    live = serializers.JSONField(allow_null=True, help_text="The live value (null: the "
                                 "live design removed it).")
    scenario = serializers.JSONField(allow_null=True)
    live_words = serializers.CharField(help_text="What the live design did, in words.")


ConflictPageSerializer = page_of(ConflictSerializer, "ConflictPageSerializer")


class ScenarioConflictsView(ScenarioView):
    """The scenario's changes that the live design also changed since the copy (the same
    field, an object it removed or points at): each must be resolved, `live` or
    `scenario`, before a merge takes it."""

    serializer_class = ConflictSerializer

    @extend_schema(responses=ConflictPageSerializer,
                   parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)])
    def get(self, request, slug: str, scenario: str) -> Response:
        other = self.scenario(request, scenario)
        try:
            merge = merge_plan(other)
        except NoBase as missing:
            return Response({"detail": missing.messages[0]}, status=409)
        page = self.paginate_queryset(list(merge.plan.conflicts.values()))
        return self.get_paginated_response([conflict.as_dict() for conflict in page])


class MergePostSerializer(StrictSerializer):
    changes = serializers.ListField(
        child=StrictCharField(max_length=200), required=False, max_length=100_000,
        help_text="The keys of the changes to merge; absent: all of them.")
    resolutions = serializers.DictField(
        child=StrictChoiceField(choices=["live", "scenario"]), required=False,
        help_text='For each conflict taken: "live" keeps the live value, "scenario" '
                  "takes the scenario's.")


class MergeRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    conflicts = serializers.ListField(child=serializers.CharField(), required=False)


class ScenarioMergeView(ScenarioView):
    """Merge the scenario's changes (all, or `changes`) into this design as it is now,
    keeping the live changes it did not touch: 202 and a job. 409 when a chosen change
    conflicts unresolved, or when the design needs an approval the scenario lacks. Admins
    and admin tokens only."""

    serializer_class = MergePostSerializer

    @extend_schema(request=MergePostSerializer,
                   responses={202: JobAcceptedSerializer, 409: MergeRefusedSerializer})
    def post(self, request, slug: str, scenario: str) -> Response:
        other = self.scenario(request, scenario)
        self.require(request, "merge")
        body = MergePostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        keys = body.validated_data.get("changes")
        resolutions = body.validated_data.get("resolutions", {})
        try:
            check_merge(other, merge_plan(other), keys, resolutions)
        except DjangoValidationError as refused:
            return refusal_response(refused)
        return job_accepted(request, self.organisation, JobKind.SCENARIO_MERGE,
                            {"scenario": other.pk, "name": other.name, "changes": keys,
                             "resolutions": resolutions})


class RebasePostSerializer(StrictSerializer):
    resolutions = serializers.DictField(
        child=StrictChoiceField(choices=["live", "scenario"]), required=False,
        help_text='For each conflict: "live" takes the live value into the scenario, '
                  '"scenario" keeps the scenario\'s.')


class RebaseResultSerializer(serializers.Serializer):
    rebased = serializers.CharField()
    taken = serializers.IntegerField(help_text="Live changes taken in.")
    written = serializers.IntegerField()


class ScenarioRebaseView(ScenarioView):
    """Take the live design's changes since the copy into the scenario (its base becomes
    the live design now), keeping the scenario's own: 200, or 409 naming the conflicts to
    resolve. Editors and write tokens."""

    serializer_class = RebasePostSerializer

    @extend_schema(request=RebasePostSerializer,
                   responses={200: RebaseResultSerializer, 409: MergeRefusedSerializer})
    def post(self, request, slug: str, scenario: str) -> Response:
        other = self.scenario(request, scenario)
        self.require(request, "propose")  # the editors of the design
        body = RebasePostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                result = scenario_rebase(scenario=other, actor=api_actor(request),
                                         resolutions=body.validated_data.get("resolutions"))
        except NoBase as missing:
            return Response({"detail": missing.messages[0]}, status=409)
        except DjangoValidationError as refused:
            return refusal_response(refused)
        return Response(result)


class MergeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scenario = serializers.CharField(help_text="The name of the scenario merged.")
    changes = serializers.IntegerField(help_text="How many of its changes were merged.")
    by = serializers.CharField()
    merged_at = serializers.DateTimeField()
    reason = serializers.CharField(help_text="The history entry the merge recorded.")
    undo = serializers.CharField(help_text="POST there to make the merge's undo scenario.")


def _merge(merge, slug: str) -> dict:
    return {"id": merge.pk, "scenario": merge.scenario_name, "changes": merge.changes,
            "by": merge.who, "merged_at": merge.merged_at, "reason": merge.reason,
            "undo": reverse("api-merge-undo", args=[slug, merge.pk])}


class MergesView(OrganisationScopedView):
    """The scenarios merged into this design, newest first, each of which can be undone."""

    serializer_class = MergeSerializer
    filter_backends: list = []

    def get_queryset(self):
        return ScenarioMerge.objects.filter(organisation=self.organisation).select_related(
            "user", "token")

    @extend_schema(responses=page_of(MergeSerializer, "MergePage"))
    def get(self, request, slug: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([_merge(merge, slug) for merge in page])


class MergeUndoView(OrganisationScopedView):
    """Make the merge's undo: a scenario of this design that puts back what the merge
    changed, made from the design as it is now (202 and a copy job; the job's result names
    the scenario). Review and merge it like any other. Editors and write tokens."""

    serializer_class = JobAcceptedSerializer
    filter_backends: list = []

    @extend_schema(request=None, responses={202: JobAcceptedSerializer})
    def post(self, request, slug: str, pk: int) -> Response:
        merge = ScenarioMerge.objects.filter(pk=pk, organisation=self.organisation).first()
        if merge is None:
            raise NotFound("No such merge of this design.")
        if not may_review(caller_role(request, self.organisation), "undo"):
            raise PermissionDenied(f"Your role in {slug} may not make scenarios.")
        try:
            check_scenario_room(self.organisation.home or self.organisation)
        except DjangoValidationError as refused:
            return Response({"detail": " ".join(refused.messages)}, status=409)
        return job_accepted(request, self.organisation, JobKind.SCENARIO_COPY,
                            {"name": undo_name(merge), "undo": merge.pk})
