"""What a finding code is declared with: its severity and the rules that move it, its
catalogue entry (`CatalogueEntry`: title, why it matters, how to fix it, the subject it is
about, the remedies that can clear it), and the rule that raises it (`Rule`: the check and the
tables of the design it reads). Each module of `orgdesign.analysis.rules` declares its codes
and its rule with these; `orgdesign.analysis.catalogue` builds the registry from them.

The reasons come from the seed documents: "An ML org must have all of its critical
dependencies under the same management to be successful" (seed 002) and the centralized /
embedded trade-offs of seed 000. Each "why" says why the situation hurts, not what it is; each
"fix" is an action a manager can take in the design.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orgdesign.analysis.finding import Finding
    from orgdesign.analysis.orgdata import OrgIndex

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

# How a finding's effective severity departs from its code's base severity. Stated on the
# findings page and in findings/codes/; applied by `findings.effective_severity`.
RAISED_FOR_CRITICAL = (
    "A warning that concerns a pipeline of tier critical that is not being retired is raised "
    "to an error: on a mature pipeline a 1% improvement can be worth tens of millions of "
    "dollars (seed 002)."
)
LOWERED_FOR_SUNSET = (
    "An error or a warning whose every pipeline is sunset is lowered one level (an error to "
    "a warning, a warning to information): those pipelines are being retired, so nobody "
    "needs to build them up. The two rules apply in this order, so a stage nobody owns is "
    "never rated below a stage one person owns."
)
SEVERITY_RULES = (RAISED_FOR_CRITICAL, LOWERED_FOR_SUNSET)
# The codes whose findings concern pipelines, and so follow SEVERITY_RULES: team findings do
# when the team is engaged in pipelines.
PIPELINE_PREFIXES = ("pipeline.", "dependency.", "team.", "catalog.")


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    severity: str
    title: str
    why: str
    fix: str
    # What its findings are about: organisation, pipeline, team or person.
    subject: str = ""
    # The proposers (`orgdesign.analysis.proposals.Proposer`) of the changes that can clear it;
    # none, and the catalogue's `fix` is the advice.
    remedies: tuple[Callable[..., Iterator[Any]], ...] = field(default=(), compare=False)
    # Whether a finding's key names its first related object too: a stage may rest on one
    # person in each of two owner teams, one finding each.
    keyed_by_related: bool = False
    # False for a code of a pipeline prefix whose findings concern no pipeline (an idle team):
    # SEVERITY_RULES never move it.
    concerns_pipelines: bool = True
    # What a finding's related objects are to it, where the plain "Related" says too little.
    related_label: str = "Related"

    @property
    def severity_rules(self) -> list[str]:
        """The rules of SEVERITY_RULES that can move this code's severity."""
        rules = []
        if not self.code.startswith(PIPELINE_PREFIXES) or not self.concerns_pipelines:
            return rules
        if self.severity == WARNING:
            rules.append(RAISED_FOR_CRITICAL)
        if self.severity in (ERROR, WARNING):
            rules.append(LOWERED_FOR_SUNSET)
        return rules


# Every table of the design (`orgdata.FACT_TABLES`' names).
EVERYTHING = frozenset(
    {"people", "reporting", "teams", "memberships", "pipelines", "engagements"}
)


@dataclass(frozen=True)
class Rule:
    """A rule of the engine: `check` yields the findings of its `codes` from a design's
    `OrgIndex`; `reads` are the tables of the design it reads, directly or through the
    index's facts (`orgdata.FACT_TABLES`): a change that leaves all of them alone leaves its
    findings as they were (`findings.findings_after_tables`)."""

    check: Callable[..., Iterator[Finding]]
    reads: frozenset[str] | set[str]
    codes: tuple[CatalogueEntry, ...]
    # "pipeline" (or "team") for a rule whose findings are each about a pipeline (a team)
    # and depend on nothing but that pipeline's (team's) own facts: its row, its cells, the
    # rows, members and positions of the teams engaged in it (of the pipelines it is engaged
    # in), and the rows and chains of the people it names (its PM, the teams' leads and
    # members). `check(index, only)` judges the pipelines (teams) of `only` alone, so a
    # change is judged again on those it can reach (`findings.reached`).
    per: str = ""

    @property
    def name(self) -> str:
        return self.check.__name__

    def __call__(self, index: OrgIndex, *args) -> Iterator[Finding]:
        return self.check(index, *args)
