"""Hypothesis profiles for the hostile-input suite: a short one in `make test`, 10,000 cases a handler in
`make fuzz` (OASIS_FUZZ=1)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("oasis-short", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("oasis-fuzz", parent=settings.get_profile("oasis-short"), max_examples=10_000)
settings.load_profile("oasis-fuzz" if os.environ.get("OASIS_FUZZ") else "oasis-short")
