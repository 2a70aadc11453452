"""Conway's check (issue 32): reading Backstage entity files and CODEOWNERS, matching the
catalog to the design, the four catalog findings (on unsaved objects), and the import through
its doors (the page, the command, the API)."""

from dataclasses import replace

import pytest

from orgdesign.analysis.catalog import CatalogRow, codeowners_match
from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.orgdata import OrgIndex
from pipelines.catalog_files import directory_of, parse_file, reference
from pipelines.models import CatalogKind
from teams.models import TeamKind
from tests.designs import sound_design

BACKSTAGE = b"""\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: ml-infra
  annotations:
    orgdesign.io/team: ML Infra
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: news-feed-ranking
spec:
  owner: group:default/modeling
---
# A comment between documents.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: feature-store
  title: Feature store
  annotations:
    orgdesign.io/stage: infrastructure
    backstage.io/source-location: url:https://github.com/acme/ml/tree/main/services/feature-store/
spec:
  type: service
  lifecycle: production
  owner: ml-infra
  system: news-feed-ranking
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: training-bucket
spec:
  type: s3-bucket
  system: news-feed-ranking
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: dana
spec: {}
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: root
spec:
  targets: []
"""

CODEOWNERS = b"""\
# Everything is the platform's, unless said below.
*                        @acme/ml-infra
/services/               @acme/modeling
/services/feature-store/ @acme/ml-infra @dana   # the last match wins
docs/**                  dana@acme.example
"""


# Reading ---------------------------------------------------------------------------------

def test_backstage_entities_are_read_with_their_references_completed():
    parsed = parse_file("catalog-info.yaml", BACKSTAGE)
    assert parsed.problems == []
    rows = {row["ref"]: row for row in parsed.rows}
    assert set(rows) == {"group:default/ml-infra", "system:default/news-feed-ranking",
                         "component:default/feature-store", "resource:default/training-bucket"}
    store = rows["component:default/feature-store"]
    assert store["name"] == "Feature store"  # the title, when there is one
    assert store["owner"] == "group:default/ml-infra"  # completed as Backstage does
    assert store["system"] == "system:default/news-feed-ranking"
    assert store["stage_hint"] == "infrastructure"
    assert store["path"] == "services/feature-store/"
    assert rows["resource:default/training-bucket"]["owner"] == ""  # missing: kept empty
    assert rows["group:default/ml-infra"]["team_hint"] == "ML Infra"
    # Kinds the check does not read are left out, with a note.
    assert parsed.notes == ["catalog-info.yaml: left out 2 entities of kinds this check does "
                            "not read (1 Location, 1 User)."]


@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("ml-platform", "group", "group:default/ml-platform"),
    ("group:ml-platform", "group", "group:default/ml-platform"),
    ("Group:Team-A/ML-Platform", "group", "group:team-a/ml-platform"),
    ("user:default/dana", "group", "user:default/dana"),
    ("home-feed", "system", "system:default/home-feed"),
])
def test_references(text, kind, expected):
    assert reference(text, kind) == expected


@pytest.mark.parametrize(("location", "path"), [
    ("url:https://github.com/acme/ml/tree/main/services/feature-store/",
     "services/feature-store/"),
    ("url:https://github.com/acme/ml/blob/main/services/ranker/catalog-info.yaml",
     "services/ranker/catalog-info.yaml/"),
    ("url:https://gitlab.example/acme/ml/-/tree/main/jobs/etl", "jobs/etl/"),
    ("dir:./services/serving", "services/serving/"),
    ("url:https://github.com/acme/ml", ""),
    ("", ""),
])
def test_a_components_directory_comes_from_its_source_location(location, path):
    assert directory_of(location) == path


