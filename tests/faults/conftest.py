"""Fixtures of the fault tests: the multi-process ones of tests/integration."""

from tests.integration.conftest import workers  # noqa: F401 - a fixture, used by name
