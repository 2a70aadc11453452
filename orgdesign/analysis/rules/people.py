"""Each active person: their manager, allocation, span, depth, and who manages scientists."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from orgdesign.analysis.changes import (
    is_contractor,
    move_refused,
)
from orgdesign.analysis.declare import ERROR, INFO, WARNING, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    person_ref,
    team_ref,
)
from orgdesign.analysis.orgdata import OrgIndex, PersonRow
from orgdesign.analysis.proposals import (
    CANDIDATES,
    DISCIPLINES,
    LEAD_ROLES,
    ROLE_SENIORITY,
    Remedy,
    role_list,
    set_manager,
    would_loop,
)
from orgdesign.analysis.reporting import chain_of
from teams.models import Person, Role, WorkerType


def person_rules(
    index: OrgIndex, people: Iterable[Person | PersonRow] | None = None
) -> Iterator[Finding]:
    """The findings about each active person (all of them, or `people`): each depends on
    the person's own row, manager, memberships, reports and place below the ML head."""
    # The maps are read once, and a person's reference made only for a finding: the loop
    # runs over everyone a whole-company sync brings (50,000 at L).
    head = index.ml_head
    people_by_id = index.people_by_id
    memberships_by_person = index.memberships_by_person
    teams_by_id = index.teams_by_id
    ml_steps = index.ml_steps if head is not None else {}
    report_counts = index.active_report_count
    span_max, layers_max = index.organisation.span_max, index.organisation.layers_max

    for person in index.data.people if people is None else people:
        if not person.active:
            continue
        manager = people_by_id.get(person.manager_id)

        if manager is not None and not manager.active:
            yield Finding(
                "person.manager_inactive",
                person_ref(person),
                f"{person.name} reports to {manager.name}, who has left the organisation.",
                (person_ref(manager),),
            )
        memberships = memberships_by_person.get(person.id, ())
        total = sum(m.allocation for m in memberships)
        if total > 100:
            yield Finding(
                "person.over_allocated",
                person_ref(person),
                f"{person.name} is allocated {total}% across {len(memberships)} teams.",
                tuple(
                    team_ref(teams_by_id[m.team_id])
                    for m in memberships
                    if m.team_id in teams_by_id
                ),
            )
        if manager is not None and person.role == Role.SCIENTIST:
            yield from scientist_manager_rule(index, person, manager)
        # Span, depth and allocation cover the ML org only: without an ML head they would
        # cover the whole company an HR sync brings, so they are not computed.
        steps = ml_steps.get(person.id)
        if steps is None:
            continue
        subject = person_ref(person)
        reports = report_counts.get(person.id, 0)
        if reports > span_max:
            yield Finding(
                "manager.span_wide",
                subject,
                f"{person.name} has {reports} direct reports, more than the limit of "
                f"{span_max}.",
            )
        elif reports == 1:
            yield Finding(
                "manager.span_narrow", subject, f"{person.name} has a single direct report."
            )
        if steps > layers_max:
            yield Finding(
                "reporting.too_deep",
                subject,
                f"{person.name} is {steps} layers below the ML head {head.name}, more than "
                f"{layers_max}.",
            )
        if (
            not memberships
            and person.role not in UNALLOCATED_EXEMPT_ROLES
            and person.worker_type != WorkerType.CONTRACTOR
            and not index.led_team_ids_by_person.get(person.id)
            and person.id not in index.pm_owner_ids
            and reports == 0
        ):
            yield Finding(
                "person.unallocated",
                subject,
                f"{person.name} is in the ML org but in no team, leads no team, owns no "
                "pipeline and manages nobody.",
            )


# Seed 002: "a Principal Engineer can report directly to a Director or VP and provide a long
# term technical roadmap for an entire org": they belong to no team by design.
UNALLOCATED_EXEMPT_ROLES = frozenset({Role.EXECUTIVE, Role.TECH_LEAD})


def scientist_manager_rule(
    index: OrgIndex, scientist: Person | PersonRow, manager: Person | PersonRow
) -> Iterator[Finding]:
    """Seed 000: a science manager manages scientists, not squad leads. The ML head, and
    executives inside the ML org, may; executives of other orgs may not."""
    if manager.role == Role.SCIENCE_MANAGER:
        return
    if index.ml_head is not None and manager.id == index.ml_head.id:
        return
    if manager.role == Role.EXECUTIVE:
        # Without an active ML head nobody is in or outside the ML org: accepted.
        if index.ml_head is None or index.in_ml_org(manager.id):
            return
        who = f"{manager.name}, an executive outside the ML org"
    else:
        who = f"{manager.name} ({Role(manager.role).label.lower()})"
    yield Finding(
        "scientist.no_science_manager",
        person_ref(scientist),
        f"Scientist {scientist.name} is managed by {who}, not by a science manager.",
        (person_ref(manager),),
    )


