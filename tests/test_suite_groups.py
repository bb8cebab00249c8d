"""The suite's scheduling holds: under scripts/test.sh each module runs on one worker
(tests/conftest.py), so its module fixtures are built once and the browser tests run in
their groups, not all at once. pytest-xdist carries the group in the test's id."""
from __future__ import annotations

import pytest


def test_this_module_is_one_unit_of_work(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("checks the grouping of scripts/test.sh (pytest-xdist --dist loadgroup)")
    assert request.node.nodeid.endswith("@tests/test_suite_groups.py"), (
        f"{request.node.nodeid}: pytest-xdist did not apply the module's xdist_group; "
        "see the pytest pin in requirements-dev.txt")
