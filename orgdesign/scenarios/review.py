"""A scenario's review: proposed by an editor, commented by anyone who sees it (on the
scenario or on one change), approved or sent back by an admin of its origin. Every step is a
`ScenarioReview` row with who and when. An approval holds while the scenario is unchanged
(its design version then is kept with it): any change to the scenario after it withdraws
it. Whether a merge needs an approval is the origin's setting (`merge_approval`): by
default, when the origin has more than one admin. Who may take which step is decided in
`orgdesign.access.policy.may_review`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from orgdesign.scenarios.base import changes_of
from orgdesign.web.inputs import text_problem
from teams.models import (
    AccessRole,
    MergeApproval,
    Organisation,
    OrganisationAccess,
    ReviewAction,
    ScenarioReview,
)

TEXT_MAX = 5000
# The steps people take; `merge` is recorded by the merge itself.
STEPS = (ReviewAction.PROPOSE, ReviewAction.COMMENT, ReviewAction.APPROVE,
         ReviewAction.REQUEST_CHANGES)
NEEDS_TEXT = (ReviewAction.COMMENT, ReviewAction.REQUEST_CHANGES)


def needs_approval(origin: Organisation) -> bool:
    if origin.merge_approval == MergeApproval.ALWAYS:
        return True
    if origin.merge_approval == MergeApproval.NEVER:
        return False
    admins = OrganisationAccess.objects.filter(organisation=origin, role=AccessRole.ADMIN)
    return admins.count() > 1


def review_add(*, scenario: Organisation, action: str, text: str = "", change: str = "",
               user=None, token=None) -> ScenarioReview:
    """Record one step (the door has checked the caller may take it)."""
    if scenario.scenario_of_id is None:
        raise ValidationError("Only a scenario is reviewed.")
    errors: dict[str, list[str]] = {}
    if action not in STEPS:
        errors["action"] = [f"Action must be one of {', '.join(STEPS)}."]
    text = (text or "").strip()
    problem = text_problem(text)
    if problem:
        errors["text"] = [problem]
    elif len(text) > TEXT_MAX:
        errors["text"] = [f"At most {TEXT_MAX} characters."]
    elif action in NEEDS_TEXT and not text:
        errors["text"] = ["Say what you think: the text is required."]
    change = (change or "").strip()
    if change:
        if action != ReviewAction.COMMENT:
            errors["change"] = ["Only a comment is about one change."]
        elif change not in {c.key for c in changes_of(scenario) or []}:
            errors["change"] = [f"The scenario has no change {change[:100]!r}."]
    if errors:
        raise ValidationError(errors)
    version = Organisation.objects.values_list("design_version", flat=True).get(pk=scenario.pk)
    return ScenarioReview.objects.create(
        scenario=scenario, action=action, text=text, change=change,
        user=user if getattr(user, "pk", None) else None, token=token, version=version)


@dataclass
class ReviewState:
    state: str  # draft, proposed, changes_requested, approved, merged
    needs_approval: bool
    approved_by: list[str] = field(default_factory=list)  # approvals that still hold
    withdrawn: list[str] = field(default_factory=list)  # approvals the scenario outgrew

    @property
    def may_merge(self) -> bool:
        return bool(self.approved_by) or not self.needs_approval

    def as_dict(self) -> dict:
        return {"state": self.state, "needs_approval": self.needs_approval,
                "approved_by": self.approved_by, "withdrawn": self.withdrawn,
                "may_merge": self.may_merge}


def review_state(scenario: Organisation, steps=None) -> ReviewState:
    origin = scenario.scenario_of
    version = Organisation.objects.values_list("design_version", flat=True).get(pk=scenario.pk)
    steps = list(steps if steps is not None else
                 ScenarioReview.objects.filter(scenario=scenario).select_related("user",
                                                                                "token"))
    state = ReviewState(state="draft", needs_approval=needs_approval(origin))
    for step in steps:
        if step.action == ReviewAction.PROPOSE:
            state.state, state.approved_by = "proposed", []
        elif step.action == ReviewAction.REQUEST_CHANGES:
            state.state, state.approved_by = "changes_requested", []
        elif step.action == ReviewAction.MERGE:
            state.state, state.approved_by = "merged", []
        elif step.action == ReviewAction.APPROVE:
            if step.version == version:
                state.approved_by.append(step.who)
            else:
                state.withdrawn.append(step.who)
    if state.approved_by and state.state != "merged":
        state.state = "approved"
    return state
