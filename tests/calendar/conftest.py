"""Fakes of the external services the adapters talk to."""

from tests.fakes.google_calendar import fake_google, service_account_key
from tests.fakes.postmark import fake_postmark

__all__ = ["fake_google", "fake_postmark", "service_account_key"]
