"""Input the schema fuzzer (``bench/fuzz_api.py``) found, and its neighbours: big
integers, NUL characters, lone surrogates, long names, extreme datetimes, non-finite
numbers. Each gets the same answer on SQLite and PostgreSQL: stored as sent where the
original stores it, otherwise a 422 naming the field and the reason, with nothing written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from api import models

from tests.fixtures.http import post
from tests.fixtures.rows import new_flow, new_flow_run

pytestmark = pytest.mark.django_db

BIG = 18446744073709551616  # 2**64: beyond what orjson (and SQLite) take


def raw_post(client: Client, path: str, text: str) -> Any:
    """POST ``text`` as the body, byte for byte (for escapes json.dumps would not write)."""
    return client.generic("POST", f"/api{path}", data=text.encode(), content_type="application/json")


def detail(response: Any) -> list[dict[str, Any]]:
    """The validation errors of a 422 answer (asserting it is one, in JSON)."""
    assert response.status_code == 422, response.content[:500]
    assert response["content-type"] == "application/json"
    return response.json()["exception_detail"]


# --- Big integers --------------------------------------------------------------------


def test_a_big_integer_in_a_filter_is_a_422_echoing_the_body(client: Client) -> None:
    body = {"flows": {"id": {"any_": [BIG]}}}
    response = post(client, "/flows/filter", body)
    errors = detail(response)
    assert errors[0]["loc"][:4] == ["body", "flows", "id", "any_"]
    assert response.json()["request_body"] == body


def test_a_big_integer_as_a_name_is_a_422(client: Client) -> None:
    response = post(client, "/flows/", {"name": BIG})
    assert detail(response)[0]["loc"] == ["body", "name"]
    assert response.json()["request_body"] == {"name": BIG}
    assert not models.Flow.objects.exists()


def test_a_big_integer_parameter_is_stored_as_sent(client: Client) -> None:
    flow = new_flow()
    response = post(client, "/flow_runs/", {"flow_id": str(flow.id), "parameters": {"n": BIG, "m": [-BIG]}})
    assert response.status_code == 201, response.content
    assert response.json()["parameters"] == {"n": BIG, "m": [-BIG]}
    again = client.get(f"/api/flow_runs/{response.json()['id']}")
    assert again.json()["parameters"] == {"n": BIG, "m": [-BIG]}


def test_a_big_integer_in_a_saved_search_is_stored_as_sent(client: Client) -> None:
    search = {"object": "flow_run", "property": "n", "type": "int", "operation": "eq", "value": BIG}
    response = client.put("/api/saved_searches/", {"name": "big", "filters": [search]}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["filters"][0]["value"] == BIG


@pytest.mark.parametrize("level", [2**63, 1.5e26, 40000, -(2**15) - 1])
def test_a_log_level_beyond_the_column_is_a_422(client: Client, level: Any) -> None:
    run = new_flow_run()
    log = {"name": "x", "level": level, "message": "m", "timestamp": "2023-01-01T00:00:00Z", "flow_run_id": str(run.id)}
    assert detail(post(client, "/logs/", [log]))[0]["loc"] == ["body", 0, "level"]
    assert not models.Log.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/concurrency_limits/", {"tag": "t", "concurrency_limit": -10898213278728291614720}, ["body", "concurrency_limit"]),
        ("/concurrency_limits/", {"tag": "t", "concurrency_limit": 2**31}, ["body", "concurrency_limit"]),
        ("/work_queues/", {"name": "q", "priority": 2**31}, ["body", "priority"]),
        ("/work_pools/", {"name": "p", "concurrency_limit": 2**40}, ["body", "concurrency_limit"]),
        ("/flow_runs/filter", {"offset": 799669764368449667072}, ["body", "offset"]),
        ("/work_queues/filter", {"offset": 2**63}, ["body", "offset"]),
        ("/logs/filter", {"logs": {"level": {"ge_": 2**64}}}, ["body", "logs", "level", "ge_"]),
    ],
)
def test_integers_beyond_their_column_are_a_422(client: Client, path: str, body: Any, loc: list[Any]) -> None:
    assert detail(post(client, path, body))[0]["loc"] == loc


def test_a_retry_delay_beyond_32_bits_is_a_422(client: Client) -> None:
    flow = new_flow()
    body = {"flow_id": str(flow.id), "empirical_policy": {"retry_delay": 41297570548022963072925696}}
    assert detail(post(client, "/flow_runs/", body))[0]["loc"] == ["body", "empirical_policy", "retry_delay"]
    assert not models.FlowRun.objects.exists()


# --- NUL characters, lone surrogates, non-finite numbers ----------------------------


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/flows/", {"name": "a\u0000b"}, ["body", "name"]),
        ("/flows/", {"name": "ok", "tags": ["fine", "\u0000"]}, ["body", "tags", 1]),
        ("/flows/filter", {"flows": {"name": {"any_": ["x\u0000"]}}}, ["body", "flows", "name", "any_", 0]),
        ("/block_types/", {"name": "b", "slug": "b", "description": "\u0000"}, ["body", "description"]),
    ],
)
def test_a_nul_character_is_a_422_naming_the_field(client: Client, path: str, body: Any, loc: list[Any]) -> None:
    errors = detail(post(client, path, body))
    assert errors[0]["loc"] == loc
    assert "NUL" in errors[0]["msg"]
    assert not models.Flow.objects.exists()
    assert not models.BlockType.objects.exists()


def test_a_nul_character_inside_a_json_parameter_is_a_422(client: Client) -> None:
    flow = new_flow()
    body = {"flow_id": str(flow.id), "parameters": {"outer": {"inner": ["ok", "bad\u0000"]}}}
    assert detail(post(client, "/flow_runs/", body))[0]["loc"] == ["body", "parameters", "outer", "inner", 1]
    assert not models.FlowRun.objects.exists()


def test_a_nul_character_in_one_log_writes_none_of_the_batch(client: Client) -> None:
    run = new_flow_run()
    log = {"name": "x", "level": 20, "timestamp": "2023-01-01T00:00:00Z", "flow_run_id": str(run.id)}
    batch = [{**log, "message": "fine"}, {**log, "message": "bad\u0000"}]
    assert detail(post(client, "/logs/", batch))[0]["loc"] == ["body", 1, "message"]
    assert not models.Log.objects.exists()


def test_a_lone_surrogate_is_a_422_in_valid_json(client: Client) -> None:
    response = raw_post(client, "/flows/", '{"name": "x\\udc00y"}')
    errors = detail(response)
    assert errors[0]["loc"] == ["body", "name"]
    assert "surrogate" in errors[0]["msg"]
    assert json.loads(response.content)["request_body"] == {"name": "x\udc00y"}
    assert not models.Flow.objects.exists()


def test_a_lone_surrogate_in_a_key_is_a_422(client: Client) -> None:
    flow = new_flow()
    response = raw_post(client, "/flow_runs/", f'{{"flow_id": "{flow.id}", "parameters": {{"\\ud800": 1}}}}')
    assert "Key" in detail(response)[0]["msg"]


def test_a_surrogate_pair_is_a_character_and_is_stored(client: Client) -> None:
    response = raw_post(client, "/flows/", '{"name": "emoji-\\ud83d\\ude00"}')
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "emoji-\U0001f600"


def test_a_number_too_big_for_a_float_is_a_422(client: Client) -> None:
    flow = new_flow()
    response = raw_post(client, "/flow_runs/", f'{{"flow_id": "{flow.id}", "parameters": {{"x": 1e400}}}}')
    assert detail(response)[0]["loc"] == ["body", "parameters", "x"]


# --- Long names ----------------------------------------------------------------------


def test_names_longer_than_255_characters_are_stored(client: Client) -> None:
    flow = post(client, "/flows/", {"name": "f" * 1000})
    assert flow.status_code == 201, flow.content
    run = post(client, "/flow_runs/", {"flow_id": flow.json()["id"], "name": "r" * 1024})
    assert run.status_code == 201, run.content
    assert run.json()["name"] == "r" * 1024
    block_type = post(client, "/block_types/", {"name": "b", "slug": "b", "logo_url": "https://x.io/" + "a" * 2060})
    assert block_type.status_code == 201, block_type.content


def test_a_name_beyond_the_index_bound_is_a_422_with_the_reason(client: Client) -> None:
    errors = detail(post(client, "/flows/", {"name": "f" * 10000}))
    assert errors[0]["loc"] == ["body", "name"]
    assert errors[0]["msg"] == "String is too long to index: at most 1024 bytes of UTF-8, got 10000."
    # The bound is in bytes: 342 three-byte characters are 1026 bytes.
    assert detail(post(client, "/flows/", {"name": "€" * 342}))[0]["loc"] == ["body", "name"]
    assert not models.Flow.objects.exists()


def test_a_long_task_key_is_a_422(client: Client) -> None:
    run = new_flow_run()
    body = {"flow_run_id": str(run.id), "task_key": "k" * 1025, "dynamic_key": "0"}
    assert detail(post(client, "/task_runs/", body))[0]["loc"] == ["body", "task_key"]


# --- Datetimes -----------------------------------------------------------------------


@pytest.mark.parametrize("timestamp", ["0173-05-01T10:00:00-07:14", "9326-02-28T23:59:59+13:45", "0209-02-22T18:59:19Z"])
def test_distant_datetimes_with_odd_offsets_are_stored(client: Client, timestamp: str) -> None:
    run = new_flow_run()
    log = {"name": "x", "level": 20, "message": "m", "timestamp": timestamp, "flow_run_id": str(run.id)}
    assert post(client, "/logs/", [log]).status_code == 201
    found = post(client, "/logs/filter", {"logs": {"flow_run_id": {"any_": [str(run.id)]}}})
    assert found.status_code == 200 and len(found.json()) == 1


@pytest.mark.parametrize("timestamp", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "9999-12-31T00:00:00Z"])
def test_datetimes_at_the_ends_of_the_calendar_are_a_422(client: Client, timestamp: str) -> None:
    run = new_flow_run()
    log = {"name": "x", "level": 20, "message": "m", "timestamp": timestamp, "flow_run_id": str(run.id)}
    errors = detail(post(client, "/logs/", [log]))
    assert errors[0]["loc"] == ["body", 0, "timestamp"]
    assert errors[0]["type"] == "value_error.datetime_range"


def test_get_runs_with_a_date_past_the_calendar_is_a_422(client: Client) -> None:
    queue = post(client, "/work_queues/", {"name": "q"}).json()
    response = post(client, f"/work_queues/{queue['id']}/get_runs", {"scheduled_before": "9999-12-31T23:59:59-05:00"})
    assert detail(response)[0]["loc"] == ["body", "scheduled_before"]


def test_history_over_millennia_stops_at_the_interval_bound(client: Client) -> None:
    body = {
        "history_start": "0173-01-01T00:00:00Z",
        "history_end": "9326-01-01T00:00:00Z",
        "history_interval_seconds": 1,
    }
    response = post(client, "/task_runs/history", body)
    assert response.status_code == 200, response.content
    assert len(response.json()) == 500


def test_history_with_a_step_past_year_9999_ends_open(client: Client) -> None:
    body = {
        "history_start": "9000-01-01T00:00:00Z",
        "history_end": "9999-01-01T00:00:00Z",
        "history_interval_seconds": 2000 * 365 * 86400,
    }
    response = post(client, "/flow_runs/history", body)
    assert response.status_code == 200, response.content
    assert [(item["interval_start"][:4], item["interval_end"][:10]) for item in response.json()] == [("9000", "9999-12-30")]


# --- Request body limit --------------------------------------------------------------


def test_a_20_mb_log_batch_is_accepted(client: Client) -> None:
    run = new_flow_run()
    message = "x" * 100_000
    log = {"name": "big", "level": 20, "message": message, "timestamp": "2023-01-01T00:00:00Z", "flow_run_id": str(run.id)}
    body = json.dumps([log] * 210)
    assert len(body) > 20 * 1024 * 1024
    response = client.generic("POST", "/api/logs/", data=body.encode(), content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    assert models.Log.objects.count() == 210


def test_the_body_limit_is_a_setting() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orion_project.settings", "ORION_MAX_REQUEST_BODY_MB": "1.5"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == str(int(1.5 * 1024 * 1024)), result.stderr
