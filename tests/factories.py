"""factory_boy factories for the feedback models."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from feedback.choices import Channel, Kind, OrganisationKind, Role, TrustType
from feedback.models import Feedback, Organisation, Region, User


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "Y56"
    name = "London"


class IcbFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("ods_code",)

    ods_code = factory.Sequence(lambda n: f"Q{n:02d}")
    name = factory.Sequence(lambda n: f"Test Integrated Care Board {n}")
    kind = OrganisationKind.ICB
    region = factory.SubFactory(RegionFactory)


class TrustFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("ods_code",)

    ods_code = factory.Sequence(lambda n: f"R{n:02d}")
    name = factory.Sequence(lambda n: f"Test NHS Trust {n}")
    kind = OrganisationKind.TRUST
    trust_type = TrustType.ACUTE
    icb = factory.SubFactory(IcbFactory)
    region = factory.SelfAttribute("icb.region")


class CqcFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("ods_code",)

    ods_code = "CQC"
    name = "Care Quality Commission"
    kind = OrganisationKind.CQC


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    organisation = factory.SubFactory(TrustFactory)
    role = Role.HANDLER
    password = factory.django.Password("a-long-test-password")


class FeedbackFactory(DjangoModelFactory):
    class Meta:
        model = Feedback

    kind = Kind.COMPLAINT
    channel = Channel.WEB
    text = "The nurse was rude to my father and nobody told us what was happening."
    provider = factory.SubFactory(TrustFactory)
    area = factory.SelfAttribute("provider.icb")
