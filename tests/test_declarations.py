"""One declaration per finding code: each code is declared once, in the module of the rule
that raises it (`orgdesign/analysis/rules/`), with its severity, subject, catalogue text, the
tables its rule reads and its remedies; the registry (`orgdesign.analysis.catalogue`) is built
from those modules alone, and no other code names a code by its text."""

import importlib
import pkgutil
import re
from pathlib import Path

from orgdesign.analysis import catalogue, rules
from orgdesign.analysis.changes import KINDS, Kind
from orgdesign.analysis.declare import EVERYTHING

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r'"((?:org|pipeline|team|person|manager|reporting|scientist|dependency|catalog)'
                  r'\.[a-z_]+)"')


def rule_modules():
    return [importlib.import_module(f"{rules.__name__}.{info.name}")
            for info in pkgutil.iter_modules(rules.__path__)]


def test_every_rule_module_is_in_the_registry_and_declares_its_codes():
    modules = rule_modules()
    assert set(catalogue.RULE_MODULES) == set(modules)
    for module in modules:
        declared = {entry.code for entry in module.RULE.codes}
        raised = set(CODE.findall(Path(module.__file__).read_text()))
        # The codes a module names are the codes it declares: no rule raises another's.
        assert raised == declared, module.__name__
        assert module.RULE.reads <= EVERYTHING


def test_every_code_is_declared_in_one_module_with_everything_it_needs():
    owners = {}
    for module in rule_modules():
        for entry in module.RULE.codes:
            assert entry.code not in owners, f"{entry.code} declared twice"
            owners[entry.code] = module.__name__
            assert entry.subject in {"organisation", "pipeline", "team", "person", "component"}
            assert entry.title and entry.why and entry.fix
    assert set(owners) == set(catalogue.CATALOGUE)
    assert {code for code, entry in catalogue.CATALOGUE.items() if entry.remedies} == set(
        catalogue.PROPOSERS)


def test_no_code_outside_the_rules_names_a_finding_code_by_its_text():
    rules_dir = Path(rules.__file__).parent
    named = {}
    for folder in ("orgdesign", "teams", "pipelines", "templates"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".py", ".html"} or rules_dir in path.parents:
                continue
            if "migrations" in path.parts:
                continue
            found = set(CODE.findall(path.read_text())) & set(catalogue.CATALOGUE)
            if found:
                named[str(path.relative_to(ROOT))] = sorted(found)
    assert named == {}


def test_each_kind_of_change_is_one_class_that_simulates_and_applies_itself():
    for action, kind in KINDS.items():
        assert isinstance(kind, Kind) and kind.action == action
        assert type(kind).simulate is not Kind.simulate, action
        assert type(kind).apply is not Kind.apply, action
        # The tables of the design, and the open positions (which only plan mode reads).
        assert kind.table in EVERYTHING | {"positions"}
        # The rows a scenario records as copied before they change; none for a new row.
        assert kind.records in {"person", "team", "pipeline", "cell"} or kind.table == "positions"
