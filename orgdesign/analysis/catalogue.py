"""The registry of finding codes, built from their declarations.

Each module of `orgdesign.analysis.rules` declares one rule (`declare.Rule`: its check and the
tables it reads) and the codes it raises (`declare.CatalogueEntry`: severity, subject, title,
why, fix, and the remedies that can clear it). This module gathers them: the rules in the order
the engine runs them, the catalogue of every code, the proposers of remedies by code, and the
tables each rule reads. Adding a code touches its rule's module (and its tests), nothing here
but a new module's name in `RULE_MODULES`.
"""

from __future__ import annotations

from orgdesign.analysis.declare import (
    ERROR,
    INFO,
    SEVERITY_ORDER,
    SEVERITY_RULES,
    WARNING,
    CatalogueEntry,
    Rule,
)
from orgdesign.analysis.proposals import Proposer
from orgdesign.analysis.rules import (
    catalog,
    dependencies,
    no_manager,
    org,
    people,
    pipeline_metric,
    pipeline_owner,
    pipeline_stages,
    scientists,
    team_commitment,
    team_staffing,
    teams,
)

# What the codes' users import from here, as well as the registry itself.
__all__ = [
    "CATALOGUE", "CELL_RULES", "ERROR", "INFO", "PROPOSERS", "RULES", "RULE_TABLES",
    "SEVERITY_ORDER", "SEVERITY_RULES", "WARNING", "CatalogueEntry", "Rule",
]

# The order the engine runs the rules in (findings are sorted afterwards, so it only decides
# the catalogue's order).
RULE_MODULES = (
    org, pipeline_owner, pipeline_metric, pipeline_stages, teams, team_staffing,
    team_commitment, dependencies, people, no_manager, scientists, catalog,
)
RULES: tuple[Rule, ...] = tuple(module.RULE for module in RULE_MODULES)

CATALOGUE: dict[str, CatalogueEntry] = {
    entry.code: entry for rule in RULES for entry in rule.codes
}
assert len(CATALOGUE) == sum(len(rule.codes) for rule in RULES), "a code declared twice"

# A proposer per code that has one: the first of its declared remedies.
PROPOSERS: dict[str, Proposer] = {
    code: entry.remedies[0] for code, entry in CATALOGUE.items() if entry.remedies
}

# The tables of the design each rule reads, by the rule's name.
RULE_TABLES: dict[str, frozenset[str] | set[str]] = {rule.name: rule.reads for rule in RULES}

# The rules that read the cells of the matrix (`index.engagements_by_*`, `chain_breaks`):
# after a cell changes, only these run again (`findings_after_cells`); the others' findings
# stay. tests/test_kept_analysis.py checks the result against a whole analysis.
CELL_RULES: tuple[Rule, ...] = tuple(rule for rule in RULES if "engagements" in rule.reads)
