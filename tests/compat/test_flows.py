"""Real flows with the real ``prefect==2.8.7`` client: what the engine proposes, what
orchestration answers, and what the server keeps (runs, task runs, state histories,
logs, concurrency slots)."""

from __future__ import annotations

import json
import subprocess
import textwrap
from typing import Any

from tests.compat.harness import format_process

# Every script ends by printing one JSON line; ``report(...)`` in the prelude collects
# what the server holds about a flow run.
PRELUDE = '''
import asyncio, json
from prefect.client.orchestration import get_client
from prefect.server.schemas.filters import FlowRunFilter, LogFilter, TaskRunFilter


async def _report(flow_run_id):
    async with get_client() as client:
        run = await client.read_flow_run(flow_run_id)
        tasks = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id={"any_": [flow_run_id]}), sort="EXPECTED_START_TIME_ASC"
        )
        run_states = await client.read_flow_run_states(flow_run_id)
        task_runs = []
        for task in tasks:
            states = await client.read_task_run_states(task.id)
            task_runs.append({
                "id": str(task.id),
                "name": task.name,
                "state": task.state.name,
                "run_count": task.run_count,
                "task_inputs": {k: [i.dict(json_compatible=True) for i in v] for k, v in task.task_inputs.items()},
                "tags": task.tags,
                "start_time": task.start_time.isoformat() if task.start_time else None,
                "end_time": task.end_time.isoformat() if task.end_time else None,
                "states": [s.name for s in states],
                "details": [s.state_details.dict(json_compatible=True) for s in states],
            })
        return {
            "id": str(run.id),
            "state": run.state.name,
            "type": run.state.type.value,
            "message": run.state.message,
            "run_count": run.run_count,
            "parent_task_run_id": str(run.parent_task_run_id) if run.parent_task_run_id else None,
            "states": [s.name for s in run_states],
            "task_runs": task_runs,
        }


def report(flow_run_id, **extra):
    found = asyncio.run(_report(flow_run_id))
    found.update(extra)
    print(json.dumps(found))
'''


def run_script(run_client, body: str, **kwargs: Any) -> Any:
    """Run ``body`` after the prelude; return the JSON of its last stdout line."""
    result: subprocess.CompletedProcess[str] = run_client(PRELUDE + textwrap.dedent(body), **kwargs)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, f"the client printed nothing\n{format_process(result)}"
    try:
        return json.loads(lines[-1])
    except ValueError:
        raise AssertionError(f"last line is not JSON\n{format_process(result)}") from None


def test_three_chained_tasks_complete(run_client) -> None:
    found = run_script(
        run_client,
        """
        from prefect import flow, task

        @task
        def add(x, y):
            return x + y

        @flow
        def chain():
            a = add(1, 2)
            b = add(a, 3)
            return add(b, 4)

        state = chain(return_state=True)
        report(state.state_details.flow_run_id, result=state.result())
        """,
    )
    assert found["result"] == 10
    assert (found["type"], found["run_count"]) == ("COMPLETED", 1)
    assert found["states"] == ["Pending", "Running", "Completed"]
    assert len(found["task_runs"]) == 3
    for task_run in found["task_runs"]:
        assert task_run["states"] == ["Pending", "Running", "Completed"]
        assert task_run["run_count"] == 1
        assert all(details["flow_run_id"] == found["id"] for details in task_run["details"])
    assert [task_run["name"] for task_run in found["task_runs"]] == ["add-0", "add-1", "add-2"]


def test_failing_task_fails_its_flow(run_client) -> None:
    found = run_script(
        run_client,
        """
        from prefect import flow, task

        @task
        def explode():
            raise ValueError("kaboom")

        @flow
        def doomed():
            explode()

        state = doomed(return_state=True)
        report(state.state_details.flow_run_id)
        """,
    )
    assert (found["type"], found["state"]) == ("FAILED", "Failed")
    assert found["task_runs"][0]["states"] == ["Pending", "Running", "Failed"]