def test_bad_files_are_refused_with_the_place_and_the_reason():
    assert "not YAML at line" in parse_file("a.yaml", b"kind: [unclosed\n").problems[0]
    assert "not UTF-8" in parse_file("a.yaml", b"\xff\xfe\x00").problems[0]
    no_name = parse_file("a.yaml", b"kind: Component\nmetadata: {}\n")
    assert no_name.problems == ["a.yaml, entity 1: a Component without metadata.name."]
    twice = parse_file("a.yaml", b"kind: Group\nmetadata: {name: a}\n---\n"
                                 b"kind: Group\nmetadata: {name: a}\n")
    assert "group:default/a comes twice" in twice.problems[0]
    stage = parse_file("a.yaml", b"kind: Component\nmetadata:\n  name: a\n  annotations:\n"
                                 b"    orgdesign.io/stage: serving\n")
    assert "names the stage 'serving'" in stage.problems[0]
    assert "not an entity" in parse_file("a.yaml", b"- 1\n- 2\n").problems[0]


def test_codeowners_rules_are_read_in_order_with_their_first_owner():
    parsed = parse_file("CODEOWNERS", CODEOWNERS)
    assert parsed.problems == []
    assert [(row["path"], row["owner"], row["position"]) for row in parsed.rows] == [
        ("*", "group:default/ml-infra", 2),
        ("/services/", "group:default/modeling", 3),
        ("/services/feature-store/", "group:default/ml-infra", 4),
        ("docs/**", "user:default/dana@acme.example", 5),
    ]
    assert all(row["kind"] == CatalogKind.CODEOWNERS for row in parsed.rows)
    bad = parse_file(".github/CODEOWNERS", b"/x  not/an owner!\n")
    assert bad.problems == [".github/CODEOWNERS, line 1: 'owner!' is not an owner (@org/team, "
                            "@user or an email)."]


@pytest.mark.parametrize(("pattern", "path", "covers"), [
    ("*", "services/feature-store/", True),
    ("/services/", "services/feature-store/", True),
    ("/services/feature-store/", "services/feature-store/", True),
    ("/services/feature-store/", "services/ranker/", False),
    ("feature-store/", "services/feature-store/", True),  # no slash inside: any depth
    ("/feature-store/", "services/feature-store/", False),  # anchored at the root
    ("services/**", "services/a/b/", True),
    ("**/ranker", "services/ranker/", True),
    ("services/*/", "services/ranker/", True),
    ("services/*", "jobs/ranker/", False),
    ("docs/", "services/ranker/", False),
])
def test_codeowners_patterns_cover_directories_as_git_does(pattern, path, covers):
    assert codeowners_match(pattern, path) is covers


# Matching and findings, on unsaved objects -----------------------------------------------

def rows_of(parsed_rows, **by_hand) -> list[CatalogRow]:
    return [CatalogRow(id=number, kind=row["kind"], ref=row["ref"], name=row["name"],
                       owner=row["owner"], system=row["system"], team_hint=row["team_hint"],
                       pipeline_hint=row["pipeline_hint"], stage_hint=row["stage_hint"],
                       path=row["path"], position=row["position"], source=row["source"],
                       **by_hand.get(row["ref"], {}))
            for number, row in enumerate(parsed_rows, start=1000)]


def catalog_design(yaml_text: bytes, codeowners: bytes = b"", **by_hand):
    design = sound_design()
    rows = parse_file("catalog-info.yaml", yaml_text).rows
    if codeowners:
        rows += parse_file("CODEOWNERS", codeowners).rows
    data = replace(design.org.data(), catalog=rows_of(rows, **by_hand))
    return design, data


def codes(data, prefix="catalog.") -> list[tuple[str, str, str | None]]:
    return sorted((f.code, f.subject.name, f.stage) for f in compute_findings(data)
                  if f.code.startswith(prefix))


def component(name, *, owner="", system="news-feed-ranking", stage="", pipeline="",
              path="") -> bytes:
    annotations = []
    if stage:
        annotations.append(f"    orgdesign.io/stage: {stage}")
    if pipeline:
        annotations.append(f"    orgdesign.io/pipeline: {pipeline}")
    if path:
        annotations.append(f"    backstage.io/source-location: dir:./{path}")
    text = (f"---\nkind: Component\nmetadata:\n  name: {name}\n"
            + ("  annotations:\n" + "\n".join(annotations) + "\n" if annotations else "")
            + "spec:\n" + (f"  owner: {owner}\n" if owner else "")
            + (f"  system: {system}\n" if system else "  type: service\n"))
    return text.encode()


