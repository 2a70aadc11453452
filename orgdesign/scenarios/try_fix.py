"""Try a fix: a scenario of a design with a remedy made in it, to compare with the design.

The pages, the API and the worker call these. A remedy is named the way its page showed it:
the finding's key, the remedy's rank, and its summary; the remedies are ranked again on the
design as it is now, and a rank whose summary changed (someone edited the design since) is
refused rather than trying another change than the one the user read.

Each is one transaction and one snapshot (`orgdesign.scenarios.snapshot`), from the analysis to the
copy's last row: the changes are computed on the design the copy is made of, though a sync
writes it meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from orgdesign.analysis.catalogue import CATALOGUE, ERROR
from orgdesign.analysis.changes import OPEN_POSITION
from orgdesign.analysis.kept import analysis_of
from orgdesign.analysis.remedies import Advice, Plan, Remedy, advise, find, plan_all_fixes
from orgdesign.scenarios.services import COPY_STEPS, Progress, _no_progress, scenario_create
from orgdesign.scenarios.snapshot import snapshotted
from teams.actor import SYSTEM, Actor
from teams.models import Organisation

# A design of up to this many people is copied and fixed while the request waits (a few
# hundred milliseconds); a larger one by a worker, which the job page follows.
INLINE_PEOPLE = 2_000


class FixRefused(ValidationError):
    """The fix asked for cannot be tried: the finding is gone (`GONE`), its remedies changed
    since they were read (`STALE`), or there is no such remedy (`INVALID`)."""

    GONE, STALE, INVALID = "gone", "stale", "invalid"

    def __init__(self, message: str, reason: str = INVALID):
        super().__init__(message)
        self.reason = reason


def shown(value: str) -> str:
    """A value sent, short enough to quote in a message (a rank or key may be 5,000 digits)."""
    return value if len(value) <= 40 else value[:40] + "…"


def advice_for(organisation: Organisation, key: str) -> Advice:
    analysis = analysis_of(organisation)
    finding = find(analysis.findings, key)
    if finding is None:
        raise FixRefused(
            f"{organisation.name} has no such finding now ({shown(key)}): it may have been "
            "fixed since.",
            FixRefused.GONE,
        )
    return advise(analysis.index, analysis.findings, finding, analysis.by_rule)


def chosen(advice: Advice, rank: int, summary: str | None = None) -> Remedy:
    """The remedy of that rank (from 1), if it still says `summary` when that is given."""
    if not advice.remedies:
        raise FixRefused(
            f"No change can be made automatically for this finding. {advice.manual}"
        )
    if not 1 <= rank <= len(advice.remedies):
        raise FixRefused(f"Choose a fix from 1 to {len(advice.remedies)}, not {rank}.")
    remedy = advice.remedies[rank - 1]
    if summary is not None and remedy.summary != summary:
        raise FixRefused(
            "The design changed since these fixes were proposed: read them again and choose.",
            FixRefused.STALE,
        )
    return remedy


def fix_name(advice: Advice) -> str:
    """The scenario's name: what it tries to fix."""
    finding = advice.finding
    return f"Trying a fix for {finding.subject.name} ({CATALOGUE[finding.code].title})"


@dataclass
class Tried:
    scenario: Organisation
    changes: int
    plan: Plan | None = None
    # Whether a change opened a position: what it clears shows only with the plan judged
    # (the comparison then opens with ?plan=1).
    planned: bool = False

    def as_dict(self) -> dict:
        result = {"scenario": self.scenario.slug, "name": self.scenario.name,
                  "changes": self.changes, "planned": self.planned}
        if self.plan is not None:
            result["plan"] = self.plan.as_dict()
        return result


@snapshotted
def try_remedy(
    *,
    organisation: Organisation,
    key: str,
    rank: int = 1,
    summary: str | None = None,
    creator=None,
    actor: Actor = SYSTEM,
    progress: Progress = _no_progress,
    advice: Advice | None = None,
) -> Tried:
    """A new scenario of `organisation` with the remedy of rank `rank` of finding `key` made
    (`advice`, when given, is that finding's, just computed by the caller)."""
    advice = advice or advice_for(organisation, key)
    remedy = chosen(advice, rank, summary)
    scenario = scenario_create(
        origin=organisation, name=fix_name(advice), creator=creator, actor=actor,
        progress=progress, changes=remedy.changes, reason=f"trying a fix: {remedy.summary}",
    )
    return Tried(scenario, len(remedy.changes), planned=remedy.opens_positions)


@snapshotted
def try_all_fixes(
    *,
    organisation: Organisation,
    creator=None,
    actor: Actor = SYSTEM,
    progress: Progress = _no_progress,
) -> Tried:
    """A new scenario of `organisation` with the best remedy of every error made, in the
    order `plan_all_fixes` chose; the plan says what is left."""
    analysis = analysis_of(organisation)
    # One bar for both parts: the errors judged, then the tables copied.
    errors = sum(1 for f in analysis.findings if f.severity == ERROR)
    plan = plan_all_fixes(
        analysis.index, analysis.findings, analysis.by_rule,
        progress=lambda done, total: progress(done, errors + COPY_STEPS),
    )
    fixed = len(plan.steps)
    if not fixed:
        raise FixRefused(
            "No error has a change that clears it without bringing another error: there is "
            "nothing to try."
        )
    scenario = scenario_create(
        origin=organisation, name=f"{organisation.name}, trying every fix for errors",
        creator=creator, actor=actor, changes=plan.changes,
        progress=lambda done, total: progress(errors + done, errors + total),
        reason=f"trying {fixed} fix{'es' if fixed != 1 else ''} for errors",
    )
    return Tried(scenario, len(plan.changes), plan,
                 planned=any(change.action == OPEN_POSITION for change in plan.changes))
