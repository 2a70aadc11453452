"""What an HR system's own export means: its columns, its status words, its names and managers.

Pure (no queries), for `teams.roster_import`, which reads the file and asks the database:

- `EXPORTS`, the known exports (BambooHR, Workday custom reports, HiBob, Rippling, Personio,
  and the user downloads of Microsoft Entra ID and Google Workspace), each recognised from its
  headers (`recognise`) with the field every column is read as;
- `HR_ALIASES` and `STATUS_HEADERS`, the headers any HR file may use besides people.csv's own;
- `status_of`, what a cell of a status column says, told by its value, not its header:
  an employment state (Active, Employed, Leave, Terminated, Inactive...) gives `active`, a
  contract kind (Full-Time, Contractor, Contingent Worker...) gives `worker_type`;
- `join_name` and `team_of`, a name from its parts and a team from a department path;
- `People` and `resolve_manager`, a manager given by id, email or name ("Last, First" or
  "First Last") found in the file, then in the organisation; an ambiguous or unknown one is a
  problem naming the candidates, never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from teams.models import WorkerType


def normalise(text: str) -> str:
    """A header or a word as compared: case, spaces, underscores, hyphens and dots ignored
    ("EMPLOYEE_ID" is "Employee ID", "Full-Time" is "full time")."""
    return " ".join(re.sub(r"[_\-.]+", " ", text).casefold().split())


# The fields a column may be read as (the mapping's values), and what each gives the person.
FIELDS: dict[str, str] = {
    "external_id": "the id the HR system knows the person by",
    "name": "the full name",
    "first_name": "the first name, joined with the last name",
    "last_name": "the last name, joined with the first (or preferred) name",
    "preferred_name": "the preferred first name, used instead of the first name",
    "email": "the work email",
    "login": "the login (user principal name), the key when people are keyed by login",
    "title": "the job title",
    "role": "the role in the design",
    "manager_external_id": "the manager, by their external id",
    "manager_email": "the manager, by their email",
    "manager_name": "the manager, by their name (“Last, First” or “First Last”)",
    "manager": "the manager, by id, email or name (told by the value)",
    "active": "whether the person is active (yes or no)",
    "worker_type": "employee or contractor",
    "status": "active or worker type, told by each value",
    "teams": "teams with their allocation (Team A:60;Team B:40)",
    "team": "the person's one team, at 100% (the last part of a path like A > B > Team)",
    "department": "the HR department",
    "level": "the job level",
}
# Fields several columns may give at once: a status column may say whether someone is
# active and another how they work for the company.
MULTI_FIELDS = frozenset({"status"})
# Fields that give the same thing: one column at most for each group.
SAME_SLOT = {"team": "teams"}
# The columns a manager may be given in, in the order they are read: the first with a value.
MANAGER_FIELDS = ("manager_external_id", "manager_email", "manager_name", "manager")
NAME_PARTS = ("first_name", "last_name", "preferred_name")
# What people may be keyed by when the file has no external id (the key becomes it).
KEYS = ("email", "login")

# Headers HR systems use for the fields people.csv does not have, besides the field's name.
HR_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("First Name", "Given Name", "Legal First Name", "Forename"),
    "last_name": ("Last Name", "Surname", "Family Name", "Legal Last Name"),
    "preferred_name": ("Preferred Name", "Preferred First Name", "Nickname", "Known As"),
    "login": ("Login", "Username", "User Name", "User Principal Name", "UPN"),
    "manager_email": ("Manager Email", "Manager Work Email", "Supervisor Email",
                      "Reports To Email", "Manager's Work Email", "Manager Email Address"),
    "manager_name": ("Manager Name", "Supervisor Name", "Manager Full Name"),
    "manager": ("Manager", "Supervisor", "Reports To", "Reporting To", "Line Manager"),
}
# Headers of a column whose values say what they mean (`status_of`): the active and
# worker type headers HR systems use. The exact people.csv headers (`active`, `worker_type`,
# and "Worker Type", the same once normalised) keep their strict reading.
STATUS_HEADERS = (
    "status", "Employment Status", "Employee Status", "Worker Status", "Active Status",
    "Account Status", "Employee Type", "Employment Type", "Contract Type",
)


# Known exports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """A known export: how to recognise it, and the field each of its columns is read as
    (None: not imported; a column it does not name is read by its header, if known)."""

    name: str
    label: str
    signatures: tuple[frozenset[str], ...]  # normalised headers; any one set, all present
    columns: Mapping[str, str | None]  # normalised header -> field

    def matches(self, headers: set[str]) -> bool:
        return any(signature <= headers for signature in self.signatures)


def _export(name: str, label: str, signatures: Iterable[Iterable[str]],
            columns: Mapping[str, str | None]) -> Export:
    return Export(
        name, label,
        tuple(frozenset(normalise(header) for header in signature) for signature in signatures),
        {normalise(header): field for header, field in columns.items()},
    )


EXPORTS: dict[str, Export] = {export.name: export for export in (
    _export("bamboohr", "BambooHR employee report", [
        ["Employee #"], ["First Name", "Last Name", "Reporting to"],
        ["First Name", "Last Name", "Employment Status", "Work Email"],
    ], {
        "Employee #": "external_id", "EEID": "external_id",
        "First Name": "first_name", "Last Name": "last_name", "Preferred Name": "preferred_name",
        "Middle Name": None, "Job Title": "title", "Department": "department",
        "Division": None, "Location": None, "Reporting to": "manager_name",
        "Reports To": "manager_name", "Work Email": "email", "Home Email": None,
        "Status": "status", "Employment Status": "status", "Hire Date": None,
    }),
    _export("workday", "Workday custom report", [["Employee_ID", "Worker"]], {
        "Employee_ID": "external_id", "Worker": "name", "Legal_Name": None,
        "Preferred_Name": None,  # Workday's is the whole name, not a first name
        "Business_Title": "title", "Job_Profile": None, "Manager_ID": "manager_external_id",
        "Manager": "manager_name", "Primary_Work_Email": "email",
        "Email_-_Primary_Work": "email", "Worker_Type": "status", "Employee_Type": None,
        "Time_Type": None,  # full or part time: a contingent worker may be either
        "Active_Status": "status", "Supervisory_Organization": "department",
        "Cost_Center": None, "Location": None, "Hire_Date": None, "Management_Level": None,
    }),
    _export("hibob", "HiBob people export", [
        ["Work - Title"], ["Work - Reports to"], ["Work - Department"],
    ], {
        "Employee ID": "external_id", "Display name": "name", "First name": "first_name",
        "Last name": "last_name", "Preferred name": "preferred_name", "Email": "email",
        "Work - Title": "title", "Work - Reports to": "manager",
        "Work - Reports to email": "manager_email", "Work - Department": "department",
        "Work - Division": None, "Work - Site": None, "Work - Start date": None,
        "Employment - Type": "status", "Employment - Contract": "status",
        "Lifecycle - Status": "status", "Internal - Status": "status",
        "Internal - Lifecycle status": "status", "Status": "status",
    }),
    _export("rippling", "Rippling people report", [
        ["Role state"], ["Preferred first name", "Work email", "Employment type"],
    ], {
        "Employee ID": "external_id", "Employee number": "external_id",
        "Full name": "name", "Legal name": None, "First name": "first_name",
        "Last name": "last_name", "Preferred first name": "preferred_name",
        "Work email": "email", "Personal email": None, "Title": "title",
        "Job title": "title", "Department": "department", "Manager": "manager",
        "Manager's work email": "manager_email", "Manager email": "manager_email",
        "Employment type": "status", "Role state": "status", "Employment status": "status",
        "Start date": None, "Work location": None,
    }),
    _export("personio", "Personio employee list", [
        ["Position", "Supervisor"], ["ID", "Employment type", "Position"],
    ], {
        "ID": "external_id", "First name": "first_name", "Last name": "last_name",
        "Preferred name": "preferred_name", "Email": "email", "Position": "title",
        "Supervisor": "manager", "Status": "status", "Employment type": "status",
        "Department": "department", "Team": None, "Office": None, "Subcompany": None,
        "Gender": None, "Hire date": None, "Cost center": None,
    }),
    _export("entra", "Microsoft Entra ID user download", [
        ["userPrincipalName", "displayName"],
    ], {
        "id": "external_id", "objectId": "external_id", "userPrincipalName": "login",
        "displayName": "name", "givenName": "first_name", "surname": "last_name",
        "mail": "email", "jobTitle": "title", "department": "department",
        "accountEnabled": "status", "employeeType": "status", "userType": None,
        "employeeId": None,
        "manager": "manager", "companyName": None, "usageLocation": None,
    }),
    _export("google", "Google Workspace user download", [["Email Address [Required]"]], {
        "Employee ID": "external_id", "First Name [Required]": "first_name",
        "Last Name [Required]": "last_name", "Email Address [Required]": "email",
        "Employee Title": "title", "Manager Email": "manager_email",
        "Department": "department", "Employee Type": "status",
        "Status [READ ONLY]": "status", "Org Unit Path [Required]": None,
        "Password [Required]": None, "Cost Center": None,
    }),
)}


def recognise(headers: Iterable[str]) -> Export | None:
    """The known export a file's headers are, if any: of those whose signature is there,
    the one that names the most of its columns (the first listed on a tie)."""
    present = {normalise(header) for header in headers}
    best, best_count = None, 0
    for export in EXPORTS.values():
        if export.matches(present):
            count = len(present & export.columns.keys())
            if best is None or count > best_count:
                best, best_count = export, count
    return best


# Status values ----------------------------------------------------------------------------------

# Employment states: whether the person is active (on leave is active).
EMPLOYMENT_STATES: dict[str, bool] = {
    **dict.fromkeys(("active", "employed", "leave", "on leave", "leave of absence",
                     "onboarding", "hired", "accepted", "enabled", "true", "yes", "y", "1"),
                    True),
    **dict.fromkeys(("inactive", "terminated", "suspended", "disabled", "offboarded",
                     "former", "deleted", "false", "no", "n", "0"), False),
}
# Contract kinds: how the person works for the company.
EMPLOYEE, CONTRACTOR = WorkerType.EMPLOYEE.value, WorkerType.CONTRACTOR.value
CONTRACT_KINDS: dict[str, str] = {
    **dict.fromkeys(("employee", "full time", "part time", "salaried", "hourly", "regular",
                     "permanent", "fixed term", "intern", "internal"), EMPLOYEE),
    **dict.fromkeys(("contractor", "contingent worker", "contingent", "vendor", "temp",
                     "temporary", "freelance", "freelancer", "consultant", "external",
                     "agency"), CONTRACTOR),
}
_PARTS = re.compile(r"[,/;|()+]|\s-\s")


@lru_cache(maxsize=4096)
def status_of(text: str) -> dict[str, object] | None:
    """What a status cell says: `{"active": bool}`, `{"worker_type": "employee" or
    "contractor"}`, both ("Active - Full Time"), or None when it is neither an employment
    state nor a contract kind. A compound value ("Salaried, full-time", "Contractor (1099)")
    is read part by part; of two contract kinds, contractor wins ("Full-Time, Contractor")."""
    whole = normalise(text)
    parts = [whole] if whole in EMPLOYMENT_STATES or whole in CONTRACT_KINDS else [
        normalise(part) for part in _PARTS.split(text)
    ]
    said: dict[str, object] = {}
    for part in parts:
        if not part or part.isdigit() and len(parts) > 1:
            continue  # "Contractor (1099)"
        if part in EMPLOYMENT_STATES:
            if said.get("active", EMPLOYMENT_STATES[part]) != EMPLOYMENT_STATES[part]:
                return None  # "Active / Terminated"
            said["active"] = EMPLOYMENT_STATES[part]
        elif part in CONTRACT_KINDS:
            if said.get("worker_type") != CONTRACTOR:
                said["worker_type"] = CONTRACT_KINDS[part]
        else:
            return None
    return said or None


def status_words() -> str:
    """The words a status cell may hold, for a problem's message."""
    return ("an employment state (Active, Employed, Leave, Terminated, Inactive...) or a "
            "contract kind (Full-Time, Part-Time, Salaried, Hourly, Contractor, Contingent "
            "Worker, Vendor, Temp...)")


