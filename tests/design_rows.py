"""Designs as plain rows (orgdesign.analysis.changeset.DesignRows) for the change list and
merge tests: a small ML group of three people, one team, one pipeline."""

from orgdesign.analysis.changeset import DesignRows


def person(name, manager=None, **fields):
    return {"name": name, "manager": manager, "title": "", "role": "other",
            "worker_type": "employee", "level": "", "department": "", "email": "",
            "external_id": "", "active": True, **fields}


def base_rows():
    return DesignRows(
        people={"1": person("Amara Okafor"), "2": person("Priya Shah", "1"),
                "3": person("Dana Kim", "2", title="ML engineer")},
        teams={"10": {"name": "ML Platform", "kind": "infrastructure", "lead": "2", "kpi": "",
                      "kpi_type": "", "external_id": ""}},
        memberships={"3-10": {"allocation": 100}},
        pipelines={"20": {"name": "Churn", "pm_owner": None, "lifecycle": "production",
                          "tier": "normal", "metric": "", "required_stages": ["modeling"]}},
        engagements={"20-10": {"role": "owner", "effort": None}},
    )
