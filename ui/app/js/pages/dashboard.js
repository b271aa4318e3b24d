// Dashboard: run counts by state over a time window, the run-history chart, the latest
// failed and late runs, and the health of the work queues.

import { h, replace, loading, errorBox, empty, fmtDate, fmtRelative, STATE_TYPES, titleCase } from "../dom.js";
import { historyChart, runsTable, stateColour } from "../components.js";
import { flowNames, windowRange, WINDOWS } from "../queries.js";
import { throttle } from "../live.js";

export async function render(ctx) {
  const { api, signal } = ctx;
  ctx.title("Dashboard");
  const windowName = WINDOWS[ctx.query.get("window")] ? ctx.query.get("window") : "24h";
  const picker = h("select", {
    "aria-label": "Time window",
    onchange: () => ctx.navigate(`/?window=${picker.value}`, { replace: true }),
  }, Object.keys(WINDOWS).map((name) => h("option", { value: name, selected: name === windowName }, `Last ${name}`)));
  const counts = h("section", { class: "cards", "aria-label": "Runs by state" }, loading());
  const chart = h("section", { class: "panel" }, h("h2", {}, "Run history"), loading());
  const failed = h("section", { class: "panel" }, h("h2", {}, "Latest failed runs"), loading());
  const late = h("section", { class: "panel" }, h("h2", {}, "Late runs"), loading());
  const queues = h("section", { class: "panel" }, h("h2", {}, "Work queue health"), loading());
  replace(ctx.root,
    h("header", { class: "page-header" }, h("h1", {}, "Dashboard"), picker),
    counts, chart, h("div", { class: "columns" }, failed, late), queues);

  const section = (element, title, build) => build().then(
    (content) => replace(element, title ? h("h2", {}, title) : null, content),
    (error) => { if (error.name !== "AbortError") replace(element, title ? h("h2", {}, title) : null, errorBox(error)); });

  const load = async () => {
    const { start, end, interval } = windowRange(windowName);
    const range = { expected_start_time: { after_: start.toISOString(), before_: end.toISOString() } };
    const history = api.post("/flow_runs/history", {
      history_start: start.toISOString(), history_end: end.toISOString(), history_interval_seconds: interval, flow_runs: range,
    }, { signal });
    const failedRuns = api.post("/flow_runs/filter", {
      flow_runs: { ...range, state: { type: { any_: ["FAILED", "CRASHED"] } } }, sort: "START_TIME_DESC", limit: 5,
    }, { signal });
    const lateRuns = api.post("/flow_runs/filter", {
      flow_runs: { state: { name: { any_: ["Late"] } } }, sort: "EXPECTED_START_TIME_ASC", limit: 200,
    }, { signal });
    const workQueues = api.post("/work_queues/filter", { limit: 200 }, { signal });
    const pools = api.post("/work_pools/filter", { limit: 200 }, { signal }).then((list) => new Map(list.map((p) => [p.id, p.name])), () => new Map());
    // Names are a nicety: without them the tables still show the runs.
    const names = Promise.all([failedRuns, lateRuns])
      .then(([a, b]) => flowNames(api, [...a, ...b].map((r) => r.flow_id), signal))
      .catch(() => new Map());
    await Promise.allSettled([
      section(counts, null, async () => countCards(await history, ctx, windowName)),
      section(chart, "Run history", async () => historyChart(await history)),
      section(failed, "Latest failed runs", async () => {
        const runs = await failedRuns;
        return runs.length ? runsTable(runs, await names, ctx.link, { compact: true }) : empty("No failed runs in this time window.");
      }),
      section(late, "Late runs", async () => {
        const runs = await lateRuns;
        return runs.length ? runsTable(runs.slice(0, 5), await names, ctx.link, { compact: true }) : empty("No late runs.");
      }),
      section(queues, "Work queue health", async () => queueHealth(await workQueues, await lateRuns, await pools, ctx.link)),
    ]);
  };
  await load();
  ctx.subscribe("flow_runs", throttle(load, 5000));
}

function countCards(history, ctx, windowName) {
  const totals = new Map();
  for (const bucket of history) {
    for (const state of bucket.states) {
      // Late runs are SCHEDULED by type, but not "Scheduled" to a reader: their own tile.
      const key = state.state_name === "Late" ? "LATE" : state.state_type;
      totals.set(key, (totals.get(key) || 0) + state.count_runs);
    }
  }
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  const late = totals.get("LATE");
  return [
    h("div", { class: "card" }, h("span", { class: "card-count" }, all.toLocaleString()), h("span", {}, `Runs, last ${windowName}`)),
    STATE_TYPES.filter((type) => totals.get(type)).map((type) =>
      h("div", { class: "card", style: { borderTopColor: stateColour(type) }, dataset: { state: type } },
        h("span", { class: "card-count" }, totals.get(type).toLocaleString()),
        ctx.link(`/flow-runs?state=${type}`, titleCase(type)))),
    late ? h("div", { class: "card", style: { borderTopColor: stateColour("SCHEDULED") }, dataset: { state: "LATE" } },
      h("span", { class: "card-count" }, late.toLocaleString()), h("span", {}, "Late")) : null,
  ];
}

function queueHealth(queues, lateRuns, pools, link) {
  if (!queues.length) return empty("No work queues yet.");
  const lateByQueue = new Map();
  for (const run of lateRuns) lateByQueue.set(run.work_queue_name, (lateByQueue.get(run.work_queue_name) || 0) + 1);
  return h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, ["Queue", "Pool", "Health", "Late runs", "Last polled", "Paused"].map((label) => h("th", {}, label)))),
    h("tbody", {}, queues.map((queue) => {
      const lateCount = lateByQueue.get(queue.name) || 0;
      const polledRecently = queue.last_polled && Date.now() - new Date(queue.last_polled).getTime() <= 60000;
      const healthy = polledRecently && lateCount === 0;
      return h("tr", {},
        h("td", {}, link(`/work-queues/work-queue/${queue.id}`, queue.name)),
        h("td", {}, pools.get(queue.work_pool_id) || "—"),
        h("td", {}, h("span", { class: healthy ? "health ok" : "health bad" }, healthy ? "Healthy" : "Unhealthy")),
        h("td", {}, String(lateCount)),
        h("td", { title: fmtDate(queue.last_polled) }, queue.last_polled ? fmtRelative(queue.last_polled) : "Never"),
        h("td", {}, queue.is_paused ? "Paused" : "—"));
    })));
}
