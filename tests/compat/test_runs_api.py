"""Flow runs through the real client: created with tags and states, then found again
with ``read_flow_runs`` filters (tags, state, name), sorted and paged."""

from __future__ import annotations

from tests.compat.harness import format_process
from tests.compat.test_frame import last_json_line


def test_read_flow_runs_with_filters_and_paging(run_client) -> None:
    result = run_client(
        """
        import asyncio, json
        import pendulum
        from prefect import flow
        from prefect.client.orchestration import get_client
        from prefect.server.schemas import filters, sorting
        from prefect.states import Running, Scheduled

        @flow(name="compat-runs-api")
        def compat_runs_api():
            pass

        async def main():
            async with get_client() as client:
                later = pendulum.now("UTC").add(hours=1)
                made = {}
                for name, tags, state in [
                    ("r-alpha", ["team", "eu"], Scheduled(scheduled_time=later)),
                    ("r-beta", ["team"], Running()),
                    ("r-gamma", [], None),
                ]:
                    run = await client.create_flow_run(compat_runs_api, name=name, tags=tags, state=state)
                    made[name] = str(run.id)
                flow_filter = filters.FlowFilter(name=filters.FlowFilterName(any_=["compat-runs-api"]))

                async def names(**kwargs):
                    runs = await client.read_flow_runs(flow_filter=flow_filter, **kwargs)
                    return [run.name for run in runs]

                by_tags = await names(flow_run_filter=filters.FlowRunFilter(tags=filters.FlowRunFilterTags(all_=["team", "eu"])))
                by_state = await names(flow_run_filter=filters.FlowRunFilter(
                    state=filters.FlowRunFilterState(type=filters.FlowRunFilterStateType(any_=["RUNNING"]))
                ))
                by_name = await names(flow_run_filter=filters.FlowRunFilter(name=filters.FlowRunFilterName(like_="gam")))
                page_one = await names(sort=sorting.FlowRunSort.NAME_ASC, limit=2)
                page_two = await names(sort=sorting.FlowRunSort.NAME_ASC, limit=2, offset=2)
                alpha = await client.read_flow_run(made["r-alpha"])
                print(json.dumps({
                    "by_tags": by_tags,
                    "by_state": by_state,
                    "by_name": by_name,
                    "pages": [page_one, page_two],
                    "alpha_state": alpha.state.name,
                    "alpha_next": alpha.next_scheduled_start_time == later,
                    "count": len(made),
                }))

        asyncio.run(main())
        """
    )
    found = last_json_line(result)
    assert found == {
        "by_tags": ["r-alpha"],
        "by_state": ["r-beta"],
        "by_name": ["r-gamma"],
        "pages": [["r-alpha", "r-beta"], ["r-gamma"]],
        "alpha_state": "Scheduled",
        "alpha_next": True,
        "count": 3,
    }, format_process(result)
