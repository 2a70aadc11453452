"""API v1: try a fix (docs/design.md section 4's API, issue 17).

`GET /api/v1/orgs/<slug>/findings/<index or key>/remedies/` gives the ranked remedies of one
finding (by its key, or its position from 0 in `findings/`); a `POST` there with `rank` (and,
to be sure the remedy read is the one made, its `summary`) creates a scenario with that change
made. `GET`/`POST /api/v1/orgs/<slug>/findings/fix-all/` does the same with the best remedy of
every error. A design small enough answers 201 with the scenario; a larger one 202 with the
job that makes it (`Location`), whose result names the scenario. Compare it with
`compare/<scenario>/`.
"""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from orgdesign.analysis.kept import analysis_of
from orgdesign.analysis.remedies import plan_all_fixes
from orgdesign.api.auth import api_actor, service_call
from orgdesign.api.strict import StrictCharField, StrictIntegerField, StrictSerializer
from orgdesign.api.views import OrganisationScopedView
from orgdesign.jobs.models import JobKind
from orgdesign.jobs.serializers import JobAcceptedSerializer, job_accepted
from orgdesign.scenarios.try_fix import (
    INLINE_PEOPLE,
    FixRefused,
    Tried,
    advice_for,
    chosen,
    try_all_fixes,
    try_remedy,
)
from pipelines.serializers import FindingSerializer, RefSerializer


class DesignChangeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=["set_manager", "set_lead", "set_cell", "set_pm", "drop_stage", "move_member",
                 "open_position"]
    )
    subject = RefSerializer(help_text="The person, team or pipeline changed.")
    to = RefSerializer(allow_null=True, help_text="The new manager, lead, PM or team.")
    role = serializers.CharField(
        required=False, help_text="set_cell: the role; empty clears. open_position: its role."
    )
    stage = serializers.CharField(required=False, help_text="drop_stage: the stage.")
    from_team = RefSerializer(required=False, help_text="move_member: the team left.")
    title = serializers.CharField(required=False, help_text="open_position: its title.")
    fte = serializers.IntegerField(required=False,
                                   help_text="open_position: percent of one FTE.")
    words = serializers.CharField(help_text="The change in words.")


class RemedySerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 is the best.")
    summary = serializers.CharField()
    changes = DesignChangeSerializer(many=True)
    fixed = FindingSerializer(many=True, help_text="Every finding the change clears.")
    introduced = FindingSerializer(many=True, help_text="Every finding the change brings.")


class AdviceSerializer(serializers.Serializer):
    finding = FindingSerializer()
    automatic = serializers.BooleanField(help_text="Whether orgdesign proposes changes for "
                                                   "this code at all.")
    fix = serializers.CharField(help_text="The catalogue's words on how to fix it.")
    remedies = RemedySerializer(many=True, help_text="Each clears the finding; best first.")


class PlanStepSerializer(RemedySerializer):
    finding = FindingSerializer(help_text="The error this step clears.")


class LeftFindingSerializer(FindingSerializer):
    automatic = serializers.BooleanField(help_text="Whether orgdesign proposes changes for "
                                                   "this code at all.")


class PlanSerializer(serializers.Serializer):
    steps = PlanStepSerializer(many=True, help_text="In the order they are made.")
    left = LeftFindingSerializer(many=True, help_text="The errors left after every step.")
    errors_before = serializers.IntegerField()
    errors_after = serializers.IntegerField()


class TryRequestSerializer(StrictSerializer):
    # Strict, as every write of the API: "1", 1.0 and true are no rank, 5 is no summary.
    rank = StrictIntegerField(min_value=1, default=1, help_text="1 is the best.")
    summary = StrictCharField(
        required=False, help_text="The remedy's summary as read: refused (409) if the "
                                  "remedy of that rank now says something else."
    )


class TriedSerializer(serializers.Serializer):
    scenario = serializers.CharField(help_text="The new scenario's slug.")
    name = serializers.CharField()
    changes = serializers.IntegerField(help_text="How many changes were made in it.")
    compare = serializers.CharField(
        help_text="Its comparison with this design (with ?plan=1 when a change opened a "
        "position: what a seat clears shows only with the plan judged)."
    )
    planned = serializers.BooleanField(help_text="Whether a change opened a position.")
    plan = PlanSerializer(required=False, help_text="fix-all only: the steps and what is left.")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


STALE = OpenApiResponse(DetailSerializer, description=(
    "The remedy of that rank no longer says `summary`: the design changed since it was read. "
    "Nothing was made; read the remedies again."))
