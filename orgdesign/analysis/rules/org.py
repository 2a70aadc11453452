"""The organisation as a whole: an ML head, from whom the ML org is read."""

from __future__ import annotations

from collections.abc import Iterator

from orgdesign.analysis.declare import ERROR, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    Ref,
)
from orgdesign.analysis.orgdata import OrgIndex


def org_rules(index: OrgIndex) -> Iterator[Finding]:
    org = index.organisation
    if index.ml_head is None:
        if org.ml_head_id is None:
            reason = "no ML head is set"
        else:
            reason = f"its ML head {index.person_name(org.ml_head_id)} has left"
        yield Finding(
            "org.no_ml_head",
            Ref("organisation", org.id, org.name),
            f"{org.name} has no active ML head ({reason}), so dependencies outside the ML org "
            "cannot be checked.",
        )


# The declarations.

NO_ML_HEAD = CatalogueEntry(
    "org.no_ml_head", ERROR, "No ML head",
    "Who is in the ML org is read from the reporting lines up to its head: without one, "
    "no dependency under other management, span or depth can be checked.",
    "Set the organisation's ML head to the active person who leads the ML org.",
    subject="organisation",
)

RULE = Rule(
    org_rules,
    reads={"people"},
    codes=(NO_ML_HEAD,),
)