# Names and teams ----------------------------------------------------------------------------


def join_name(first: str = "", last: str = "", preferred: str = "") -> str:
    """The name people are called by: the preferred first name (else the first name), then
    the last name."""
    return " ".join(part for part in ((preferred or first).strip(), last.strip()) if part)


_TEAM_PATH = re.compile(r"\s*[>»›]\s*")


def team_of(text: str) -> str:
    """The team a cell names: its last part when it is a path ("Engineering > ML > Ranking",
    or "/Engineering/ML/Ranking", a directory's org unit path)."""
    text = text.strip()
    if text.startswith("/"):
        text = text.rstrip("/").rpartition("/")[2]
    return _TEAM_PATH.split(text)[-1].strip()


_NOT_IN_NAMES = re.compile(r"[^\w'\s-]+")


def name_key(text: str) -> str:
    """A name as compared: accents, case, punctuation and extra spaces ignored."""
    if not text.isascii():
        text = "".join(
            char for char in unicodedata.normalize("NFKD", text)
            if not unicodedata.combining(char)
        )
    return " ".join(_NOT_IN_NAMES.sub(" ", text.casefold()).split())


def person_name_keys(name: str, first: str = "", last: str = "",
                     preferred: str = "") -> set[str]:
    """Every way a reference may write a person's name: their name, first and last, preferred
    and last."""
    keys = {name_key(name)}
    if last:
        keys.update(name_key(f"{given} {last}") for given in (first, preferred) if given)
    keys.discard("")
    return keys