SYSTEM = b"---\nkind: System\nmetadata:\n  name: news-feed-ranking\nspec: {}\n"


def every_stage_backed(**owners) -> bytes:
    """A component for each stage of the sound design's pipeline, owned by its stage's team."""
    teams = {"data": "data-ops", "infrastructure": "ml-infra", "modeling": "modeling",
             "deployment": "deployment"}
    teams.update(owners)
    return SYSTEM + b"".join(component(f"{stage}-component", owner=team, stage=stage)
                             for stage, team in teams.items())


def test_a_catalog_that_follows_the_design_raises_nothing():
    _, data = catalog_design(every_stage_backed())
    assert codes(data) == []


def test_a_component_owned_by_another_team_than_its_stage():
    _, data = catalog_design(every_stage_backed(infrastructure="modeling"))
    assert codes(data) == [("catalog.stage_owned_elsewhere", "infrastructure-component",
                            "infrastructure")]
    finding = next(f for f in compute_findings(data) if f.code.startswith("catalog."))
    assert [ref.name for ref in finding.related] == ["News Feed ranking", "Modeling",
                                                     "ML Infra"]
    assert finding.subject.type == "component"


def test_a_component_owned_outside_the_ml_org():
    design, data = catalog_design(every_stage_backed())
    org = design.org
    # The infrastructure team's lead moves under the CEO, out of the ML org.
    design.leads[TeamKind.INFRASTRUCTURE].manager_id = design.ceo.id
    data = replace(org.data(), catalog=data.catalog)
    found = codes(data)
    assert ("catalog.owner_outside_ml_org", "infrastructure-component", "infrastructure") \
        in found
    outside = next(f for f in compute_findings(data) if f.code == "catalog.owner_outside_ml_org")
    assert outside.severity == "warning"  # the pipeline is not critical
    design.pipeline.tier = "critical"
    outside = next(f for f in compute_findings(data) if f.code == "catalog.owner_outside_ml_org")
    assert outside.severity == "error"  # raised by the critical rule


def test_a_component_without_an_owner_team():
    _, data = catalog_design(every_stage_backed(modeling="") + component(
        "orphan", owner="group:default/nobody-we-know", stage="modeling"))
    assert codes(data) == [
        ("catalog.component_unowned", "modeling-component", "modeling"),
        ("catalog.component_unowned", "orphan", "modeling"),
    ]
    messages = [f.message for f in compute_findings(data) if f.code.endswith("unowned")]
    assert "the catalog names no owner for it" in messages[0]
    assert "its owner group:default/nobody-we-know matches no team" in messages[1]


def test_codeowners_gives_an_owner_to_a_component_without_one():
    text = SYSTEM + b"".join(
        component(f"{stage}-component", stage=stage, path=f"services/{stage}")
        for stage in ("data", "infrastructure", "modeling", "deployment"))
    rules = (b"*  @acme/modeling\n/services/data/ @acme/data-ops\n"
             b"/services/infrastructure/ @acme/ml-infra\n/services/deployment/ @acme/deployment\n")
    _, data = catalog_design(text, rules)
    assert codes(data) == []
    # Without the rules, all four are unowned; with the catch-all alone, three elsewhere.
    _, data = catalog_design(text, b"* @acme/modeling\n")
    assert [code for code, _, _ in codes(data)] == ["catalog.stage_owned_elsewhere"] * 3


def test_a_stage_owned_on_paper_with_no_component():
    _, data = catalog_design(SYSTEM + component("the-model", owner="modeling", stage="modeling"))
    assert codes(data) == [
        ("catalog.stage_without_components", "News Feed ranking", stage)
        for stage in ("data", "deployment", "infrastructure")
    ]
    # A design without any catalog is not judged at all.
    assert codes(sound_design().org.data()) == []


