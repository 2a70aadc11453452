"""Reading a software catalog: Backstage entity files (YAML, several documents a file, or the
JSON the Backstage catalog API serves) and CODEOWNERS files, into the rows of
`pipelines.models.CatalogEntity` (as dicts), with the problems that refuse the import and
the notes that do not. Pure: bytes in, rows out; `pipelines.catalog` writes them.

What is read of a Backstage entity (https://backstage.io/docs/features/software-catalog/
descriptor-format): its `kind` (Component, Resource, API, System, Group; any other is left
out with a note), `metadata.name`, `namespace`, `title` and `annotations`
(`orgdesign.io/team`, `orgdesign.io/pipeline`, `orgdesign.io/stage`,
`backstage.io/source-location`), and `spec.owner` and `spec.system`. References are
completed as Backstage completes them: `ml-platform` as an owner is
`group:default/ml-platform`.

A CODEOWNERS file (GitHub's and GitLab's) gives, line by line, a path pattern and its
owners; `#` starts a comment, and the last matching line wins (`orgdesign.analysis.catalog`
matches them). Its first owner is kept: `@acme/ml-platform` is the group `ml-platform`,
`@dana` or `dana@acme.example` a person.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlparse

import yaml

from pipelines.models import CatalogKind, Stage

KINDS = {
    "component": CatalogKind.COMPONENT, "resource": CatalogKind.RESOURCE,
    "api": CatalogKind.API, "system": CatalogKind.SYSTEM, "group": CatalogKind.GROUP,
}
TEAM, PIPELINE, STAGE = "orgdesign.io/team", "orgdesign.io/pipeline", "orgdesign.io/stage"
SOURCE_LOCATION = "backstage.io/source-location"
# How many entities one import may bring: a catalog of 20,000 components is the largest the
# benchmarks know; this leaves room for its groups, systems and CODEOWNERS rules.
MOST = 100_000
NAME_MAX, REF_MAX, PATH_MAX, SOURCE_MAX = 200, 300, 500, 200
STAGES = {str(stage) for stage in Stage}
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Parsed:
    rows: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def is_codeowners(filename: str) -> bool:
    return filename.rsplit("/", 1)[-1].casefold() == "codeowners"


def parse_file(filename: str, data: bytes) -> Parsed:
    """One uploaded file: a CODEOWNERS file by its name, else Backstage entities (YAML, or
    the catalog API's JSON)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Parsed(problems=[f"{filename}: not UTF-8 text."])
    if is_codeowners(filename):
        return parse_codeowners(filename, text)
    try:
        # libyaml's loader when PyYAML has it (its wheels do): ten times the pure one.
        documents = list(yaml.load_all(text, Loader=SAFE_LOADER))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return Parsed(problems=[f"{filename}: not YAML{where}: "
                                f"{getattr(error, 'problem', None) or 'unreadable'}."])
    return parse_entities(filename, _flattened(documents))


def _flattened(documents: list) -> list:
    """The entities of YAML documents, or of the JSON the catalog API serves: a list of them,
    or `{"items": [...]}`."""
    entities = []
    for document in documents:
        if isinstance(document, list):
            entities.extend(document)
        elif isinstance(document, dict) and isinstance(document.get("items"), list) \
                and "kind" not in document:
            entities.extend(document["items"])
        elif document is not None:
            entities.append(document)
    return entities


def parse_json(source: str, loaded) -> Parsed:
    """Entities as the Backstage catalog API serves them, parsed from JSON already."""
    if not isinstance(loaded, list | dict):
        return Parsed(problems=[f"{source}: give the entities as a list, or as "
                                '{"items": [...]}.'])
    return parse_entities(source, _flattened([loaded]))


def reference(text: str, default_kind: str) -> str:
    """An entity reference completed and in lower case: `ml-platform` ->
    `group:default/ml-platform`, `user:dana` -> `user:default/dana`."""
    text = text.strip().casefold()
    if not text:
        return ""
    kind, _, rest = text.rpartition(":") if ":" in text else (default_kind, "", text)
    namespace, _, name = rest.rpartition("/") if "/" in rest else ("default", "", rest)
    return f"{kind}:{namespace}/{name}"


def directory_of(location: str) -> str:
    """The directory of a component in its repository, from its source location:
    `url:https://github.com/acme/ml/tree/main/services/feature-store/` ->
    `services/feature-store/`; `dir:./services/ranker` -> `services/ranker/`."""
    location = location.strip()
    kind, _, target = location.partition(":")
    if kind == "dir":
        path = target.removeprefix("./")
    elif kind == "url":
        parts = urlparse(target).path.strip("/").split("/")
        # host/owner/repo/(tree|blob|-/tree)/branch/path...
        for marker in ("tree", "blob", "src"):
            if marker in parts[2:]:
                at = parts.index(marker, 2)
                parts = parts[at + 2:]
                break
        else:
            parts = parts[2:]
        path = "/".join(parts)
    else:
        return ""
    path = path.strip("/")
    return f"{path}/" if path else ""


def _text(value, most: int) -> str:
    return value.strip()[:most] if isinstance(value, str) else ""


def parse_entities(source: str, entities: list) -> Parsed:
    parsed = Parsed()
    ignored: Counter = Counter()
    seen: set[str] = set()
    for number, entity in enumerate(entities, start=1):
        where = f"{source}, entity {number}"
        if not isinstance(entity, dict):
            parsed.problems.append(f"{where}: not an entity (a mapping with kind and "
                                   "metadata).")
            continue
        raw_kind = entity.get("kind")
        kind = KINDS.get(raw_kind.casefold()) if isinstance(raw_kind, str) else None
        if kind is None:
            ignored[str(raw_kind) if raw_kind else "(none)"] += 1
            continue
        metadata = entity.get("metadata") if isinstance(entity.get("metadata"), dict) else {}
        spec = entity.get("spec") if isinstance(entity.get("spec"), dict) else {}
        annotations = metadata.get("annotations")
        annotations = annotations if isinstance(annotations, dict) else {}
        name = _text(metadata.get("name"), NAME_MAX + 1)
        if not name:
            parsed.problems.append(f"{where}: a {raw_kind} without metadata.name.")
            continue
        if len(name) > NAME_MAX:
            parsed.problems.append(f"{where}: the name {name[:40]!r}... is longer than "
                                   f"{NAME_MAX} characters.")
            continue
        namespace = _text(metadata.get("namespace"), NAME_MAX) or "default"
        ref = f"{kind}:{namespace}/{name}".casefold()
        if ref in seen:
            parsed.problems.append(f"{where}: {ref} comes twice in this source.")
            continue
        seen.add(ref)
        stage = _text(annotations.get(STAGE), 40).casefold()
        if stage and stage not in STAGES:
            parsed.problems.append(
                f"{where}: {ref} names the stage {stage!r}; the stages are "
                f"{', '.join(sorted(STAGES))}.")
            continue
        owner = spec.get("owner")
        parsed.rows.append({
            "source": source, "kind": kind, "ref": ref[:REF_MAX],
            "name": _text(metadata.get("title"), NAME_MAX) or name,
            "owner": reference(owner, "group")[:REF_MAX] if isinstance(owner, str) else "",
            "system": (reference(spec["system"], "system")[:REF_MAX]
                       if isinstance(spec.get("system"), str) else ""),
            "team_hint": _text(annotations.get(TEAM), NAME_MAX),
            "pipeline_hint": _text(annotations.get(PIPELINE), NAME_MAX),
            "stage_hint": stage,
            "path": directory_of(_text(annotations.get(SOURCE_LOCATION), 2000))[:PATH_MAX],
            "position": number,
        })
    if ignored:
        parsed.notes.append(
            f"{source}: left out {sum(ignored.values())} entities of kinds this check does not "
            f"read ({', '.join(f'{count} {kind}' for kind, count in sorted(ignored.items()))}).")
    return parsed


OWNER = re.compile(r"^@?[\w.-]+(/[\w.-]+)?$|^[^@\s]+@[^@\s]+$")


def codeowner(owner: str) -> str:
    """A CODEOWNERS owner as a reference: `@acme/ml-platform` -> `group:default/ml-platform`,
    `@dana` -> `user:default/dana`, an email -> `user:default/<email>`."""
    owner = owner.strip()
    if owner.startswith("@") and "/" in owner:
        return reference(owner[1:].split("/", 1)[1], "group")
    if owner.startswith("@"):
        return reference(owner[1:], "user")
    return f"user:default/{owner.casefold()}"


def parse_codeowners(source: str, text: str) -> Parsed:
    parsed = Parsed()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        # GitLab's sections ("[Section]") group rules; their rules read the same.
        if line.startswith("[") or line.startswith("^["):
            continue
        pattern, *owners = line.replace("\\ ", "\0").split()
        pattern = pattern.replace("\0", " ")
        bad = [owner for owner in owners if not OWNER.match(owner)]
        if bad:
            parsed.problems.append(f"{source}, line {number}: {bad[0]!r} is not an owner "
                                   "(@org/team, @user or an email).")
            continue
        parsed.rows.append({
            "source": source, "kind": CatalogKind.CODEOWNERS,
            "ref": f"codeowners:{source}#{number}"[:REF_MAX], "name": pattern[:NAME_MAX],
            "owner": codeowner(owners[0])[:REF_MAX] if owners else "",
            "system": "", "team_hint": "", "pipeline_hint": "", "stage_hint": "",
            "path": pattern[:PATH_MAX], "position": number,
        })
    return parsed
