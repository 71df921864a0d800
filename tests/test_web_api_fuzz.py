"""Property-based API testing: schemathesis against the OpenAPI document finds no 5xx."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install -e '.[test]')")

from vigil.accounts import create_token  # noqa: E402
from vigil.store import Store  # noqa: E402
from vigil.web import create_app  # noqa: E402

_TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(marked_world: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db = tmp_path_factory.mktemp("fuzz") / "web.duckdb"
    shutil.copy(marked_world["db"], db)
    store = Store(db)
    _, _TOKEN["analyst"], _ = create_token(store.con, "analyst", days=1, scopes=[
        "search", "view_entity", "view_brand", "view_distributor", "view_dashboard", "view_submissions", "submit_report"])  # fmt: skip
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(db, store=store))
    store.close()


def test_the_api_answers_every_generated_request_without_a_server_error(api_schema: Any) -> None:
    """Every operation of the OpenAPI document, a few generated requests each (schemathesis's
    pytest plug-in does not run under this pytest, so the operations are walked here)."""
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {_TOKEN['analyst']}"})
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query}: {response.status_code} {response.text[:200]}")

        check()
    assert failures == []
