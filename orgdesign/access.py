"""Who may see and change which organisation. Every browser view goes through
`get_org_for_user`; every role comparison, in any door, through `role_at_least`."""

from django.db.models import F, Value
from django.http import Http404, HttpRequest

from orgdesign.errors import RoleRequired
from teams.models import AccessRole, Organisation

ROLE_RANK = {AccessRole.VIEWER: 0, AccessRole.EDITOR: 1, AccessRole.ADMIN: 2}


def role_at_least(role: str, min_role: str) -> bool:
    """Whether `role` allows what `min_role` allows (admin > editor > viewer)."""
    return ROLE_RANK[role] >= ROLE_RANK[min_role]


def can_edit(organisation: Organisation) -> bool:
    """Whether the user the organisation was fetched for (`user_role`) may change it."""
    return role_at_least(organisation.user_role, AccessRole.EDITOR)


def get_org_for_user(
    request: HttpRequest, slug: str, *, min_role: str = AccessRole.VIEWER
) -> Organisation:
    """The organisation `slug`, with `user_role` set, if the user holds at least `min_role`.

    Answers 404 for an organisation the user has no access to at all, so the slugs of other
    tenants are not disclosed, and 403 when the role is too low. One query.
    """
    user = request.user
    queryset = Organisation.objects.select_related("ml_head", "scenario_of").filter(slug=slug)
    if user.is_superuser:
        queryset = queryset.annotate(user_role=Value(AccessRole.ADMIN.value))
    else:
        queryset = queryset.filter(access__user_id=user.pk).annotate(user_role=F("access__role"))
    organisation = queryset.first()
    if organisation is None:
        raise Http404("No such organisation.")
    if not role_at_least(organisation.user_role, min_role):
        raise RoleRequired(organisation, min_role)
    return organisation
