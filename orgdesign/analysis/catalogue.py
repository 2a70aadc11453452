"""One entry per finding code: its title, why it matters, and how to fix it.

The reasons come from the seed documents: "An ML org must have all of its critical
dependencies under the same management to be successful" (seed 002) and the centralized /
embedded trade-offs of seed 000.
"""

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    severity: str
    title: str
    why: str
    fix: str


_ENTRIES = [
    CatalogueEntry(
        "org.no_ml_head", ERROR, "No ML head",
        "Without a leader of the ML organisation nobody can tell which teams sit inside it, "
        "so dependencies under other management cannot be found.",
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
        "The pipeline's owner is no longer in the organisation, so the row has no one "
        "accountable for it.",
        "Hand the pipeline to an active ML Product Manager.",
    ),
    CatalogueEntry(
        "pipeline.pm_not_product_manager", WARNING, "Pipeline owned by a non-PM",
        "PMs analyse failure cases, set product and business strategy and integrate across "
        "teams; an engineer or scientist owning the row usually does this part time.",
        "Make an ML Product Manager the owner, or change the person's role if they are one.",
    ),
    CatalogueEntry(
        "pipeline.pm_outside_ml_org", WARNING, "Pipeline PM outside the ML org",
        "ML PMs own rows inside the ML org and speak for it outside; a PM who reports "
        "elsewhere answers to other priorities.",
        "Have the PM report into the ML org, or hand the pipeline to an ML PM.",
    ),
    CatalogueEntry(
        "pipeline.stage_unowned", ERROR, "Stage nobody owns",
        "A required stage of the pipeline has no accountable team, so work on it falls "
        "between teams that each maintain only their own components.",
        "Make a team of that stage's kind the owner of the stage in this pipeline's row.",
    ),
    CatalogueEntry(
        "pipeline.stage_multiple_owners", WARNING, "Stage with several owners",
        "When two teams own the same stage, accountability is split and decisions stall.",
        "Keep one owner for the stage; make the other teams contributors.",
    ),
    CatalogueEntry(
        "pipeline.single_person_stage", WARNING, "Stage resting on one person",
        "The team that owns the stage has at most one active member: one departure or "
        "holiday stops the pipeline.",
        "Staff the owner team, or move the stage to a team with more people.",
    ),
    CatalogueEntry(
        "team.no_lead", ERROR, "Team without a lead",
        "Nobody is accountable for the team, and without a lead it cannot be placed inside "
        "or outside the ML org.",
        "Give the team a lead.",
    ),
    CatalogueEntry(
        "team.lead_inactive", ERROR, "Team lead has left",
        "The team's accountable person is gone, so nobody speaks for the team.",
        "Name an active lead for the team.",
    ),
    CatalogueEntry(
        "team.empty", WARNING, "Team without members",
        "A column with no active people cannot do the work it is engaged for.",
        "Add members to the team, or remove it from the design.",
    ),
    CatalogueEntry(
        "team.idle", INFO, "Specialised team in no pipeline",
        "A specialised ML team that serves no pipeline is building for nobody: its work "
        "may not be connected to any model's outcome.",
        "Engage the team in the pipelines it serves, or fold it into another team.",
    ),
    CatalogueEntry(
        "team.kpi_output_volume", WARNING, "Team measured on output volume",
        "Teams measured on quantity (e.g. labels produced) optimise for volume rather than "
        "for the impact on the final model's performance.",
        "Measure the team on the model outcomes of the pipelines it serves.",
    ),
    CatalogueEntry(
        "dependency.outside_ml_org", ERROR, "Critical dependency outside the ML org",
        "An ML org must have all of its critical dependencies under the same management; "
        "a team reporting into another org (e.g. a company Infrastructure or Research org) "
        "will see ML work deprioritised and KPIs set by someone else.",
        "Move the team under the ML org's leadership, or replace the dependency with one "
        "the ML org controls.",
    ),
    CatalogueEntry(
        "person.manager_inactive", ERROR, "Manager has left",
        "This person reports to someone who is no longer in the organisation.",
        "Give the person an active manager.",
    ),
    CatalogueEntry(
        "person.no_manager", WARNING, "No manager",
        "Everyone below the top of the organisation needs a reporting line for reviews, "
        "priorities and career growth.",
        "Set the person's solid-line manager.",
    ),
    CatalogueEntry(
        "person.over_allocated", WARNING, "Allocated over 100%",
        "The person's team allocations add up to more than one full-time person: some of "
        "that work will not happen.",
        "Lower the allocations so they add up to 100% at most.",
    ),
    CatalogueEntry(
        "person.unallocated", INFO, "Not part of any work",
        "Someone in the ML org who is in no team, leads none, owns no pipeline and manages "
        "nobody is invisible in the matrix.",
        "Add the person to a team with an allocation.",
    ),
    CatalogueEntry(
        "manager.span_wide", WARNING, "Wide span of control",
        "A manager with more direct reports than the organisation's limit cannot give each "
        "of them enough attention.",
        "Split the team, or add a manager or tech lead layer.",
    ),
    CatalogueEntry(
        "manager.span_narrow", INFO, "Manager of one",
        "A manager with a single direct report adds a layer without much span.",
        "Merge the layer, or grow the team.",
    ),
    CatalogueEntry(
        "reporting.too_deep", WARNING, "Too many layers below the ML head",
        "Each layer between a person and the ML head slows decisions and blurs priorities.",
        "Flatten the reporting line.",
    ),
    CatalogueEntry(
        "scientist.no_science_manager", WARNING, "Scientist not managed by a science manager",
        "Squad leads should not manage scientists: a dedicated science manager keeps "
        "standards high and helps retention.",
        "Have the scientist report to a science manager; keep the squad as their team.",
    ),
    CatalogueEntry(
        "scientist.isolated", INFO, "Only scientist in a squad",
        "Not every squad is ML-savvy: a scientist alone in a squad has no peers, and "
        "projects fail on unclear scoping, hurting retention.",
        "Pair the scientist with another ML person, or give them a central home team.",
    ),
]

CATALOGUE: dict[str, CatalogueEntry] = {entry.code: entry for entry in _ENTRIES}
