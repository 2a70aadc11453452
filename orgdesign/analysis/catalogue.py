"""One entry per finding code: its title, why it matters, and how to fix it.

The reasons come from the seed documents: "An ML org must have all of its critical
dependencies under the same management to be successful" (seed 002) and the centralized /
embedded trade-offs of seed 000. Each "why" says why the situation hurts, not what it is; each
"fix" is an action a manager can take in the design.
"""

from dataclasses import dataclass

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

    @property
    def severity_rules(self) -> list[str]:
        """The rules of SEVERITY_RULES that can move this code's severity."""
        rules = []
        if not self.code.startswith(PIPELINE_PREFIXES) or self.code == "team.idle":
            return rules
        if self.severity == WARNING:
            rules.append(RAISED_FOR_CRITICAL)
        if self.severity in (ERROR, WARNING):
            rules.append(LOWERED_FOR_SUNSET)
        return rules


_ENTRIES = [
    CatalogueEntry(
        "org.no_ml_head", ERROR, "No ML head",
        "Who is in the ML org is read from the reporting lines up to its head: without one, "
        "no dependency under other management, span or depth can be checked.",
        "Set the organisation's ML head to the active person who leads the ML org.",
    ),
    CatalogueEntry(
        "pipeline.no_pm", ERROR, "Pipeline without a PM",
        "ML Product Managers own the rows of the matrix: without one, nobody is accountable "
        "for the model and nobody pulls resources from the teams to improve it.",
        "Give the pipeline an ML Product Manager as its owner.",
    ),
    CatalogueEntry(
        "pipeline.pm_inactive", ERROR, "Pipeline PM has left",
        "Nobody analyses the model's failure cases or argues for its resources any more, and "
        "the teams working on it have nobody to set their priorities for it.",
        "Hand the pipeline to an active ML Product Manager.",
    ),
    CatalogueEntry(
        "pipeline.pm_not_product_manager", WARNING, "Pipeline owned by a non-PM",
        "Analysing failure cases, setting product strategy and integrating across teams is a "
        "job of its own; an engineer or scientist who owns the row does it part time, next to "
        "their own team's work.",
        "Make an ML Product Manager the owner, or correct the person's role if they are one.",
    ),
    CatalogueEntry(
        "pipeline.pm_outside_ml_org", WARNING, "Pipeline PM outside the ML org",
        "ML PMs pull resources from the ML teams and speak for the model to stakeholders "
        "outside; a PM whose manager sits in another org answers to that org's priorities. "
        "A product squad incubating its own ML project with its own PM is seed 000's "
        "embedded model done right, and is not flagged.",
        "Move the PM's reporting line into the ML org, or hand the pipeline to an ML PM.",
    ),
    CatalogueEntry(
        "pipeline.stage_unowned", ERROR, "Stage nobody owns",
        "Specialised teams look after their own components: a stage that no team is "
        "accountable for in this pipeline falls between them, and the model stalls there.",
        "Make a staffed team of that stage's kind the owner of the stage in this row (an "
        "owner team with nobody in it owns nothing: staff it). Only while the pipeline "
        "incubates, and never for data or modeling (\"the two essential ingredients\", seed "
        "002), may a stage it does not need yet leave its required stages: tooling and "
        "deployment teams often emerge late.",
    ),
    CatalogueEntry(
        "pipeline.stage_multiple_owners", WARNING, "Stage with several owners",
        "When two teams are accountable for the same stage, each can wait for the other, and "
        "the PM has no single team to hold to the stage's results.",
        "Keep one owner for the stage and make the other teams contributors.",
    ),
    CatalogueEntry(
        "pipeline.single_person_stage", WARNING, "Stage resting on one person",
        "One departure, illness or holiday stops the stage, and the pipeline with it.",
        "Staff the owner team with a second person, or move the stage to a team with more "
        "people.",
    ),
    CatalogueEntry(
        "pipeline.stage_understaffed", WARNING, "Stage owned by less than one FTE",
        "Two people at 10% each are as fragile as one: the deployment stage of a critical "
        "model resting on slivers of people's time stops whenever their other work calls "
        "(seed 002: on a mature pipeline a 1% improvement is worth millions).",
        "Raise the owner team's allocations to at least one full-time person, or move the "
        "stage to a team that has the time.",
    ),
    CatalogueEntry(
        "pipeline.no_metric", WARNING, "Production pipeline without a model metric",
        "Teams need \"performance measures that are correlated with success\" (seed 002): "
        "without a metric for the model, its teams cannot tell whether their work improves it.",
        "Set the model metric the pipeline is judged on (e.g. click-through rate, recall at a "
        "precision).",
    ),
    CatalogueEntry(
        "team.no_lead", ERROR, "Team without a lead",
        "Nobody is accountable for the team, and the team is placed inside or outside the ML "
        "org through its lead: until it has an active lead, the dependency and idle checks "
        "skip it.",
        "Name an active lead for the team.",
    ),
    CatalogueEntry(
        "team.lead_inactive", ERROR, "Team lead has left",
        "Nobody speaks for the team, and the team is placed inside or outside the ML org "
        "through its lead: until it has an active lead, the dependency and idle checks skip it.",
        "Name an active lead for the team.",
    ),
    CatalogueEntry(
        "team.empty", WARNING, "Team without members",
        "A column with no active people cannot do the work pipelines engage it for.",
        "Add members to the team, or take it out of the design and re-engage its pipelines.",
    ),
    CatalogueEntry(
        "team.idle", INFO, "Specialised team in no pipeline",
        "A specialised team that serves no pipeline is building for nobody: its work is not "
        "tied to any model's outcome.",
        "Engage the team in the pipelines it serves, or fold it into another team.",
    ),
    CatalogueEntry(
        "team.kpi_output_volume", WARNING, "Team measured on output volume",
        "A team measured on quantity (e.g. labels produced) is pushed to produce a lot of "
        "output that isn't super useful, rather than output that improves the final model "
        "(seed 002).",
        "Measure the team on the model outcomes of the pipelines it serves.",
    ),
    CatalogueEntry(
        "team.kpi_publications", WARNING, "Team measured on publications",
        "A team measured on papers may pursue publication-worthy work even when it is not the "
        "most impactful, and skip the unglamorous optimisations of existing pipelines "
        "(seed 002).",
        "Measure the team on the model outcomes of the pipelines it serves; keep publications "
        "as a side benefit.",
    ),
    CatalogueEntry(
        "team.no_kpi", INFO, "Specialised team without a KPI",
        "Without a stated measure, the team falls back on measuring its own component, and "
        "misaligned incentives between component teams bubble up into disputes when models "
        "fail to improve (seed 002).",
        "Give the team a KPI tied to the outcome of the models it serves.",
    ),
    CatalogueEntry(
        "team.members_outside_ml_org", WARNING, "Team staffed from outside the ML org",
        "Members whose manager sits in another org (e.g. a company Infrastructure org) get "
        "their priorities, reviews and promotions there, so ML work is deprioritised even "
        "though the team's lead is in the ML org (seed 002). When they hold half the team's "
        "capacity or more on pipeline work, the team is a critical dependency under other "
        "management: an error. Product squads and contractors are left out.",
        "Move the members' reporting lines into the ML org, or replace them with people "
        "managed inside it.",
    ),
    CatalogueEntry(
        "dependency.outside_ml_org", ERROR, "Critical dependency outside the ML org",
        "An ML org must have all of its critical dependencies under the same management; a "
        "team reporting into another org (e.g. a company Infrastructure or Research org) will "
        "see ML work deprioritised and its KPIs set by someone else (seed 002).",
        "Move the team (its lead's reporting line) under the ML head, or replace the "
        "dependency with a team the ML org controls.",
    ),
    CatalogueEntry(
        "person.manager_inactive", ERROR, "Manager has left",
        "Nobody gives this person priorities, reviews or career support, and their reporting "
        "line runs through someone who is gone.",
        "Give the person an active manager.",
    ),
    CatalogueEntry(
        "person.no_manager", WARNING, "No manager",
        "Everyone below the top of the organisation needs a reporting line for priorities, "
        "reviews and growth; and where a line stops short of the top (an ML head whose "
        "manager is missing from the HR data, say), nobody can tell whether the people and "
        "teams below it are inside the ML org. Contractors report to their vendor and are "
        "left out.",
        "Set the person's solid-line manager (usually a gap in the HR data to fix at the "
        "source).",
    ),
    CatalogueEntry(
        "team.over_committed", WARNING, "Team promised more than its capacity",
        "Efforts over 100% promise pipelines work that will not happen: the PMs plan on "
        "capacity the team does not have, and the team chooses for them which pipeline "
        "waits.",
        "Lower the efforts of the team's engagements to 100% in all, or grow the team.",
    ),
    CatalogueEntry(
        "person.over_allocated", WARNING, "Allocated over 100%",
        "Team allocations that add up to more than one full-time person promise work that "
        "will not happen.",
        "Lower the allocations so they add up to 100% at most.",
    ),
    CatalogueEntry(
        "person.unallocated", INFO, "Not part of any work",
        "Someone in the ML org who is in no team, leads none, owns no pipeline and manages "
        "nobody does work the matrix cannot show.",
        "Add the person to a team with an allocation. Executives and tech leads are left "
        "out: a principal engineer who reports to a director or VP and sets the technical "
        "roadmap of the whole org (seed 002) rightly has no team.",
    ),
    CatalogueEntry(
        "manager.span_wide", WARNING, "Wide span of control",
        "A manager with more direct reports than the organisation's limit cannot give each "
        "of them enough attention.",
        "Split the team, or add a manager or tech lead layer.",
    ),
    CatalogueEntry(
        "manager.span_narrow", INFO, "Manager of one",
        "A manager with a single direct report adds a layer that slows decisions without "
        "spreading the load.",
        "Merge the layer into the one above, or grow the team.",
    ),
    CatalogueEntry(
        "reporting.too_deep", WARNING, "Too many layers below the ML head",
        "Each layer between a person and the ML head slows decisions and blurs priorities.",
        "Flatten the reporting line: move the person, or their manager, up a layer.",
    ),
    CatalogueEntry(
        "scientist.no_science_manager", WARNING, "Scientist not managed by a science manager",
        "Squad leads, and executives of other orgs, should not manage scientists: a dedicated "
        "science manager keeps standards high and helps retention (seed 000). Without an ML "
        "head nobody can be said to be outside the ML org, so an executive is accepted.",
        "Have the scientist report to a science manager (or the ML head); keep the squad as "
        "their team.",
    ),
    CatalogueEntry(
        "scientist.isolated", INFO, "Only scientist or ML engineer in a squad",
        "Not every squad is ML-savvy: a scientist or ML engineer alone in a squad has no ML "
        "peers, projects fail on unclear scoping, and retention suffers (seed 000).",
        "Add a second scientist or ML engineer to the squad, or give the person a central "
        "home team and make the squad a part-time allocation.",
    ),
]

CATALOGUE: dict[str, CatalogueEntry] = {entry.code: entry for entry in _ENTRIES}
