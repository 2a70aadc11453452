"""Rosters as HR systems export them (issue 28): known exports recognised from their headers,
names joined from their parts, managers by id, email or name, status told by its values,
email as the key, an explicit mapping, a team column."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from teams.actor import Actor
from teams.hr_exports import (
    EXPORTS,
    join_name,
    recognise,
    reference_keys,
    status_of,
    team_of,
)
from teams.models import Door, Person, Team
from teams.roster_import import (
    apply_roster,
    parse_roster,
    people_fingerprint,
    preview_roster,
)
from tests.api_helpers import api_url, token_client
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    TeamFactory,
    UserFactory,
    client_for,
)

pytestmark = pytest.mark.django_db


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


@pytest.fixture
def org():
    return OrganisationFactory(slug="acme")


def actor() -> Actor:
    return Actor(via=Door.IMPORT, user=UserFactory())


def read_and_apply(organisation, data: bytes, **options):
    """Preview then apply, as the import page does: the file is read again for the apply."""
    roster = parse_roster(data, organisation=organisation, **options)
    assert roster.problems == []
    who = actor()
    preview = preview_roster(organisation=organisation, roster=roster, mode="delta", actor=who)
    assert preview.errors == []
    again = parse_roster(data, organisation=organisation, **options)
    result = apply_roster(organisation=organisation, roster=again, mode="delta",
                          fingerprint=people_fingerprint(preview), actor=who)
    assert result.errors == [] and result.applied
    return roster, preview


def people_by_api(organisation) -> dict[str, tuple]:
    """Each person as the API gives them: (name, title, department, manager's external id,
    active, worker type), by external id."""
    body = token_client(organisation, "read").get(
        api_url(organisation, "people/"), {"page_size": 1000}
    ).json()
    external_ids = {person["id"]: person["external_id"] for person in body["results"]}
    return {
        person["external_id"]: (
            person["name"], person["title"], person["department"],
            external_ids.get(person["manager"]), person["active"], person["worker_type"],
        )
        for person in body["results"]
    }


def memberships_by_api(organisation) -> set[tuple[str, str, int]]:
    client = token_client(organisation, "read")
    people = {p["id"]: p["external_id"] for p in client.get(
        api_url(organisation, "people/"), {"page_size": 1000}).json()["results"]}
    teams = {t["id"]: t["name"] for t in client.get(
        api_url(organisation, "teams/"), {"page_size": 1000}).json()["results"]}
    return {
        (people[m["person"]], teams[m["team"]], m["allocation"])
        for m in client.get(api_url(organisation, "memberships/"),
                            {"page_size": 1000}).json()["results"]
    }


# The same small ML organisation, as each HR system exports it -----------------------------------

# id, first name, last name, title, department, manager's id, state, contract
STAFF = [
    ("1001", "Maya", "Okafor", "VP Machine Learning", "Machine Learning", "", "active", "ft"),
    ("1002", "Jonas", "Weber", "ML Engineering Manager", "Machine Learning", "1001", "active",
     "ft"),
    ("1003", "Ana", "Costa", "Senior ML Engineer", "Machine Learning", "1002", "active", "ft"),
    ("1004", "Lee", "Chen", "Data Scientist", "Machine Learning", "1002", "leave", "pt"),
    ("1005", "Sam", "Rivera", "ML Contractor", "Machine Learning", "1002", "active",
     "contractor"),
    ("1006", "Priya", "Nair", "Applied Scientist", "Research", "1001", "terminated", "ft"),
    ("1007", "Olu", "Adeyemi", "ML Engineer", "Machine Learning", "1003", "active", "ft"),
]
BY_ID = {person[0]: person for person in STAFF}


def email(person) -> str:
    return f"{person[1]}.{person[2]}@acme.example".lower()


def full(person) -> str:
    return f"{person[1]} {person[2]}"


def manager(person):
    return BY_ID.get(person[5])


def bamboohr() -> list[list[str]]:
    rows = [["Employee #", "First Name", "Last Name", "Preferred Name", "Job Title",
             "Department", "Division", "Reporting to", "Work Email", "Status",
             "Employment Status", "Hire Date"]]
    for p in STAFF:
        boss = manager(p)
        first, preferred = ("Mayowa", "Maya") if p[0] == "1001" else (p[1], "")
        rows.append([
            p[0], first, p[2], preferred, p[3], p[4], "Product",
            f"{boss[2]}, {boss[1]}" if boss else "", email(p),
            "Inactive" if p[6] == "terminated" else "Active",
            {"terminated": "Terminated", "leave": "Leave of Absence"}.get(p[6]) or
            {"ft": "Full-Time", "pt": "Part-Time", "contractor": "Contractor"}[p[7]],
            "2021-03-01",
        ])
    return rows


def workday() -> list[list[str]]:
    rows = [["Employee_ID", "Worker", "Business_Title", "Manager_ID", "Primary_Work_Email",
             "Worker_Type", "Supervisory_Organization", "Active_Status", "On_Leave",
             "Hire_Date"]]
    for p in STAFF:
        rows.append([
            f"W{p[0]}", full(p), p[3], f"W{p[5]}" if p[5] else "", email(p),
            "Contingent Worker" if p[7] == "contractor" else "Employee", p[4],
            "0" if p[6] == "terminated" else "1", "1" if p[6] == "leave" else "0",
            "2020-01-06",
        ])
    return rows


def hibob() -> list[list[str]]:
    rows = [["Employee ID", "Display name", "First name", "Last name", "Email", "Work - Title",
             "Work - Reports to", "Work - Department", "Work - Site", "Employment - Type",
             "Lifecycle - Status"]]
    for p in STAFF:
        boss = manager(p)
        rows.append([
            p[0], full(p), p[1], p[2], email(p), p[3], email(boss) if boss else "", p[4],
            "London", "Contractor" if p[7] == "contractor" else "Permanent",
            {"active": "Employed", "leave": "Leave", "terminated": "Terminated"}[p[6]],
        ])
    return rows


def rippling() -> list[list[str]]:
    rows = [["Employee ID", "Full name", "First name", "Last name", "Preferred first name",
             "Work email", "Title", "Department", "Manager", "Employment type", "Role state",
             "Start date"]]
    for p in STAFF:
        boss = manager(p)
        rows.append([
            p[0], full(p), p[1], p[2], "", email(p), p[3], p[4], full(boss) if boss else "",
            {"ft": "Salaried, full-time", "pt": "Hourly, part-time",
             "contractor": "Contractor (1099)"}[p[7]],
            {"active": "Active", "leave": "On leave", "terminated": "Terminated"}[p[6]],
            "2022-05-02",
        ])
    return rows


def personio() -> list[list[str]]:
    rows = [["ID", "First name", "Last name", "Email", "Position", "Supervisor", "Status",
             "Employment type", "Department", "Team", "Office"]]
    for p in STAFF:
        boss = manager(p)
        rows.append([
            p[0], p[1], p[2], email(p), p[3], full(boss) if boss else "",
            {"active": "active", "leave": "leave", "terminated": "inactive"}[p[6]],
            "external" if p[7] == "contractor" else "internal", p[4], "Ranking", "Berlin",
        ])
    return rows


def entra() -> list[list[str]]:
    def upn(person):
        return f"{person[1]}.{person[2]}@acme.onmicrosoft.com".lower()

    rows = [["id", "userPrincipalName", "displayName", "surname", "mail", "givenName",
             "userType", "jobTitle", "department", "accountEnabled", "employeeType", "manager",
             "usageLocation"]]
    for p in STAFF:
        boss = manager(p)
        rows.append([
            f"0b6f-{p[0]}", upn(p), full(p), p[2], email(p), p[1], "Member", p[3], p[4],
            "False" if p[6] == "terminated" else "True",
            "Contractor" if p[7] == "contractor" else "Employee",
            upn(boss) if boss else "", "GB",  # the manager by their login
        ])
    return rows


def google() -> list[list[str]]:
    rows = [["First Name [Required]", "Last Name [Required]", "Email Address [Required]",
             "Password [Required]", "Org Unit Path [Required]", "Status [READ ONLY]",
             "Last Sign In [READ ONLY]", "Employee ID", "Employee Type", "Employee Title",
             "Manager Email", "Department"]]
    for p in STAFF:
        boss = manager(p)
        rows.append([
            p[1], p[2], email(p), "****", "/Engineering/ML",
            "Suspended" if p[6] == "terminated" else "Active", "2026-01-05T09:00:00.000Z",
            p[0], "Contractor" if p[7] == "contractor" else "Full-time", p[3],
            email(boss) if boss else "", p[4],
        ])
    return rows


SAMPLES = {
    "bamboohr": (bamboohr, lambda id_: id_),
    "workday": (workday, lambda id_: f"W{id_}"),
    "hibob": (hibob, lambda id_: id_),
    "rippling": (rippling, lambda id_: id_),
    "personio": (personio, lambda id_: id_),
    "entra": (entra, lambda id_: f"0b6f-{id_}"),
    "google": (google, lambda id_: id_),
}


def expected(key_of) -> dict[str, tuple]:
    return {
        key_of(p[0]): (full(p), p[3], p[4], key_of(p[5]) if p[5] else None,
                       p[6] != "terminated", "contractor" if p[7] == "contractor" else "employee")
        for p in STAFF
    }


def test_every_known_export_has_a_sample():
    assert set(SAMPLES) == set(EXPORTS)


@pytest.mark.parametrize("export", SAMPLES)
def test_a_known_export_is_recognised_previewed_and_applied(org, export):
    build, key_of = SAMPLES[export]
    rows = build()
    roster, preview = read_and_apply(org, csv_bytes(rows))

    assert roster.export == export
    assert [column.header for column in roster.columns] == rows[0]
    assert (preview.created, preview.updated, preview.deactivated) == (len(STAFF), 0, 0)
    # Managers, titles, departments, who is active (on leave is) and worker types.
    assert people_by_api(org) == expected(key_of)
    # Read again, the same file changes nothing.
    again = parse_roster(csv_bytes(rows), organisation=org)
    result = preview_roster(organisation=org, roster=again, mode="delta", actor=actor())
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(STAFF))


def test_the_bamboohr_report_of_the_issue_is_read_column_by_column(org):
    roster = parse_roster(csv_bytes(bamboohr()), organisation=org)
    assert roster.problems == []
    assert roster.export_label == "BambooHR employee report"
    assert [(c.header, c.field, c.source) for c in roster.columns] == [
        ("Employee #", "external_id", "export"),
        ("First Name", "first_name", "export"),
        ("Last Name", "last_name", "export"),
        ("Preferred Name", "preferred_name", "export"),
        ("Job Title", "title", "export"),
        ("Department", "department", "export"),
        ("Division", None, "export"),
        ("Reporting to", "manager_name", "export"),
        ("Work Email", "email", "export"),
        ("Status", "status", "export"),
        ("Employment Status", "status", "export"),
        ("Hire Date", None, "export"),
    ]
    columns = {column.header: column for column in roster.columns}
    assert columns["Reporting to"].sample == "Okafor, Maya"
    assert columns["Division"].read_as == "not imported"
    # What each status column turned out to say, told by its values.
    assert columns["Status"].gives == ("active",)
    assert columns["Employment Status"].gives == ("active", "worker_type")
    assert roster.ignored_columns == ["Division", "Hire Date"]
    maya = roster.records[0]
    assert (maya["name"], maya["manager_external_id"]) == ("Maya Okafor", "")
    jonas = roster.records[1]
    assert (jonas["manager_external_id"], jonas["active"], jonas["worker_type"]) == (
        "1001", True, "employee")


def test_the_import_page_reads_a_hibob_export_and_applies_it(org):
    editor = client_for(org, "editor")
    data = csv_bytes(hibob())
    preview = editor.post("/orgs/acme/import/people/", {
        "file": SimpleUploadedFile("bob.csv", data, content_type="text/csv"), "mode": "delta",
    })
    outcome = preview.context["outcome"]
    assert outcome.state == "preview", outcome.problems
    assert outcome.notes == ["Read as a HiBob people export.", "Columns not imported: Work - Site."]
    applied = editor.post("/orgs/acme/import/people/apply/", {"ticket": outcome.ticket})
    assert applied.context["outcome"].state == "applied"
    assert people_by_api(org) == expected(lambda id_: id_)


def test_our_own_people_csv_is_no_known_export():
    header = ["external_id", "name", "email", "title", "role", "manager_external_id", "active",
              "teams", "department", "worker_type", "level"]
    assert recognise(header) is None
    roster = parse_roster(csv_bytes([header, ["E1", "Ada", "", "", "", "", "true", "", "",
                                              "contractor", ""]]))
    assert roster.problems == [] and roster.export is None
    assert {c.source for c in roster.columns} == {"header"}
    assert roster.records[0]["worker_type"] == "contractor"


# Managers as HR writes them ------------------------------------------------------------------


def test_a_manager_by_last_first_or_first_last_is_found_in_the_file(org):
    data = csv_bytes([
        ["Employee ID", "First Name", "Last Name", "Manager"],
        ["2", "Bea", "Lund", "Okafor, Maya"],
        ["3", "Cy", "Moss", "bea lund"],
        ["1", "Maya", "Okafor", ""],
    ])
    read_and_apply(org, data)
    people = people_by_api(org)
    assert (people["2"][3], people["3"][3], people["1"][3]) == ("1", "2", None)


def test_a_manager_not_in_the_file_is_found_in_the_organisation_in_one_query(
    org, django_assert_num_queries
):
    PersonFactory(organisation=org, external_id="M1", name="Maya Okafor",
                  email="maya@acme.example")
    PersonFactory(organisation=org, external_id="M2", name="Jonas Weber")
    data = csv_bytes([
        ["Employee ID", "Full Name", "Manager Email", "Manager Name"],
        ["2", "Bea Lund", "MAYA@acme.example", ""],
        ["3", "Cy Moss", "", "Weber, Jonas"],
    ])
    with django_assert_num_queries(1):
        roster = parse_roster(data, organisation=org)
    assert roster.problems == []
    assert [r["manager_external_id"] for r in roster.records] == ["M1", "M2"]


def test_parsing_takes_the_same_queries_whatever_the_size(org, django_assert_num_queries):
    TeamFactory(organisation=org, name="Ranking")
    PersonFactory(organisation=org, external_id="M1", name="Maya Okafor")

    def roster(size: int) -> bytes:
        rows = [["Employee ID", "Full Name", "Reports To", "Team", "Employment Status"]]
        rows += [[f"E{n}", f"Person {n}", "Okafor, Maya" if n == 0 else f"Person {n // 2}",
                  "Ranking", "Full-Time"] for n in range(size)]
        return csv_bytes(rows)

    for size in (5, 500):
        with django_assert_num_queries(2):  # the people and the teams
            read = parse_roster(roster(size), organisation=org, mapping={"Team": "team"})
        assert read.problems == []


def test_an_ambiguous_manager_names_its_line_and_the_candidates_and_writes_nothing(org):
    editor = client_for(org, "editor")
    data = csv_bytes([
        ["Employee #", "First Name", "Last Name", "Reporting to", "Work Email"],
        ["1", "Alex", "Kim", "", "alex.kim@x.org"],
        ["2", "Alex", "Kim", "", "alex.kim2@x.org"],
        ["3", "Bea", "Lund", "Kim, Alex", "bea@x.org"],
    ])
    roster = parse_roster(data, organisation=org)
    assert [(p.line, p.column, p.message) for p in roster.problems] == [(
        4, "Reporting to",
        "Reporting to: “Kim, Alex” could be Alex Kim (line 2) or Alex Kim (line 3): give the "
        "manager by id or email instead.",
    )]
    response = editor.post("/orgs/acme/import/people/", {
        "file": SimpleUploadedFile("bamboo.csv", data, content_type="text/csv"),
    })
    assert response.status_code == 400
    assert not Person.objects.filter(organisation=org).exists()


def test_an_ambiguous_manager_in_the_organisation_names_the_candidates_by_id(org):
    PersonFactory(organisation=org, external_id="K1", name="Alex Kim")
    PersonFactory(organisation=org, external_id="K2", name="Alex Kim", active=False)
    roster = parse_roster(csv_bytes([["Employee ID", "Full Name", "Manager Name"],
                                     ["3", "Bea Lund", "Alex Kim"]]), organisation=org)
    assert [(p.line, p.message) for p in roster.problems] == [(
        2, "Manager Name: “Alex Kim” could be Alex Kim (K1, in the organisation) or Alex Kim "
           "(K2, in the organisation, inactive): give the manager by id or email instead.",
    )]


def test_an_unknown_manager_is_a_problem_with_the_names_it_may_mean(org):
    PersonFactory(organisation=org, external_id="S1", name="Jane Smith")
    roster = parse_roster(csv_bytes([
        ["Employee ID", "First Name", "Last Name", "Reports To", "Manager Email"],
        ["1", "John", "Smith", "", ""],
        ["2", "Bea", "Lund", "Smith, Jon", ""],
        ["3", "Cy", "Moss", "", "nobody@x.org"],
        ["4", "Di", "Ng", "Zed Q", ""],
    ]), organisation=org)
    assert [(p.line, p.message) for p in roster.problems] == [
        (3, "Reports To: No one in the file or the organisation is named “Smith, Jon”. Did you "
            "mean John Smith (line 2) or Jane Smith (S1, in the organisation)?"),
        (4, "Manager Email: No one in the file or the organisation has the email "
            "“nobody@x.org”."),
        (5, "Reports To: No one in the file or the organisation is named “Zed Q”."),
    ]


def test_read_without_the_organisation_the_apply_finds_the_managers_there(org):
    """The worker reads the file again without the organisation: the apply looks for the
    managers the file does not settle, or refuses with them, writing nothing."""
    PersonFactory(organisation=org, external_id="M1", name="Maya Okafor")
    data = csv_bytes([["Employee ID", "Full Name", "Manager Name"], ["2", "Bea", "Okafor, Maya"]])
    preview = preview_roster(organisation=org, roster=parse_roster(data), mode="delta",
                             actor=actor())
    roster = parse_roster(data)
    assert roster.problems == [] and not roster.checked
    apply_roster(organisation=org, roster=roster, mode="delta",
                 fingerprint=people_fingerprint(preview), actor=actor())
    assert people_by_api(org)["2"][3] == "M1"

    unknown = parse_roster(csv_bytes([["Employee ID", "Full Name", "Manager Name"],
                                      ["3", "Cy", "Nobody Here"]]))
    result = apply_roster(organisation=org, roster=unknown, mode="delta", fingerprint="",
                          actor=actor())
    assert result.errors == [{"index": 0, "external_id": "3", "errors": {
        "manager_external_id": ["Manager Name: No one in the file or the organisation is "
                                "named “Nobody Here”."]}}]
    assert not Person.objects.filter(external_id="3").exists()


# Status apart from contract --------------------------------------------------------------------


def test_a_file_with_both_status_columns_reads_active_and_worker_type(org):
    data = csv_bytes([
        ["Employee #", "First Name", "Last Name", "Status", "Employment Status"],
        ["1", "Ada", "Ray", "Active", "Full-Time"],
        ["2", "Bo", "Ek", "Active", "Contractor"],
        ["3", "Cy", "Oz", "Inactive", "Terminated"],
        ["4", "Di", "Ng", "Active", "Leave of Absence"],
    ])
    read_and_apply(org, data)
    people = people_by_api(org)
    assert {key: person[4:] for key, person in people.items()} == {
        "1": (True, "employee"), "2": (True, "contractor"), "3": (False, "employee"),
        "4": (True, "employee"),
    }


def test_status_columns_that_disagree_or_say_nothing_known_are_problems(org):
    roster = parse_roster(csv_bytes([
        ["Employee ID", "Full Name", "Status", "Employment Status"],
        ["1", "Ada", "Active", "Terminated"],
        ["2", "Bo", "Active", "Probation"],
    ]), organisation=org)
    assert [(p.line, p.column) for p in roster.problems] == [
        (2, "Employment Status"), (3, "Employment Status"),
    ]
    assert "says the person is not active, but Status says otherwise" in (
        roster.problems[0].message)
    assert roster.problems[1].message.startswith(
        "Employment Status: “Probation” is neither an employment state")


@pytest.mark.parametrize(("text", "said"), [
    ("Active", {"active": True}),
    ("Employed", {"active": True}),
    ("Leave", {"active": True}),
    ("on leave", {"active": True}),
    ("Terminated", {"active": False}),
    ("INACTIVE", {"active": False}),
    ("Full-Time", {"worker_type": "employee"}),
    ("Part-Time", {"worker_type": "employee"}),
    ("Salaried", {"worker_type": "employee"}),
    ("Hourly", {"worker_type": "employee"}),
    ("Contractor", {"worker_type": "contractor"}),
    ("Contingent Worker", {"worker_type": "contractor"}),
    ("Vendor", {"worker_type": "contractor"}),
    ("Temp", {"worker_type": "contractor"}),
    ("Salaried, full-time", {"worker_type": "employee"}),
    ("Contractor (1099)", {"worker_type": "contractor"}),
    ("Full-Time / Contractor", {"worker_type": "contractor"}),
    ("Active - Full Time", {"active": True, "worker_type": "employee"}),
    ("Active / Terminated", None),
    ("Probation", None),
])
def test_what_a_status_value_says(text, said):
    assert status_of(text) == said


def test_names_teams_and_references():
    assert join_name("Mayowa", "Okafor", "Maya") == "Maya Okafor"
    assert join_name("Ada", "", "") == "Ada"
    assert team_of("Engineering > ML > Ranking") == "Ranking"
    assert team_of("/Engineering/ML/Ranking/") == "Ranking"
    assert team_of("Search/Ranking") == "Search/Ranking"
    assert reference_keys("Okafor, Maya") == ["maya okafor", "okafor maya"]
    assert reference_keys("  Zoë  FERREIRA ") == ["zoe ferreira"]


# Email as the key ---------------------------------------------------------------------------------


def test_a_file_without_external_ids_may_key_people_by_their_email(org):
    rows = google()
    for row in rows[1:]:
        row[7] = ""  # Employee ID: empty, as in most Google Workspace domains
    data = csv_bytes(rows)
    refused = parse_roster(data, organisation=org)
    assert refused.problems[0].message == (
        "Employee ID is empty: every person needs the id the HR system knows them by.")
    assert refused.key_choices == ["email"]

    read_and_apply(org, data, key="email")
    by_email = {email(p): p for p in STAFF}
    assert people_by_api(org) == {
        key: (full(p), p[3], p[4], email(manager(p)) if manager(p) else None,
              p[6] != "terminated", "contractor" if p[7] == "contractor" else "employee")
        for key, p in by_email.items()
    }


def test_the_key_column_must_be_there_and_filled(org):
    no_email = parse_roster(csv_bytes([["Full Name"], ["Ada"]]), key="email")
    assert [p.message for p in no_email.problems] == [
        "The file has no email column to key people by (accepted headers: email, Work Email, "
        "Email Address, E-mail)."
    ]
    empty = parse_roster(csv_bytes([["Full Name", "Email"], ["Ada", ""]]), key="email")
    assert [(p.line, p.message) for p in empty.problems] == [
        (2, "Email is empty: people are keyed by their email, so every person needs one.")
    ]
    bad = parse_roster(csv_bytes([["Full Name", "Email"], ["Ada", "a@x.org"]]), key="phone")
    assert [p.message for p in bad.problems] == ["People may be keyed by email or login, not "
                                                 "“phone”."]


def test_an_entra_download_may_be_keyed_by_login(org):
    read_and_apply(org, csv_bytes(entra()), key="login")
    people = people_by_api(org)
    assert people["maya.okafor@acme.onmicrosoft.com"][3] is None
    assert people["jonas.weber@acme.onmicrosoft.com"][3] == "maya.okafor@acme.onmicrosoft.com"


# An explicit mapping ------------------------------------------------------------------------------


def test_an_explicit_mapping_overrides_the_recognised_one(org):
    rows = bamboohr()
    mapping = {"Department": None, "Division": "department", "Hire Date": None}
    roster, _ = read_and_apply(org, csv_bytes(rows), mapping=mapping)
    columns = {c.header: (c.field, c.source) for c in roster.columns}
    assert columns["Department"] == (None, "mapping")
    assert columns["Division"] == ("department", "mapping")
    assert columns["Job Title"] == ("title", "export")
    assert roster.options == {"mapping": mapping, "key": None, "create_teams": False}
    assert {person[2] for person in people_by_api(org).values()} == {"Product"}


def test_a_mapping_gives_an_unknown_column_a_field_and_leaves_a_known_one_out(org):
    data = csv_bytes([
        ["Employee ID", "Full Name", "Work Email", "Contact", "Cost Centre"],
        ["1", "Ada", "ada@old.org", "ada@x.org", "R&D"],
    ])
    roster = parse_roster(data, organisation=org,
                          mapping={"Contact": "email", "Cost Centre": "department"})
    assert roster.problems == []
    assert [(c.header, c.field) for c in roster.columns] == [
        ("Employee ID", "external_id"), ("Full Name", "name"), ("Work Email", None),
        ("Contact", "email"), ("Cost Centre", "department"),
    ]
    assert roster.records == [{"external_id": "1", "name": "Ada", "email": "ada@x.org",
                               "department": "R&D"}]


@pytest.mark.parametrize(("mapping", "message"), [
    ({"Supervisor": "manager_name"},
     "The mapping names a column “Supervisor” that the file does not have."),
    ({"Full Name": "name", "Nick": "name"},
     "Columns “Full Name” and “Nick” are both mapped to name; keep one of them."),
    ({"Nick": "nickname"},
     "“Nick” is mapped to “nickname”, which is not a field; map it to one of"),
    ({"Team": "team", "Nick": "teams"},
     "Columns “Nick” and “Team” are both mapped to teams; keep one of them."),
])
def test_a_bad_mapping_is_refused_and_nothing_is_written(org, mapping, message):
    data = csv_bytes([["Employee ID", "Full Name", "Nick", "Team"], ["1", "Ada", "A", "ML"]])
    roster = parse_roster(data, organisation=org, mapping=mapping)
    assert [p.message[:len(message)] for p in roster.problems] == [message]
    # The columns are still reported, so the mapping can be mended.
    assert [c.header for c in roster.columns] == ["Employee ID", "Full Name", "Nick", "Team"]
    assert roster.records == []
    with pytest.raises(ValueError, match="cannot be applied"):
        apply_roster(organisation=org, roster=roster, mode="delta", fingerprint="",
                     actor=actor())
    assert not Person.objects.filter(organisation=org).exists()


# A team from a column ---------------------------------------------------------------------------


def test_a_team_column_puts_people_in_existing_teams_at_100_percent(org):
    TeamFactory(organisation=org, name="Ranking")
    rows = personio()
    roster, _ = read_and_apply(org, csv_bytes(rows), mapping={"Team": "team"})
    assert {c.header: c.field for c in roster.columns}["Team"] == "team"
    assert memberships_by_api(org) == {(p[0], "Ranking", 100) for p in STAFF}


def test_an_unknown_team_is_a_problem_unless_teams_may_be_created(org):
    TeamFactory(organisation=org, name="Search")
    data = csv_bytes([
        ["Employee ID", "Full Name", "Department"],
        ["1", "Ada", "Engineering > ML > Ranking"],
        ["2", "Bo", "Engineering > ML > ranking"],
        ["3", "Cy", "Engineering > search"],
        ["4", "Di", ""],
    ])
    mapping = {"Department": ["department", "team"]}
    refused = parse_roster(data, organisation=org, mapping=mapping)
    assert [(p.line, p.column, p.message) for p in refused.problems] == [
        (2, "Department", "Department: No team is named “Ranking”: create it first, or import "
                          "with new teams created."),
        (3, "Department", "Department: No team is named “ranking”: create it first, or import "
                          "with new teams created."),
    ]

    roster = parse_roster(data, organisation=org, mapping=mapping, create_teams=True)
    assert roster.problems == [] and roster.new_teams == ["Ranking"]
    # The preview creates nothing.
    preview = preview_roster(organisation=org, roster=roster, mode="delta", actor=actor())
    assert preview.errors == [] and preview.created == 4
    assert not Team.objects.filter(organisation=org, name="Ranking").exists()
    again = parse_roster(data, organisation=org, mapping=mapping, create_teams=True)
    apply_roster(organisation=org, roster=again, mode="delta",
                 fingerprint=people_fingerprint(preview), actor=actor())
    assert sorted(Team.objects.filter(organisation=org).values_list("name", flat=True)) == [
        "Ranking", "Search"]
    assert memberships_by_api(org) == {("1", "Ranking", 100), ("2", "Ranking", 100),
                                       ("3", "Search", 100)}
    assert people_by_api(org)["1"][2] == "Engineering > ML > Ranking"
    ranking = Team.objects.get(organisation=org, name="Ranking")
    assert ranking.history.count() == 1 and ranking.updated_via == "import"


def test_a_refused_apply_creates_no_team(org):
    data = csv_bytes([["Employee ID", "Full Name", "Team", "role"],
                      ["1", "Ada", "Ranking", "wizard"]])
    roster = parse_roster(data, organisation=org, mapping={"Team": "team"}, create_teams=True)
    assert roster.problems == []
    result = apply_roster(organisation=org, roster=roster, mode="delta", fingerprint="",
                          actor=actor())
    assert result.errors and not Team.objects.filter(organisation=org).exists()
