"""The membership editor shared by the person page (their teams) and the team page (its
members): rows with an allocation each, and a form to add one."""

from dataclasses import dataclass

from teams.models import Membership


@dataclass
class MembershipRow:
    membership: Membership
    allocation: object  # what the allocation input shows: stored, or as the editor typed it
    errors: list[str]


def membership_rows(memberships: list[Membership], form, key: str) -> tuple[list, object]:
    """The rows of a membership list, and the form for adding one.

    A refused change of an existing row (`key` names the row's other side: "team" on a
    person's page, "person" on a team's) shows its errors in that row, beside its allocation;
    any other refused form is the add form, with its errors beside its fields.
    """
    failed = form if form is not None and form.errors else None
    failed_id = failed.data.get(key) if failed is not None else None
    rows = []
    for membership in memberships:
        if failed is not None and str(getattr(membership, f"{key}_id")) == failed_id:
            errors = [message for messages in failed.errors.values() for message in messages]
            rows.append(MembershipRow(membership, failed["allocation"].value(), errors))
            failed = None
        else:
            rows.append(MembershipRow(membership, membership.allocation, []))
    return rows, failed
