from __future__ import annotations

import factory

from organizations.models import (
    CompanyAdmin,
    MembershipMode,
    MetadataField,
    Organization,
    OrganizationDomain,
    OrganizationRole,
)
from portal.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    auth0_user_id = factory.Sequence(lambda n: f"auth0|{n:024x}")
    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = "Pat"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)  # no usable password, as in production


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    slug = factory.Sequence(lambda n: f"org-{n:03d}")
    display_name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    membership_mode = MembershipMode.ISOLATED_CONNECTION
    connection_name = factory.LazyAttribute(lambda o: f"{o.slug}-users")


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationDomain

    organization = factory.SubFactory(OrganizationFactory)
    domain = factory.Sequence(lambda n: f"domain{n}.test")


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationRole

    organization = factory.SubFactory(OrganizationFactory)
    user_id = factory.Sequence(lambda n: f"auth0|{n + 5000:024x}")
    role = OrganizationRole.Role.ADMIN
    email = factory.Sequence(lambda n: f"role{n}@example.test")


class CompanyAdminFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyAdmin

    user_id = factory.Sequence(lambda n: f"auth0|{n + 9000:024x}")
    email = factory.Sequence(lambda n: f"company{n}@example.test")


def metadata_fields_create(organization: Organization, fields) -> None:
    """A metadata schema: ``fields`` as ``(key, target, type, {other attributes})``, in their order."""
    for position, (key, target, kind, extra) in enumerate(fields):
        MetadataField.objects.create(organization=organization, key=key, target=target, type=kind,
                                     position=position, **extra)