def reference_keys(text: str) -> list[str]:
    """The names a manager reference may mean, most likely first: "Okafor, Maya" is Maya
    Okafor (or, failing that, the words as written)."""
    last, comma, first = text.partition(",")
    keys = [name_key(f"{first} {last}")] if comma and first.strip() else []
    keys.append(name_key(text))
    return [key for index, key in enumerate(keys) if key and key not in keys[:index]]


# Managers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """Someone a manager reference may name: in the file (with their line) or in the
    organisation (line None)."""

    key: str  # the external id the sync knows them by; "" when they have none
    name: str
    line: int | None = None
    active: bool = True
    ident: object = None  # tells apart two people alike in all the above

    def described(self) -> str:
        where = f"line {self.line}" if self.line is not None else (
            f"{self.key or 'no external id'}, in the organisation"
            + ("" if self.active else ", inactive")
        )
        return f"{self.name} ({where})"


class People:
    """People a manager reference may name, by id, email and name."""

    def __init__(self) -> None:
        self.by_id: dict[str, list[Candidate]] = defaultdict(list)
        self.by_email: dict[str, list[Candidate]] = defaultdict(list)
        self.by_name: dict[str, list[Candidate]] = defaultdict(list)
        self.by_surname: dict[str, list[Candidate]] = defaultdict(list)

    def add(self, candidate: Candidate, *, ids: Iterable[str] = (), emails: Iterable[str] = (),
            names: Iterable[str] = ()) -> None:
        """`emails`: their email, and their login when it is another address."""
        for id_ in {id_ for id_ in ids if id_}:
            self.by_id[id_].append(candidate)
        for email in {email.casefold() for email in emails if email}:
            self.by_email[email].append(candidate)
        surnames = set()
        for key in names:
            self.by_name[key].append(candidate)
            surnames.add(key.rpartition(" ")[2])
        for surname in surnames:
            self.by_surname[surname].append(candidate)

    def find(self, text: str, how: str) -> list[Candidate]:
        if how == "id":
            return self.by_id.get(text, [])
        if how == "email":
            return self.by_email.get(text.casefold(), [])
        for key in reference_keys(text):
            found = self.by_name.get(key)
            if found:
                return list(dict.fromkeys(found))
        return []

    def near(self, text: str) -> list[Candidate]:
        """People whose last name is the reference's: suggestions for an unknown name."""
        keys = reference_keys(text)
        return self.by_surname.get(keys[0].rpartition(" ")[2], []) if keys else []