def test_matching_by_hand_wins_over_annotations_and_names():
    design, data = catalog_design(
        b"---\nkind: Group\nmetadata:\n  name: platform-people\n"
        b"  annotations:\n    orgdesign.io/team: ML Infra\nspec: {}\n"
        + every_stage_backed(infrastructure="platform-people"))
    assert codes(data) == []  # the annotation makes the group ML Infra
    index = OrgIndex(data)
    assert index.catalog.group_teams["group:default/platform-people"][1] == "by annotation"
    modeling = design.teams[TeamKind.MODELING]
    _, data = catalog_design(
        b"---\nkind: Group\nmetadata:\n  name: platform-people\n"
        b"  annotations:\n    orgdesign.io/team: ML Infra\nspec: {}\n"
        + every_stage_backed(infrastructure="platform-people"),
        **{"group:default/platform-people": {"team_id": modeling.id}})
    assert codes(data) == [("catalog.stage_owned_elsewhere", "infrastructure-component",
                            "infrastructure")]


def test_a_component_finds_its_pipeline_by_annotation_by_system_or_by_hand():
    design, data = catalog_design(
        component("a", owner="modeling", stage="modeling", system="", pipeline="news feed ranking")
        + component("b", owner="modeling", stage="modeling", system="other-system")
        + b"---\nkind: System\nmetadata:\n  name: other-system\n  annotations:\n"
          b"    orgdesign.io/pipeline: News Feed ranking\nspec: {}\n"
        + component("c", owner="modeling", stage="modeling", system="unknown"))
    placed = {p.row.name: p for p in OrgIndex(data).catalog.components}
    assert (placed["a"].pipeline.name, placed["a"].pipeline_how) == (
        "News Feed ranking", "by annotation")
    assert (placed["b"].pipeline.name, placed["b"].pipeline_how) == (
        "News Feed ranking", "by its system")
    assert placed["c"].pipeline is None
    ref = "component:default/c"
    _, data = catalog_design(
        component("c", owner="modeling", stage="modeling", system="unknown"),
        **{ref: {"pipeline_id": design.pipeline.id, "stage": "modeling"}})
    placed = OrgIndex(data).catalog.components[0]
    assert (placed.pipeline.name, placed.pipeline_how, placed.stage) == (
        "News Feed ranking", "by hand", "modeling")


def test_a_person_as_owner_is_no_team():
    _, data = catalog_design(every_stage_backed(modeling="user:default/dana"))
    assert codes(data)[0][0] == "catalog.component_unowned"



# The import through its doors ----------------------------------------------------------------

def design_with_teams():
    """A stored design with an ML head, the sound design's four teams and its pipeline."""
    from tests.factories import (
        EngagementFactory,
        MembershipFactory,
        OrganisationFactory,
        PersonFactory,
        PipelineFactory,
        TeamFactory,
    )

    org = OrganisationFactory(slug="acme", name="Acme")
    head = PersonFactory(organisation=org, name="Hana", role="executive")
    org.ml_head = head
    org.save()
    pipeline = PipelineFactory(organisation=org, name="News Feed ranking",
                               pm_owner=PersonFactory(organisation=org, manager=head,
                                                      role="product_manager"))
    for name, kind in (("Data Ops", "data_ops"), ("ML Infra", "infrastructure"),
                       ("Modeling", "modeling"), ("Deployment", "deployment")):
        lead = PersonFactory(organisation=org, manager=head)
        team = TeamFactory(organisation=org, name=name, kind=kind, lead=lead)
        MembershipFactory(team=team, person=lead)
        EngagementFactory(pipeline=pipeline, team=team, role="owner")
    return org


