"""The management commands of docs/design.md section 4 (generate_org has its own file)."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.loader import load_org_data
from teams.models import Organisation, OrganisationAccess

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def table_sizes(organisation):
    return (
        organisation.people.count(),
        organisation.teams.count(),
        organisation.pipelines.count(),
    )


def test_seed_demo_builds_the_demo_with_its_deliberate_problems(settings):
    settings.DEBUG = True
    run("seed_demo")
    organisation = Organisation.objects.get(slug="demo")
    codes = {finding.code for finding in compute_findings(load_org_data(organisation))}
    assert {
        "dependency.outside_ml_org",
        "pipeline.no_pm",
        "pipeline.stage_unowned",
        "team.kpi_output_volume",
        "person.over_allocated",
        "scientist.no_science_manager",
        "scientist.isolated",
        # The codes of findings v2, so each can be seen in the demo.
        "pipeline.no_metric",
        "team.kpi_publications",
        "team.no_kpi",
        "team.members_outside_ml_org",
        # The codes of findings v3.
        "pipeline.stage_understaffed",
        "team.over_committed",
    } <= codes
    assert "org.no_ml_head" not in codes
    kinds = set(organisation.teams.values_list("kind", flat=True))
    assert {"data_ops", "tooling", "infrastructure", "modeling", "deployment",
            "product_squad"} <= kinds


def test_the_demos_contractor_labelers_are_quiet_and_would_not_be_as_employees(settings):
    """Seed 002's Data Ops overseeing a vendor's contractor labelers: their solid line runs
    to the company's vendor manager, outside the ML org. Contractors: nothing is said of
    them. Were they employees, the team would be a critical dependency staffed from outside.
    """
    from teams.models import Person, Team, WorkerType

    run("seed_demo")
    organisation = Organisation.objects.get(slug="demo")
    team = Team.objects.get(organisation=organisation, name="Vendor Labeling")
    labelers = Person.objects.filter(memberships__team=team)
    assert set(labelers.values_list("worker_type", flat=True)) == {WorkerType.CONTRACTOR}
    assert labelers.count() == 3

    def about_them() -> list:
        ids = {team.pk, *labelers.values_list("pk", flat=True)}
        return [(f.code, f.severity) for f in compute_findings(load_org_data(organisation))
                if f.subject.id in ids and f.subject.type in ("team", "person")]

    assert about_them() == []
    labelers.update(worker_type=WorkerType.EMPLOYEE)
    assert about_them() == [("team.members_outside_ml_org", "error")]


def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    run("seed_demo")
    organisation = Organisation.objects.get(slug="demo")
    before = table_sizes(organisation)
    output = run("seed_demo")
    assert "already exists" in output
    assert table_sizes(organisation) == before
    assert Organisation.objects.filter(slug="demo").count() == 1
    assert get_user_model().objects.filter(username="demo").count() == 1


def test_seed_demo_creates_the_demo_login_as_editor_in_debug(settings):
    settings.DEBUG = True
    output = run("seed_demo")
    user = get_user_model().objects.get(username="demo")
    assert user.check_password("demo")
    assert OrganisationAccess.objects.get(user=user).role == "editor"
    assert "'demo'" in output


def test_seed_demo_refuses_the_demo_login_without_debug(settings):
    settings.DEBUG = False
    output = run("seed_demo")
    assert Organisation.objects.filter(slug="demo").exists()
    assert not get_user_model().objects.filter(username="demo").exists()
    assert "not creating the demo login" in output


def test_seed_demo_reset_rebuilds_the_demo(settings):
    settings.DEBUG = True
    run("seed_demo")
    first = Organisation.objects.get(slug="demo")
    first.people.filter(name="Jonas Weber").update(name="Renamed")
    run("seed_demo", reset=True)
    rebuilt = Organisation.objects.get(slug="demo")
    assert rebuilt.pk != first.pk
    assert rebuilt.people.filter(name="Jonas Weber").exists()


def test_create_org_creates_an_empty_organisation():
    output = run("create_org", "acme", name="Acme ML")
    organisation = Organisation.objects.get(slug="acme")
    assert organisation.name == "Acme ML"
    assert table_sizes(organisation) == (0, 0, 0)
    assert "Created" in output


def test_create_org_leaves_an_existing_slug_unchanged():
    run("create_org", "acme", name="Acme ML")
    output = run("create_org", "acme", name="Other name")
    assert "already exists" in output
    assert Organisation.objects.get(slug="acme").name == "Acme ML"


def test_create_org_refuses_a_bad_slug():
    with pytest.raises(CommandError):
        run("create_org", "not a slug!", name="Acme")
    assert not Organisation.objects.exists()