def test_task_retries_until_the_third_try(run_client) -> None:
    found = run_script(
        run_client,
        """
        from prefect import flow, task
        from prefect.context import get_run_context

        @task(retries=2, retry_delay_seconds=0)
        def flaky():
            if get_run_context().task_run.run_count < 3:
                raise ValueError("not yet")
            return "ok"

        @flow
        def patient():
            return flaky()

        state = patient(return_state=True)
        report(state.state_details.flow_run_id, result=state.result())
        """,
    )
    assert found["result"] == "ok" and found["type"] == "COMPLETED"
    (task_run,) = found["task_runs"]
    assert task_run["run_count"] == 3
    assert task_run["states"] == [
        "Pending", "Running", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying", "Completed",
    ]


def test_flow_retries(run_client) -> None:
    found = run_script(
        run_client,
        """
        from prefect import flow, task

        attempts = []

        @task
        def fragile():
            attempts.append(1)
            if len(attempts) == 1:
                raise RuntimeError("first flow run fails")
            return len(attempts)

        @flow(retries=1, retry_delay_seconds=0)
        def retried():
            return fragile()

        state = retried(return_state=True)
        report(state.state_details.flow_run_id, result=state.result())
        """,
    )
    assert found["result"] == 2
    assert found["type"] == "COMPLETED" and found["run_count"] == 2
    assert found["states"] == ["Pending", "Running", "AwaitingRetry", "Running", "Completed"]
    (task_run,) = found["task_runs"]
    # The failed task run is reused and reruns because its flow run is retrying.
    assert task_run["states"] == ["Pending", "Running", "Failed", "Retrying", "Completed"]


def test_subflow_is_linked_through_its_parent_task_run(run_client) -> None:
    found = run_script(
        run_client,
        """
        from prefect import flow

        @flow
        def child(x):
            return x * 2

        @flow
        def parent():
            return child(21, return_state=True)

        state = parent(return_state=True)
        child_state = state.result()
        parent_id = state.state_details.flow_run_id
        child_id = child_state.state_details.flow_run_id

        async def child_report():
            return await _report(child_id)

        report(parent_id, child=asyncio.run(child_report()), child_result=child_state.result())
        """,
    )
    child = found["child"]
    assert found["child_result"] == 42
    assert found["type"] == child["type"] == "COMPLETED"
    (parent_task,) = found["task_runs"]
    assert child["parent_task_run_id"] == parent_task["id"]
    # The parent task run is created Pending, then mirrors every state of the subflow.
    assert parent_task["states"] == ["Pending", *child["states"]]
    assert all(details["child_flow_run_id"] == child["id"] for details in parent_task["details"][1:])


def test_cached_task_is_not_run_again(run_client, tmp_path) -> None:
    marker = tmp_path / "executions.txt"
    found = run_script(
        run_client,
        f"""
        from prefect import flow, task

        def same_key(context, parameters):
            return "compat-cache-key-{tmp_path.name}"

        @task(cache_key_fn=same_key)
        def expensive(x):
            with open({str(marker)!r}, "a") as handle:
                handle.write("ran\\n")
            return x + 1

        @flow
        def cached_flow():
            return expensive(1)

        first = cached_flow(return_state=True)
        second = cached_flow(return_state=True)
        report(
            second.state_details.flow_run_id,
            first_result=first.result(),
            second_result=second.result(),
        )
        """,
    )
    assert found["first_result"] == found["second_result"] == 2
    assert marker.read_text().splitlines() == ["ran"]
    (task_run,) = found["task_runs"]
    assert task_run["state"] == "Cached"
    assert task_run["states"] == ["Pending", "Cached"]


def test_run_logger_and_printed_lines_reach_the_server(run_client) -> None:
    found = run_script(
        run_client,
        """
        import time
        from prefect import flow, get_run_logger, task

        @task
        def chatty():
            get_run_logger().info("hello from the task")

        @flow(log_prints=True)
        def talkative():
            get_run_logger().warning("hello from the flow")
            print("printed by the flow")
            chatty()

        state = talkative(return_state=True)
        flow_run_id = state.state_details.flow_run_id

        async def logs():
            async with get_client() as client:
                deadline = time.monotonic() + 20
                while True:
                    found = await client.read_logs(LogFilter(flow_run_id={"any_": [flow_run_id]}))
                    messages = [log.message for log in found]
                    if "hello from the task" in messages or time.monotonic() > deadline:
                        return [(log.message, log.level, log.task_run_id is not None) for log in found]
                    await asyncio.sleep(0.5)

        report(flow_run_id, logs=asyncio.run(logs()))
        """,
    )
    logs = {message: (level, from_task) for message, level, from_task in found["logs"]}
    assert logs["hello from the flow"] == (30, False)
    assert logs["printed by the flow"] == (20, False)
    assert logs["hello from the task"] == (20, True)