def with_a_stray_matched_by_hand(org) -> None:
    """Import a catalog of every stage backed, and a component of no known system matched to
    the pipeline's modeling stage by hand."""
    from pipelines.catalog import catalog_apply, catalog_match, read_files
    from pipelines.models import CatalogEntity, Pipeline

    catalog_apply(org, read_files(org, [("a.yaml", every_stage_backed() + component(
        "stray", owner="modeling", system="elsewhere"))]))
    stray = CatalogEntity.objects.get(organisation=org, ref="component:default/stray")
    catalog_match(entity=stray, pipeline=Pipeline.objects.get(organisation=org),
                  stage="modeling")


def catalog_codes(org):
    from orgdesign.analysis.kept import analysis_of

    return sorted((f.code, f.subject.name) for f in analysis_of(
        type(org).objects.get(pk=org.pk)).findings if f.code.startswith("catalog."))


@pytest.mark.django_db
def test_the_page_previews_then_imports_all_or_nothing():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pipelines.models import CatalogEntity
    from tests.factories import client_for

    org = design_with_teams()
    editor = client_for(org, "editor")
    url = f"/orgs/{org.slug}/catalog/"
    assert editor.get(url).status_code == 200
    files = [SimpleUploadedFile("catalog-info.yaml",
                                every_stage_backed(infrastructure="modeling")),
             SimpleUploadedFile("CODEOWNERS", CODEOWNERS)]
    preview = editor.post(url + "preview/", {"files": files})
    content = preview.content.decode()
    assert preview.status_code == 200 and 'data-catalog-preview="ready"' in content
    assert "catalog-info.yaml</strong>: 5 entities" in content
    assert not CatalogEntity.objects.exists()  # a preview writes nothing
    ticket = __import__("re").search(r'name="ticket" value="([^"]+)"', content).group(1)
    done = editor.post(url + "import/", {"ticket": ticket})
    assert done.status_code == 302
    assert CatalogEntity.objects.filter(organisation=org).count() == 5 + 4
    org.refresh_from_db()
    assert org.catalog_size == 9
    assert catalog_codes(org) == [("catalog.stage_owned_elsewhere", "infrastructure-component")]
    page = editor.get(url).content.decode()
    assert 'data-finding="catalog.stage_owned_elsewhere"' in page
    # The same ticket again: expired, nothing more written.
    again = editor.post(url + "import/", {"ticket": ticket}, follow=True)
    assert "expired" in again.content.decode()
    # A file with a problem: refused whole, the other file's entities untouched too.
    bad = editor.post(url + "preview/", {"files": [
        SimpleUploadedFile("catalog-info.yaml", every_stage_backed()),
        SimpleUploadedFile("more.yaml", b"kind: Component\nmetadata: {}\n")]})
    assert bad.status_code == 400 and 'data-catalog-preview="refused"' in bad.content.decode()
    assert 'name="ticket"' not in bad.content.decode()
    assert catalog_codes(org) == [("catalog.stage_owned_elsewhere", "infrastructure-component")]


@pytest.mark.django_db
def test_reimporting_a_source_replaces_it_and_keeps_matches_by_hand():
    from pipelines.catalog import catalog_apply, read_files
    from pipelines.models import CatalogEntity

    org = design_with_teams()
    with_a_stray_matched_by_hand(org)
    catalog_apply(org, read_files(org, [("b.yaml", SYSTEM)]))  # another source: kept apart
    done = catalog_apply(org, read_files(org, [("a.yaml", component(
        "stray", owner="modeling", system="elsewhere"))]))
    assert done == {"brought": 1, "removed": 6, "kept_by_hand": 1}
    kept = CatalogEntity.objects.get(organisation=org, ref="component:default/stray")
    assert (kept.pipeline.name, kept.stage) == ("News Feed ranking", "modeling")
    assert set(CatalogEntity.objects.filter(organisation=org).values_list(
        "source", flat=True)) == {"a.yaml", "b.yaml"}


@pytest.mark.django_db
def test_a_viewer_sees_the_catalog_and_cannot_change_it():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import OrganisationFactory, client_for

    org = design_with_teams()
    viewer = client_for(org, "viewer")
    page = viewer.get(f"/orgs/{org.slug}/catalog/").content.decode()
    assert 'action="/orgs/acme/catalog/preview/"' not in page
    refused = viewer.post(f"/orgs/{org.slug}/catalog/preview/",
                          {"files": [SimpleUploadedFile("a.yaml", SYSTEM)]})
    assert refused.status_code == 403
    outsider = client_for(OrganisationFactory())
    assert outsider.get(f"/orgs/{org.slug}/catalog/").status_code == 404