@dataclass(frozen=True)
class Resolution:
    key: str | None = None  # the manager's external id ("" for no manager), when found
    problem: str = ""  # why not, naming the candidates
    deferred: bool = False  # not in the file, and the organisation was not asked


SUGGESTED = 5  # candidates a problem names at most


def _listed(candidates: list[Candidate]) -> str:
    names = [candidate.described() for candidate in candidates[:SUGGESTED]]
    more = len(candidates) - len(names)
    if more:
        names.append(f"{more} more")
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def resolve_manager(text: str, how: str, in_file: People,
                    in_organisation: People | None) -> Resolution:
    """The manager a cell names (`how`: id, email, name, or any: an email when it has an @,
    an id when someone has it, else a name), looked for in the file, then in the
    organisation. `in_organisation` None: what the file does not settle is deferred."""
    text = text.strip()
    if not text:
        return Resolution(key="")
    if how == "any":
        if "@" in text:
            how = "email"
        elif text in in_file.by_id or (in_organisation and text in in_organisation.by_id):
            how = "id"
        elif in_organisation is None and not in_file.find(text, "name"):
            return Resolution(deferred=True)  # an id or a name the organisation may know
        else:
            how = "name"
    scopes = [in_file] if in_organisation is None else [in_file, in_organisation]
    for people in scopes:
        found = people.find(text, how)
        if len(found) == 1:
            if not found[0].key:
                return Resolution(problem=(
                    f"“{text}” is {found[0].described()}, who has no external id: give them "
                    "one before naming them as a manager."
                ))
            return Resolution(key=found[0].key)
        if found:
            return Resolution(problem=(
                f"“{text}” could be {_listed(found)}: give the manager by id or email instead."
            ))
    if in_organisation is None:
        return Resolution(deferred=True)
    what = {"id": "has the id", "email": "has the email", "name": "is named"}[how]
    message = f"No one in the file or the organisation {what} “{text}”."
    if how == "name":
        near = list(dict.fromkeys([*in_file.near(text), *in_organisation.near(text)]))
        if near:
            message += f" Did you mean {_listed(near)}?"
    return Resolution(problem=message)