def test_tag_concurrency_limit_holds_a_task_until_a_slot_frees(run_client) -> None:
    found = run_script(
        run_client,
        """
        import time
        from prefect import flow, task

        async def make_limit():
            async with get_client() as client:
                await client.create_concurrency_limit(tag="compat-one-at-a-time", concurrency_limit=1)

        asyncio.run(make_limit())

        @task(tags=["compat-one-at-a-time"])
        def hold(i):
            time.sleep(2)
            return i

        @flow
        def limited():
            futures = [hold.submit(i) for i in range(2)]
            return [future.result() for future in futures]

        state = limited(return_state=True)

        async def slots():
            async with get_client() as client:
                return (await client.read_concurrency_limit_by_tag("compat-one-at-a-time")).active_slots

        report(state.state_details.flow_run_id, result=state.result(), slots=asyncio.run(slots()))
        """,
        timeout=180,
    )
    assert found["result"] == [0, 1]
    assert found["slots"] == []
    first, second = sorted(found["task_runs"], key=lambda task_run: task_run["start_time"])
    # The second task waited (30 s) for the first to give its slot back.
    assert second["start_time"] >= first["end_time"]
    assert first["states"] == second["states"] == ["Pending", "Running", "Completed"]


def test_completed_run_cannot_go_back_to_running_unless_forced(run_client) -> None:
    found = run_script(
        run_client,
        """
        from prefect import flow
        from prefect.states import Running

        @flow
        def finished():
            return 1

        state = finished(return_state=True)
        flow_run_id = state.state_details.flow_run_id

        async def propose():
            async with get_client() as client:
                refused = await client.set_flow_run_state(flow_run_id, Running())
                forced = await client.set_flow_run_state(flow_run_id, Running(), force=True)
                return {
                    "refused": [refused.status.value, refused.details.reason, refused.state.name],
                    "forced": [forced.status.value, forced.state.name],
                }

        report(flow_run_id, **asyncio.run(propose()))
        """,
    )
    assert found["refused"] == ["ABORT", "This run has already terminated.", "Completed"]
    assert found["forced"] == ["ACCEPT", "Running"]
    assert found["states"] == ["Pending", "Running", "Completed", "Running"]


def test_pause_and_resume(run_client) -> None:
    found = run_script(
        run_client,
        """
        import threading, time
        from prefect import flow, pause_flow_run, resume_flow_run, task
        from prefect.context import get_run_context

        run_ids = []

        @task
        def after_pause():
            return "resumed"

        @flow
        def pausable():
            run_ids.append(get_run_context().flow_run.id)
            pause_flow_run(timeout=60, poll_interval=1)
            return after_pause()

        results = []
        worker = threading.Thread(target=lambda: results.append(pausable(return_state=True)))
        worker.start()

        async def wait_paused_then_resume():
            async with get_client() as client:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    if run_ids and (await client.read_flow_run(run_ids[0])).state.is_paused():
                        break
                    await asyncio.sleep(0.2)
            await resume_flow_run(run_ids[0])

        asyncio.run(wait_paused_then_resume())
        worker.join(60)
        report(run_ids[0], result=results[0].result())
        """,
    )
    assert found["result"] == "resumed"
    assert found["type"] == "COMPLETED"
    assert found["states"] == ["Pending", "Running", "Paused", "Running", "Completed"]
    assert found["run_count"] == 2