@pytest.mark.django_db
def test_the_command_imports_files_and_refuses_a_bad_one(tmp_path, capsys):
    from django.core.management import CommandError, call_command

    from pipelines.models import CatalogEntity

    org = design_with_teams()
    (tmp_path / "catalog-info.yaml").write_bytes(every_stage_backed())
    (tmp_path / "more.yaml").write_bytes(BACKSTAGE)
    (tmp_path / "CODEOWNERS").write_bytes(CODEOWNERS)
    files = [str(tmp_path / name) for name in ("catalog-info.yaml", "more.yaml", "CODEOWNERS")]
    call_command("import_catalog", "acme", *files, "--preview")
    assert "Preview: nothing was written." in capsys.readouterr().out
    assert not CatalogEntity.objects.exists()
    call_command("import_catalog", "acme", *files)
    out = capsys.readouterr().out
    assert "left out 2 entities" in out and "Imported 13 entities into acme" in out
    (tmp_path / "bad.yaml").write_bytes(b"kind: Group\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_catalog", "acme", str(tmp_path / "bad.yaml"))
    assert CatalogEntity.objects.filter(organisation=org).count() == 13


@pytest.mark.django_db
def test_the_api_takes_the_entities_as_backstage_serves_them():
    import yaml

    from pipelines.models import CatalogEntity
    from tests.api_helpers import token_client

    org = design_with_teams()
    entities = list(yaml.safe_load_all(every_stage_backed(infrastructure="modeling")))
    url = f"/api/v1/orgs/{org.slug}/catalog/"
    assert token_client(org, "read").post(url, entities, format="json").status_code == 403
    api = token_client(org, "write")
    dry = api.post(url + "?dry_run=1&source=backstage", {"items": entities}, format="json")
    assert dry.status_code == 200 and dry.json()["applied"] is False
    assert dry.json()["sources"] == {"backstage": {"brought": 5, "removed": 0}}
    assert not CatalogEntity.objects.exists()
    pushed = api.post(url + "?source=backstage", entities, format="json")
    assert pushed.status_code == 200 and pushed.json()["applied"] is True
    assert catalog_codes(org) == [("catalog.stage_owned_elsewhere", "infrastructure-component")]
    bad = api.post(url + "?source=backstage", [{"kind": "Component"}], format="json")
    assert bad.status_code == 400
    assert bad.json()["problems"] == ["backstage, entity 1: a Component without "
                                      "metadata.name."]
    assert CatalogEntity.objects.filter(organisation=org).count() == 5
    assert api.post(url, "text", format="json").status_code == 400


# Remedies ------------------------------------------------------------------------------------

def with_catalog(design, yaml_text: bytes):
    """The design's builder, its data carrying the catalog of `yaml_text` (the remedy cases
    read `org.data()`)."""
    from tests.builders import OrgBuilder

    rows = rows_of(parse_file("catalog-info.yaml", yaml_text).rows)
    design.org.data = lambda: replace(OrgBuilder.data(design.org), catalog=rows)
    return design.org


def test_a_component_owned_elsewhere_is_fixed_by_engaging_its_owner_for_the_stage():
    from orgdesign.analysis.changes import SET_CELL
    from tests.remedy_cases import advised, steps, top_clears

    design = sound_design()
    # A second modeling team in the ML org owns the modeling code in the catalog.
    second = design.org.team("Modeling Two", kind=TeamKind.MODELING, lead=design.head)
    design.org.member(design.org.person("Mo", role="scientist", manager=design.head), second)
    org = with_catalog(design, every_stage_backed(modeling="modeling-two"))
    component = next(row for row in org.data().catalog if row.name == "modeling-component")
    case = advised(org, "catalog.stage_owned_elsewhere", component.id, "modeling")
    top = top_clears(case)
    assert steps(top)[0][0] == SET_CELL
    assert "Engage Modeling Two as an owner of News Feed ranking" in top.summary
    # Two owners of the stage then: said, as what the fix brings.
    assert "pipeline.stage_multiple_owners" in {f.code for f in top.effect.introduced}


