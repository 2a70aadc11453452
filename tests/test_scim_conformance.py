"""The independent SCIM conformance checker, scim2-tester (what `scim test` of scim2-cli runs),
against the live server: every check must be SUCCESS.

The checker learns the server from /ServiceProviderConfig, /ResourceTypes and /Schemas and
then creates, reads, lists, searches, replaces, patches and deletes Users and Groups with
random values. It is run in-process (`check_server`, not the `scim test` command) so that
the test can tell it four things that discovery cannot say, each a decision of DESIGN.md:

1. userName is an email. The checker fills strings with random UUIDs, which the design
   refuses as an email; its userNames are made `<uuid>@example.test`. Nothing else changes in
   what it generates.
2. `active` is always set: a person is active or has left, so removing the attribute is
   refused (set it to false instead). The checker removes every attribute it can write, so it
   is told `active` is read only; tests/test_scim.py covers writing it (false keeps the user
   visible, true re-enables them, DELETE takes them out of SCIM).
3. Teams have no external id: Group externalId is not stored (teams are matched by
   displayName). SCIM has no way to publish that a common attribute is not kept, so the
   checker is told it is read only.
(A fourth adaptation, skipping Group deletion, is gone: a team not engaged in any pipeline
can be deleted, as the checker's are.)
"""

import time
import uuid
from collections import Counter
from typing import Annotated, Any

import pydantic
import pytest
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Mutability, ScimProvider
from scim2_tester import CheckResult, Status, check_server, filling
from scim2_tester.checkers import patch_add, patch_replace

from teams.scim.schemas import CORE_GROUP, CORE_USER
from teams.tokens import token_create
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def email_user_names(monkeypatch) -> None:
    """Adaptation 1: the checker's userNames are email addresses."""
    generate = filling.generate_random_value

    def generate_with_email_user_names(context, path, *args, **kwargs):
        value = generate(context, path, *args, **kwargs)
        if value is not None and str(path) == "userName":
            return f"{uuid.uuid4().hex}@example.test"
        return value

    # The checkers that patch imported the function by name.
    for module in (filling, patch_add, patch_replace):
        monkeypatch.setattr(module, "generate_random_value", generate_with_email_user_names)


def read_only(model: type, field: str) -> type:
    """The model with one more attribute read only, as the checker reads mutability."""
    info = model.model_fields[field]
    kept = [item for item in info.metadata if not isinstance(item, Mutability)]
    annotation = Annotated[info.annotation, Mutability.read_only, *kept]
    return pydantic.create_model(model.__name__, __base__=model, **{field: (annotation, None)})


def as_served(client: SyncSCIMClient) -> None:
    """Adaptations 2 and 3: the discovered description, with User.active and
    Group.externalId read only."""
    provider = client.provider
    models = []
    for model in provider.models:
        schema = str(model.__schema__)
        if schema == CORE_USER:
            model = read_only(model, "active")
        elif schema == CORE_GROUP:
            model = read_only(model, "external_id")
        models.append(model)
    client.provider = ScimProvider(models, provider.resource_types, provider.config)


def summary(results: list[CheckResult]) -> str:
    counts = Counter(result.status.name for result in results)
    lines = [", ".join(f"{count} {status}" for status, count in sorted(counts.items()))]
    lines += [
        f"{r.status.name} {r.resource_type or '-'} {r.title}: {r.reason}"
        for r in results
        if r.status != Status.SUCCESS
    ]
    return "\n".join(lines)


def test_scim2_tester_finds_the_server_conformant(live_server, monkeypatch):
    organisation = OrganisationFactory()
    _, key = token_create(organisation=organisation, name="scim2-tester", scope="write")
    email_user_names(monkeypatch)
    started = time.monotonic()
    # Closed before the live server stops, so that no kept-alive connection outlives it.
    with Client(
        base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {key}"}
    ) as http:
        client = SyncSCIMClient(http)
        client.discover()
        as_served(client)
        # Discovery, the unknown-URL check and every User check; then the Group checks but
        # the deletion (adaptation 4). The second run's discovery repeats the first, so only
        # its Group results are kept.
        results: list[Any] = check_server(client, resource_types=["User"])
        results += [
            result
            for result in check_server(client, resource_types=["Group"])
            if result.resource_type == "Group"
        ]
    elapsed = time.monotonic() - started
    print(f"\nscim2-tester: {len(results)} checks in {elapsed:.1f} s\n{summary(results)}")

    not_success = [result for result in results if result.status != Status.SUCCESS]
    assert not_success == [], summary(results)
    # Discovery, Users and Groups were all exercised.
    assert Counter(r.resource_type for r in results if r.status == Status.SUCCESS).keys() >= {
        None, "User", "Group"
    }
