"""Deployments, work queues and work pools through the real clients (2.8.7 and 2.10.21):
apply and re-apply a deployment, idempotent runs from it, pool and pool-queue CRUD with
queue priorities, classic queue CRUD with a refused duplicate."""

from __future__ import annotations

from tests.compat.test_frame import last_json_line


def test_deployment_apply_twice_and_idempotent_runs(run_client) -> None:
    result = run_client(
        """
        import asyncio, json
        from prefect import flow
        from prefect.client.orchestration import get_client
        from prefect.deployments import Deployment
        from prefect.server.schemas.schedules import IntervalSchedule

        @flow(name="compat-deployed")
        def compat_deployed(x: int = 1):
            return x

        first = Deployment.build_from_flow(
            flow=compat_deployed,
            name="compat-dep",
            work_queue_name="compat-queue",
            parameters={"x": 2},
            tags=["compat"],
            schedule=IntervalSchedule(interval=3600),
            apply=True,
        )
        again = Deployment.build_from_flow(flow=compat_deployed, name="compat-dep", work_queue_name="compat-queue")
        second_id = again.apply()

        async def main():
            async with get_client() as client:
                deployment = await client.read_deployment_by_name("compat-deployed/compat-dep")
                run_a = await client.create_flow_run_from_deployment(
                    deployment.id, parameters={"x": 5}, tags=["extra"], idempotency_key="compat-once"
                )
                run_b = await client.create_flow_run_from_deployment(deployment.id, idempotency_key="compat-once")
                queue = await client.read_work_queue_by_name("compat-queue")
                runs = await client.get_runs_in_work_queue(queue.id, limit=10)
                print(json.dumps({
                    "same_id": str(second_id) == str(deployment.id),
                    "schedule": deployment.schedule.interval.total_seconds(),
                    "queue": deployment.work_queue_name,
                    "same_run": run_a.id == run_b.id,
                    "parameters": run_a.parameters,
                    "tags": sorted(run_a.tags),
                    "state": run_a.state.type.value,
                    "run_queue": run_a.work_queue_name,
                    "queue_sees_run": str(run_a.id) in {str(run.id) for run in runs},
                }))

        asyncio.run(main())
        """
    )
    found = last_json_line(result)
    assert found == {
        "same_id": True,
        "schedule": 3600.0,
        "queue": "compat-queue",
        "same_run": True,
        "parameters": {"x": 5},
        "tags": ["compat", "extra"],
        "state": "SCHEDULED",
        "run_queue": "compat-queue",
        "queue_sees_run": True,
    }


def test_work_pools_and_queues_through_the_client(run_client) -> None:
    result = run_client(
        """
        import asyncio, json
        import pendulum
        from prefect.client.orchestration import get_client
        from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
        from prefect.server.schemas.actions import WorkPoolCreate, WorkPoolUpdate

        async def main():
            async with get_client() as client:
                pool = await client.create_work_pool(WorkPoolCreate(name="compat-pool", type="process"))
                await client.update_work_pool("compat-pool", WorkPoolUpdate(concurrency_limit=4))
                read = await client.read_work_pool("compat-pool")
                pool_queue = await client.create_work_queue(name="compat-pool-q", work_pool_name="compat-pool")
                pool_queues = await client.read_work_queues(work_pool_name="compat-pool")
                by_name = await client.read_work_queue_by_name("compat-pool-q", work_pool_name="compat-pool")
                await client.send_worker_heartbeat("compat-pool", "compat-worker")
                workers = await client.read_workers_for_work_pool("compat-pool")
                scheduled = await client.get_scheduled_flow_runs_for_work_pool(
                    "compat-pool", work_queue_names=["compat-pool-q"], scheduled_before=pendulum.now("UTC")
                )

                classic = await client.create_work_queue(name="compat-classic", concurrency_limit=2)
                try:
                    await client.create_work_queue(name="compat-classic")
                    duplicate = "accepted"
                except ObjectAlreadyExists:
                    duplicate = "refused"
                await client.update_work_queue(classic.id, is_paused=True)
                paused = (await client.read_work_queue(classic.id)).is_paused
                await client.delete_work_queue_by_id(classic.id)
                try:
                    await client.read_work_queue(classic.id)
                    gone = False
                except ObjectNotFound:
                    gone = True

                await client.delete_work_pool("compat-pool")
                try:
                    await client.read_work_pool("compat-pool")
                    pool_gone = False
                except ObjectNotFound:
                    pool_gone = True
                print(json.dumps({
                    "pool_type": pool.type,
                    "limit": read.concurrency_limit,
                    "default_queue": str(read.default_queue_id) in {str(q.id) for q in pool_queues},
                    "pool_queues": sorted(q.name for q in pool_queues),
                    "by_name": str(by_name.id) == str(pool_queue.id),
                    "workers": [w.name for w in workers],
                    "scheduled": len(scheduled),
                    "duplicate": duplicate,
                    "paused": paused,
                    "gone": gone,
                    "pool_gone": pool_gone,
                }))

        asyncio.run(main())
        """
    )
    assert last_json_line(result) == {
        "pool_type": "process",
        "limit": 4,
        "default_queue": True,
        "pool_queues": ["compat-pool-q", "default"],
        "by_name": True,
        "workers": ["compat-worker"],
        "scheduled": 0,
        "duplicate": "refused",
        "paused": True,
        "gone": True,
        "pool_gone": True,
    }


def test_pool_queue_priorities_stay_1_to_n(run_client, client_version: str) -> None:
    """A queue created at a priority is inserted there and the pool renumbered 1..n,
    as the original does; a priority past the end puts it last.

    The 2.8.7 client drops the priority it is given (it posts a fresh ``WorkQueueCreate``),
    so with it every queue goes last; 2.10 sends it."""
    result = run_client(
        """
        import asyncio, json
        from prefect.client.orchestration import get_client
        from prefect.server.schemas.actions import WorkPoolCreate

        async def main():
            async with get_client() as client:
                await client.create_work_pool(WorkPoolCreate(name="compat-priorities", type="process"))
                five = await client.create_work_queue(name="five", work_pool_name="compat-priorities", priority=5)
                await client.create_work_queue(name="first", work_pool_name="compat-priorities", priority=1)
                await client.create_work_queue(name="last", work_pool_name="compat-priorities")
                queues = await client.read_work_queues(work_pool_name="compat-priorities")
                print(json.dumps({
                    "five": five.priority,
                    "queues": [[q.name, q.priority] for q in queues],
                }))

        asyncio.run(main())
        """
    )
    if client_version == "2.8.7":
        expected = [["default", 1], ["five", 2], ["first", 3], ["last", 4]]
    else:
        expected = [["first", 1], ["default", 2], ["five", 3], ["last", 4]]
    assert last_json_line(result) == {"five": 2, "queues": expected}, result.stdout