def test_a_component_owned_elsewhere_by_a_team_of_another_kind_gets_no_automatic_fix():
    from orgdesign.analysis.remedies import advise

    design = sound_design()
    org = with_catalog(design, every_stage_backed(modeling="deployment"))
    data = org.data()
    index = OrgIndex(data)
    findings = compute_findings(data)
    finding = next(f for f in findings if f.code == "catalog.stage_owned_elsewhere")
    assert advise(index, findings, finding).remedies == []


def test_a_component_owned_outside_the_ml_org_is_fixed_by_bringing_its_team_in():
    from orgdesign.analysis.changes import SET_MANAGER
    from tests.remedy_cases import advised, steps, top_clears

    design = sound_design()
    infra = design.teams[TeamKind.INFRASTRUCTURE]
    design.leads[TeamKind.INFRASTRUCTURE].manager_id = design.ceo.id
    org = with_catalog(design, every_stage_backed())
    component = next(row for row in org.data().catalog if row.name == "infrastructure-component")
    case = advised(org, "catalog.owner_outside_ml_org", component.id, "infrastructure")
    top = top_clears(case)
    assert steps(top) == [(SET_MANAGER, infra.lead_id, design.head.id, "")]
    # The team's own dependency goes with it.
    assert "dependency.outside_ml_org" in {f.code for f in top.effect.fixed}


@pytest.mark.django_db
def test_a_scenario_copies_the_catalog_and_compare_shows_its_findings_fixed():
    from orgdesign.scenarios.services import scenario_create, scenario_promote
    from pipelines.models import CatalogEntity, Pipeline
    from teams import services
    from teams.models import Organisation, Person, Team
    from tests.api_helpers import token_client

    org = design_with_teams()
    with_a_stray_matched_by_hand(org)
    # The infrastructure team's lead moves out of the ML org: its component is then owned
    # outside it.
    infra = Team.objects.get(organisation=org, name="ML Infra")
    ceo = services.person_create(organisation=org, name="Cleo")
    services.person_update(person=Person.objects.get(organisation=org, name="Hana"),
                           manager=ceo)
    outsider = services.person_create(organisation=org, name="Vic", manager=ceo)
    services.person_update(person=infra.lead, manager=outsider)
    assert ("catalog.owner_outside_ml_org", "infrastructure-component") in catalog_codes(org)

    scenario = scenario_create(origin=org, name="Infra in")
    assert scenario.catalog_size == CatalogEntity.objects.filter(organisation=org).count()
    copied = CatalogEntity.objects.get(organisation=scenario, ref="component:default/stray")
    assert copied.pipeline == Pipeline.objects.get(organisation=scenario)  # mapped to the copy
    assert catalog_codes(scenario) == catalog_codes(org)
    services.person_update(
        person=Person.objects.get(organisation=scenario, pk__in=Team.objects.filter(
            organisation=scenario, name="ML Infra").values("lead")),
        manager=Person.objects.get(organisation=scenario, name="Hana"))
    body = token_client(org, "read").get(
        f"/api/v1/orgs/{org.slug}/compare/{scenario.slug}/").json()
    assert "catalog.owner_outside_ml_org" in {f["code"] for f in body["findings"]["fixed"]}

    # Promoted, the origin takes the scenario's catalog in place of its own.
    scenario_promote(scenario=Organisation.objects.get(pk=scenario.pk))
    org.refresh_from_db()
    assert org.catalog_size == CatalogEntity.objects.filter(organisation=org).count() > 0
    assert ("catalog.owner_outside_ml_org", "infrastructure-component") not in \
        catalog_codes(org)
