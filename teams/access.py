"""Who may see and change which organisation. Every view goes through `get_org_for_user`."""

from django.core.exceptions import PermissionDenied
from django.db.models import F, Value
from django.http import Http404, HttpRequest

from teams.models import AccessRole, Organisation

ROLE_RANK = {AccessRole.VIEWER: 0, AccessRole.EDITOR: 1, AccessRole.ADMIN: 2}


def get_org_for_user(
    request: HttpRequest, slug: str, *, min_role: str = AccessRole.VIEWER
) -> Organisation:
    """The organisation `slug`, with `user_role` set, if the user holds at least `min_role`.

    Answers 404 for an organisation the user has no access to at all, so the slugs of other
    tenants are not disclosed, and 403 when the role is too low. One query.
    """
    user = request.user
    queryset = Organisation.objects.select_related("ml_head").filter(slug=slug)
    if user.is_superuser:
        queryset = queryset.annotate(user_role=Value(AccessRole.ADMIN.value))
    else:
        queryset = queryset.filter(access__user_id=user.pk).annotate(user_role=F("access__role"))
    organisation = queryset.first()
    if organisation is None:
        raise Http404("No such organisation.")
    if ROLE_RANK[organisation.user_role] < ROLE_RANK[min_role]:
        raise PermissionDenied(f"This needs the {min_role} role in {organisation.name}.")
    return organisation