def manager_inactive(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    person = finding.subject.id
    gone = index.manager_of.get(person)
    for above in chain_of(index.manager_of, gone)[1:]:
        if above in index.active_ids:
            if move_refused(index, person, above) is not None:
                return
            yield Remedy(
                f"Move {finding.subject.name} to {index.person_name(above)}, the first active "
                f"manager above {index.person_name(gone)}, who has left.",
                (set_manager(index, person, above),),
            )
            return


def science_manager(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    scientist = finding.subject.id
    managers = sorted(
        (
            person for person in index.data.people
            if person.active and person.role == Role.SCIENCE_MANAGER and person.id != scientist
            and (index.ml_head is None or index.in_ml_org(person.id))
            and not would_loop(index, scientist, person.id)
            and move_refused(index, scientist, person.id) is None
        ),
        key=lambda p: (index.active_report_count.get(p.id, 0), p.name.casefold(), p.id),
    )
    for manager in managers[:CANDIDATES]:
        count = index.active_report_count.get(manager.id, 0)
        yield Remedy(
            f"Move {finding.subject.name} to {manager.name}, a science manager with {count} "
            f"direct report{'s' if count != 1 else ''}.",
            (set_manager(index, scientist, manager.id),),
        )


def span_wide(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    """A report who manages in a discipline takes a share of the reports of that discipline
    (`DISCIPLINES`): enough for the manager to be within the limit, or half when that is
    more; or all of them. Nobody of another discipline, no product manager, contractor or
    product squad's designer or engineer is moved (`move_refused`)."""
    manager = finding.subject.id
    span_max = index.organisation.span_max
    reports = sorted(
        (index.people_by_id[pid] for pid in index.children.get(manager, ())
         if pid in index.active_ids),
        key=lambda p: (p.name.casefold(), p.id),
    )
    leads = sorted(
        (p for p in reports if p.role in DISCIPLINES and not is_contractor(p)),
        key=lambda p: (ROLE_SENIORITY.get(p.role, len(LEAD_ROLES)),
                       -index.active_report_count.get(p.id, 0), p.name.casefold(), p.id),
    )
    # Enough move for the manager to be within the limit; half, when that is more.
    keep = min(span_max - 1, len(reports) - 1 - (len(reports) - 1) // 2)
    share = len(reports) - 1 - keep
    # Someone whose team is led by a peer of their discipline goes under that peer or stays.
    report_ids = {p.id for p in reports}
    team_lead_of = {}
    for person in reports:
        for membership in index.memberships_by_person.get(person.id, ()):
            team = index.teams_by_id.get(membership.team_id)
            lead_id = team.lead_id if team is not None else None
            if (lead_id in report_ids and lead_id != person.id
                    and person.role in DISCIPLINES.get(index.people_by_id[lead_id].role, ())):
                team_lead_of.setdefault(person.id, lead_id)
    offered = 0
    for lead in leads:
        if offered == CANDIDATES:
            return
        movers = [
            p for p in reports
            if p.id != lead.id and p.role in DISCIPLINES[lead.role]
            and team_lead_of.get(p.id, lead.id) == lead.id
            and move_refused(index, p.id, lead.id) is None
        ]
        if not movers:
            continue
        offered += 1
        splits = [movers[max(len(movers) - share, 0):]]
        if len(movers) > share:
            splits.append(movers)  # the whole discipline under its manager
        for moving in splits:
            yield Remedy(
                f"Split {finding.subject.name}'s {len(reports)} direct reports: {lead.name} "
                f"({Role(lead.role).label.lower()}) leads {len(moving)} of them "
                f"({role_list(moving)}).",
                tuple(set_manager(index, p.id, lead.id) for p in moving),
            )


# The declarations.

MANAGER_INACTIVE = CatalogueEntry(
    "person.manager_inactive", ERROR, "Manager has left",
    "Nobody gives this person priorities, reviews or career support, and their reporting "
    "line runs through someone who is gone.",
    "Give the person an active manager.",
    subject="person",
    remedies=(manager_inactive,),
)

OVER_ALLOCATED = CatalogueEntry(
    "person.over_allocated", WARNING, "Allocated over 100%",
    "Team allocations that add up to more than one full-time person promise work that "
    "will not happen.",
    "Lower the allocations so they add up to 100% at most.",
    subject="person",
)

SPAN_WIDE = CatalogueEntry(
    "manager.span_wide", WARNING, "Wide span of control",
    "A manager with more direct reports than the organisation's limit cannot give each "
    "of them enough attention.",
    "Split the team, or add a manager or tech lead layer.",
    subject="person",
    remedies=(span_wide,),
)

SPAN_NARROW = CatalogueEntry(
    "manager.span_narrow", INFO, "Manager of one",
    "A manager with a single direct report adds a layer that slows decisions without "
    "spreading the load.",
    "Merge the layer into the one above, or grow the team.",
    subject="person",
)

TOO_DEEP = CatalogueEntry(
    "reporting.too_deep", WARNING, "Too many layers below the ML head",
    "Each layer between a person and the ML head slows decisions and blurs priorities.",
    "Flatten the reporting line: move the person, or their manager, up a layer.",
    subject="person",
)

UNALLOCATED = CatalogueEntry(
    "person.unallocated", INFO, "Not part of any work",
    "Someone in the ML org who is in no team, leads none, owns no pipeline and manages "
    "nobody does work the matrix cannot show.",
    "Add the person to a team with an allocation. Executives and tech leads are left "
    "out: a principal engineer who reports to a director or VP and sets the technical "
    "roadmap of the whole org (seed 002) rightly has no team.",
    subject="person",
)

NO_SCIENCE_MANAGER = CatalogueEntry(
    "scientist.no_science_manager", WARNING, "Scientist not managed by a science manager",
    "Squad leads, and executives of other orgs, should not manage scientists: a dedicated "
    "science manager keeps standards high and helps retention (seed 000). Without an ML "
    "head nobody can be said to be outside the ML org, so an executive is accepted.",
    "Have the scientist report to a science manager (or the ML head); keep the squad as "
    "their team.",
    subject="person",
    remedies=(science_manager,),
)

RULE = Rule(
    person_rules,
    reads={"people", "reporting", "memberships", "teams", "pipelines"},
    codes=(
        MANAGER_INACTIVE,
        OVER_ALLOCATED,
        SPAN_WIDE,
        SPAN_NARROW,
        TOO_DEEP,
        UNALLOCATED,
        NO_SCIENCE_MANAGER,
    ),
)