def test_cancellation_goes_through_cancelling(run_client) -> None:
    found = run_script(
        run_client,
        """
        from prefect import flow
        from prefect.states import Cancelled, Cancelling, Completed, Running

        @flow
        def to_cancel():
            pass

        async def cancel():
            async with get_client() as client:
                run = await client.create_flow_run(to_cancel)
                await client.set_flow_run_state(run.id, Running())
                cancelling = await client.set_flow_run_state(run.id, Cancelling())
                completed = await client.set_flow_run_state(run.id, Completed())
                cancelled = await client.set_flow_run_state(run.id, Cancelled())
                return run.id, [
                    [r.status.value, r.state.name] for r in (cancelling, completed, cancelled)
                ]

        flow_run_id, answers = asyncio.run(cancel())
        report(flow_run_id, answers=answers)
        """,
    )
    assert found["answers"] == [["ACCEPT", "Cancelling"], ["REJECT", "Cancelling"], ["ACCEPT", "Cancelled"]]
    assert found["states"] == ["Pending", "Running", "Cancelling", "Cancelled"]


def test_flow_timeout_ends_in_timed_out(run_client) -> None:
    found = run_script(
        run_client,
        """
        import time
        from prefect import flow

        @flow(timeout_seconds=1)
        def slow():
            time.sleep(10)

        state = slow(return_state=True)
        report(state.state_details.flow_run_id)
        """,
    )
    assert (found["type"], found["state"]) == ("FAILED", "TimedOut")
    assert "exceeded timeout of 1.0 seconds" in found["message"]


def test_async_flow_with_map_and_submit_records_task_inputs(run_client) -> None:
    found = run_script(
        run_client,
        """
        from prefect import flow, task

        @task
        async def double(x):
            return 2 * x

        @task
        async def total(values):
            return sum(values)

        @flow
        async def fan_out():
            doubled = await double.map([1, 2, 3])
            first = await double.submit(10)
            summed = await total.submit(doubled)
            return (await summed.result()) + (await first.result())

        state = asyncio.run(fan_out(return_state=True))
        report(state.state_details.flow_run_id, result=state.result())
        """,
    )
    assert found["result"] == 32
    assert found["type"] == "COMPLETED"
    by_name = {task_run["name"]: task_run for task_run in found["task_runs"]}
    assert len(by_name) == 5
    doubles = {task_run["id"] for name, task_run in by_name.items() if name.startswith("double")}
    (summing,) = [task_run for name, task_run in by_name.items() if name.startswith("total")]
    upstream = {item["id"] for item in summing["task_inputs"]["values"]}
    assert {item["input_type"] for item in summing["task_inputs"]["values"]} == {"task_run"}
    assert len(upstream) == 3 and upstream < doubles
    assert all(task_run["states"] == ["Pending", "Running", "Completed"] for task_run in by_name.values())


def test_concurrent_proposals_are_serialised(run_client) -> None:
    """Many clients at once: one flow run starts exactly once, and a limit of two lets
    exactly two of ten task runs in."""
    found = run_script(
        run_client,
        """
        from prefect import flow, task
        from prefect.states import Pending, Running

        @flow
        def contested():
            pass

        @task(tags=["compat-race"])
        def racer():
            pass

        async def race():
            async with get_client() as client:
                await client.create_concurrency_limit(tag="compat-race", concurrency_limit=2)
                run = await client.create_flow_run(contested)
                starts = await asyncio.gather(
                    *(client.set_flow_run_state(run.id, Running()) for _ in range(10))
                )
                task_runs = [
                    await client.create_task_run(racer, run.id, dynamic_key=str(i), state=Pending())
                    for i in range(10)
                ]
                entries = await asyncio.gather(
                    *(client.set_task_run_state(task_run.id, Running()) for task_run in task_runs)
                )
                limit = await client.read_concurrency_limit_by_tag("compat-race")
                return run.id, {
                    "starts": sorted(r.status.value for r in starts),
                    "entries": sorted(r.status.value for r in entries),
                    "slots": len(limit.active_slots),
                }

        flow_run_id, outcome = asyncio.run(race())
        report(flow_run_id, **outcome)
        """,
    )
    assert found["starts"] == ["ABORT"] * 9 + ["ACCEPT"]
    assert found["states"] == ["Pending", "Running"]
    assert found["run_count"] == 1
    assert found["entries"] == ["ACCEPT"] * 2 + ["WAIT"] * 8
    assert found["slots"] == 2