TOO_LARGE = OpenApiResponse(DetailSerializer, description=(
    "The design is too large to plan while the request waits: POST instead."))


def _refused(refusal: FixRefused):
    message = " ".join(refusal.messages)
    if refusal.reason == FixRefused.GONE:
        return exceptions.NotFound(message)
    if refusal.reason == FixRefused.STALE:
        error = exceptions.APIException(message)
        error.status_code = status.HTTP_409_CONFLICT
        return error
    return serializers.ValidationError({"rank": [message]})


class FixView(OrganisationScopedView):
    filter_backends: list = []

    def inline(self) -> bool:
        return analysis_of(self.organisation).size <= INLINE_PEOPLE

    def creator(self):
        """A login becomes the scenario's admin; a token's scenario is reached through the
        token's organisation (`compare/`), as tokens are not members."""
        user = self.request.user
        return user if user.is_authenticated else None

    def created(self, tried: Tried) -> Response:
        return Response(
            {**tried.as_dict(),
             "compare": reverse("api-compare", args=[self.organisation.slug,
                                                     tried.scenario.slug])
             + ("?plan=1" if tried.planned else "")},
            status=status.HTTP_201_CREATED,
        )

    def accepted(self, params: dict) -> Response:
        return job_accepted(self.request, self.organisation, JobKind.SCENARIO_FIX, params)


KEY = OpenApiParameter("key", str, OpenApiParameter.PATH,
                       description="The finding's key (`pipeline.stage_unowned:12:data`), or "
                                   "its position from 0 in `findings/`.")


class RemediesView(FixView):
    """The remedies of one finding, ranked, each with every finding it clears and brings;
    POST tries one in a new scenario."""

    serializer_class = AdviceSerializer

    @extend_schema(parameters=[KEY], responses=AdviceSerializer)
    def get(self, request, slug: str, key: str) -> Response:
        try:
            return Response(advice_for(self.organisation, key).as_dict())
        except FixRefused as refusal:
            raise _refused(refusal) from None

    @extend_schema(parameters=[KEY], request=TryRequestSerializer,
                   responses={201: TriedSerializer, 202: JobAcceptedSerializer, 409: STALE})
    def post(self, request, slug: str, key: str) -> Response:
        try:
            # An unknown finding answers 404 whatever the body.
            advice = advice_for(self.organisation, key)
            query = TryRequestSerializer(data=request.data)
            query.is_valid(raise_exception=True)
            rank, summary = query.validated_data["rank"], query.validated_data.get("summary")
            # Refused now (409 when stale), before a worker is asked or a copy is made.
            chosen(advice, rank, summary)
        except FixRefused as refusal:
            raise _refused(refusal) from None
        # The finding by its key from here on: a position names another once the design
        # changes.
        finding = advice.finding.key
        if not self.inline():
            return self.accepted({"finding": finding, "rank": rank, "summary": summary})
        with service_call():
            tried = try_remedy(organisation=self.organisation, key=finding, rank=rank,
                               summary=summary, creator=self.creator(),
                               actor=api_actor(request), advice=advice)
        return self.created(tried)


class FixAllView(FixView):
    """The best remedy of every error, each chosen on the design the earlier ones left, and
    the errors left; POST makes them all in a new scenario."""

    serializer_class = TriedSerializer

    @extend_schema(responses={200: PlanSerializer, 409: TOO_LARGE}, description=(
        "The plan, for a design small enough to plan while the request waits; a larger one "
        "answers 409: POST, and the job's result holds the plan."))
    def get(self, request, slug: str) -> Response:
        if not self.inline():
            error = exceptions.APIException(
                f"{self.organisation.name} is too large to plan every fix while you wait: "
                "POST here to have a worker try them in a scenario; its job's result holds "
                "the plan."
            )
            error.status_code = status.HTTP_409_CONFLICT
            raise error
        analysis = analysis_of(self.organisation)
        plan = plan_all_fixes(analysis.index, analysis.findings, analysis.by_rule)
        return Response(plan.as_dict())

    @extend_schema(request=None, responses={201: TriedSerializer, 202: JobAcceptedSerializer})
    def post(self, request, slug: str) -> Response:
        if not self.inline():
            return self.accepted({"all": True})
        with service_call():
            tried = try_all_fixes(organisation=self.organisation, creator=self.creator(),
                                  actor=api_actor(request))
        return self.created(tried)
