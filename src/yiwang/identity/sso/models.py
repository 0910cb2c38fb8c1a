"""What the hub keeps about its relying parties beyond django-oauth-toolkit's ``Application`` row."""

from __future__ import annotations

from django.db import models
from oauth2_provider.settings import oauth2_settings


class RelyingParty(models.Model):
    """A sub-platform (or other system) that signs its users in through the hub (接入系统).

    The OAuth2/OIDC client itself (client id, hashed secret, redirect URIs) is django-oauth-toolkit's
    ``Application``; this row says who registered it and whether it may still be used.
    """

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.PROTECT,
        related_name="relying_party",
    )
    registered_at = models.DateTimeField()
    registered_by = models.CharField(max_length=120)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "统一认证接入系统"

    def __str__(self) -> str:
        return f"relying party {self.application_id}"

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None
