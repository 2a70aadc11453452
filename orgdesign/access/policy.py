"""Who may see and change which design: the one place that decides it, for every door.

A live design has members (logins with a role: viewer, editor, admin) and tokens. A scenario
has neither of its own: it belongs to its home, the live design at the top of its chain of
origins (`Organisation.home`), and the home's members see it with their role there. A private
scenario is seen only by its creator and the home's admins. Removing someone from the home
removes them from all its scenarios at once.

A token belongs to one design (the home, or one of its scenarios; only the home's admins make
them) and reads or writes that design alone. For a comparison it may also see, as the second
design: a home's token, the home's scenarios that are not private; a scenario's token, its
origin (the design it was copied from) and its home, never a sibling scenario.

Every browser view goes through `get_org_for_user`, every API view through
`orgdesign.api.auth.OrganisationPermission`, every comparison through `comparable`, every job
page through `job_visible`; every role comparison, in any door, through `role_at_least`.
"""

from __future__ import annotations

from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest

from orgdesign.jobs.models import Job, JobKind
from orgdesign.web.errors import RoleRequired
from teams.models import AccessRole, ApiToken, Organisation, OrganisationAccess, TokenScope

ROLE_RANK = {AccessRole.VIEWER: 0, AccessRole.EDITOR: 1, AccessRole.ADMIN: 2}

# What a token may do, as the role a login would need for it.
TOKEN_ROLE = {
    TokenScope.READ: AccessRole.VIEWER,
    TokenScope.WRITE: AccessRole.EDITOR,
    TokenScope.ADMIN: AccessRole.ADMIN,
}


def role_at_least(role: str, min_role: str) -> bool:
    """Whether `role` allows what `min_role` allows (admin > editor > viewer)."""
    return ROLE_RANK[role] >= ROLE_RANK[min_role]


def sees_money(role: str | None) -> bool:
    """Whether someone holding `role` (a login's, or a token's as `TOKEN_ROLE` says) may see
    money: the level table and every cost. Admins only; everyone else sees headcount and FTE."""
    return role is not None and role_at_least(role, AccessRole.ADMIN)


def can_edit(organisation: Organisation) -> bool:
    """Whether the user the organisation was fetched for (`user_role`) may change it."""
    return role_at_least(organisation.user_role, AccessRole.EDITOR)


def design_role(organisation: Organisation, *, user_id: int | None, home_role: str | None,
                superuser: bool = False) -> str | None:
    """The role a login holds in a design, from the role it holds in the design's home (for a
    live design, the design itself): None when it may not see the design at all."""
    if superuser:
        return AccessRole.ADMIN
    if home_role is None:
        return None
    if organisation.private and home_role != AccessRole.ADMIN \
            and organisation.created_by_id != user_id:
        return None
    return home_role


def with_user_role(queryset, user):
    """`queryset` of designs annotated with `home_role`: the user's role in each one's home
    (a subquery, so no query more than the list itself)."""
    if user.is_superuser:
        return queryset.annotate(home_role=Value(AccessRole.ADMIN.value))
    return queryset.annotate(
        home_role=Subquery(
            OrganisationAccess.objects.filter(
                organisation_id=Coalesce(OuterRef("home_id"), OuterRef("pk")), user_id=user.pk
            ).values("role")[:1]
        )
    )


def visible_to_user(designs, user) -> list[Organisation]:
    """The designs (annotated by `with_user_role`) the user may see, with `user_role` set."""
    visible = []
    for design in designs:
        design.user_role = design_role(
            design, user_id=user.pk, home_role=design.home_role, superuser=user.is_superuser
        )
        if design.user_role is not None:
            visible.append(design)
    return visible


def get_org_for_user(
    request: HttpRequest, slug: str, *, min_role: str = AccessRole.VIEWER
) -> Organisation:
    """The design `slug`, with `user_role` set, if the user holds at least `min_role` in it.

    Answers 404 for a design the user may not see at all, so the slugs of other tenants and
    the private scenarios of others are not disclosed, and 403 when the role is too low. One
    query.
    """
    queryset = Organisation.objects.select_related("ml_head", "scenario_of", "home").filter(
        slug=slug
    )
    found = visible_to_user(with_user_role(queryset, request.user), request.user)
    if not found:
        raise Http404("No such organisation.")
    organisation = found[0]
    if not role_at_least(organisation.user_role, min_role):
        raise RoleRequired(organisation, min_role)
    return organisation


def token_sees(token: ApiToken, organisation: Organisation) -> bool:
    """Whether a token may see `organisation` as the other side of a comparison of its own
    design (see the module's docstring)."""
    own = token.organisation
    if organisation.pk == own.pk:
        return True
    if organisation.private:
        return False
    if own.home_id is not None:
        return organisation.pk in (own.home_id, own.scenario_of_id)
    return organisation.home_id == own.pk


def comparable(request, organisation: Organisation, other_slug: str,
               token: ApiToken | None = None) -> Organisation:
    """The design `other_slug` to compare `organisation` with, if the caller may see it:
    a login by the same rule as every page, a token by `token_sees`. 404 otherwise."""
    if token is None:
        return get_org_for_user(request, other_slug)
    other = Organisation.objects.filter(slug=other_slug).first()
    if other is None or not token_sees(token, other):
        raise Http404("No such organisation.")
    return other


def job_visible(job: Job, *, role: str, user_id: int | None = None,
                token: ApiToken | None = None) -> bool:
    """Whether someone who holds `role` in the job's design may see the job: a job whose
    result is a private scenario (its copy, or a fix tried into it) only by whoever started
    it and the admins. A directory pull only by the admins (and admin tokens), as the
    connectors page."""
    if job.kind == JobKind.DIRECTORY_PULL:
        if token is not None:
            return token.scope == TokenScope.ADMIN and token.organisation_id == job.organisation_id
        return role == AccessRole.ADMIN
    if not job.params.get("private"):
        return True
    if role == AccessRole.ADMIN:
        return True
    if token is not None:
        return job.created_by_token_id == token.pk
    return user_id is not None and job.created_by_id == user_id


# The least role (in the scenario's home) that takes each step of a scenario's review
# (orgdesign/scenarios/review.py); a merge is an admin's.
REVIEW_ROLES = {
    "comment": AccessRole.VIEWER,
    "propose": AccessRole.EDITOR,
    "approve": AccessRole.ADMIN,
    "request_changes": AccessRole.ADMIN,
    "merge": AccessRole.ADMIN,
    # Making a merge's undo scenario: a copy, as an editor makes any scenario.
    "undo": AccessRole.EDITOR,
}


def may_review(role: str | None, action: str) -> bool:
    """Whether someone holding `role` may take `action` on a scenario they see."""
    needed = REVIEW_ROLES.get(action)
    return needed is not None and role is not None and role_at_least(role, needed)
