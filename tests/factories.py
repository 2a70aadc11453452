"""Factories per model. They build through the ORM directly, so tests can set up states that
the services would refuse (a team lead who has left, say) to check that findings catch them."""

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from pipelines.models import Engagement, Pipeline
from teams.models import AccessRole, Membership, Organisation, OrganisationAccess, Person, Team


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("secret")


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")


class AccessFactory(DjangoModelFactory):
    class Meta:
        model = OrganisationAccess

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = AccessRole.VIEWER


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Person {n}")
    external_id = factory.Sequence(lambda n: f"E{n:05d}")
    email = factory.LazyAttribute(lambda p: f"{p.external_id.lower()}@example.com")
    role = "other"


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    kind = "modeling"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    team = factory.SubFactory(
        TeamFactory, organisation=factory.SelfAttribute("..person.organisation")
    )
    allocation = 100


class PipelineFactory(DjangoModelFactory):
    class Meta:
        model = Pipeline

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Pipeline {n}")
    lifecycle = "production"


class EngagementFactory(DjangoModelFactory):
    class Meta:
        model = Engagement

    pipeline = factory.SubFactory(PipelineFactory)
    team = factory.SubFactory(
        TeamFactory, organisation=factory.SelfAttribute("..pipeline.organisation")
    )
    role = "owner"


def client_for(organisation, role: str = AccessRole.VIEWER):
    """A test client logged in as a new user with `role` in `organisation` (as `.user`)."""
    from django.test import Client

    user = UserFactory()
    AccessFactory(organisation=organisation, user=user, role=role)
    client = Client()
    client.force_login(user)
    client.user = user
    return client
