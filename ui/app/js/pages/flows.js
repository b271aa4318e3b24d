// Flows: the list (with a name search) and a flow's page (its deployments, run history
// and latest runs).

import { h, replace, loading, errorBox, empty, fmtDate, tags, table, facts } from "../dom.js";
import { historyChart, pager, runsTable } from "../components.js";
import { windowRange } from "../queries.js";
import { throttle } from "../live.js";

const PAGE = 50;

export async function renderList(ctx) {
  const { api, signal, query } = ctx;
  ctx.title("Flows");
  const offset = Math.max(0, parseInt(query.get("offset") || "0", 10) || 0);
  const search = h("input", { type: "search", name: "name", value: query.get("name") || "", placeholder: "Search flows", "aria-label": "Search flows" });
  const results = h("section", { class: "panel" }, loading());
  replace(ctx.root,
    h("header", { class: "page-header" }, h("h1", {}, "Flows"),
      h("form", { class: "inline", onsubmit: (event) => {
        event.preventDefault();
        ctx.navigate(search.value ? `/flows?name=${encodeURIComponent(search.value)}` : "/flows");
      } }, search, h("button", { type: "submit" }, "Search"))),
    results);
  const filter = query.get("name") ? { flows: { name: { like_: query.get("name") } } } : {};
  try {
    const [total, flows] = await Promise.all([
      api.post("/flows/count", filter, { signal }),
      api.post("/flows/filter", { ...filter, sort: "NAME_ASC", limit: PAGE, offset }, { signal }),
    ]);
    replace(results,
      flows.length ? table([
        { label: "Flow", cell: (flow) => ctx.link(`/flows/flow/${flow.id}`, flow.name) },
        { label: "Tags", cell: (flow) => tags(flow.tags) },
        { label: "Created", cell: (flow) => fmtDate(flow.created) },
        { label: "Runs", cell: (flow) => ctx.link(`/flow-runs?flow=${flow.id}`, "See runs") },
      ], flows) : empty(filter.flows ? "No flows match this search." : "No flows yet: run a flow with the Prefect client and it appears here."),
      pager({ offset, limit: PAGE, total, onPage: (next) => {
        const params = new URLSearchParams(query);
        params.set("offset", String(Math.max(0, next)));
        ctx.navigate(`/flows?${params}`);
      } }));
  } catch (error) {
    if (error.name !== "AbortError") replace(results, errorBox(error));
  }
}

export async function renderOne(ctx) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const flow = await api.get(`/flows/${id}`, { signal });
  ctx.title(flow.name);
  const byFlow = { flows: { id: { any_: [id] } } };
  const history = h("section", { class: "panel" }, h("h2", {}, "Runs, last 7 days"), loading());
  const runs = h("section", { class: "panel" }, h("h2", {}, "Latest runs"), loading());
  const deployments = h("section", { class: "panel" }, h("h2", {}, "Deployments"), loading());
  replace(ctx.root,
    h("header", { class: "page-header" }, h("h1", {}, flow.name)),
    h("section", { class: "panel" }, facts([["Created", fmtDate(flow.created)], ["Tags", flow.tags.length ? tags(flow.tags) : "—"], ["ID", flow.id]])),
    history, runs, deployments);
  const load = async () => {
    const { start, end, interval } = windowRange("7d");
    const names = new Map([[flow.id, flow.name]]);
    await Promise.allSettled([
      api.post("/flow_runs/history", {
        ...byFlow, history_start: start.toISOString(), history_end: end.toISOString(), history_interval_seconds: interval,
      }, { signal }).then((data) => replace(history, h("h2", {}, "Runs, last 7 days"), historyChart(data)),
        (error) => replace(history, h("h2", {}, "Runs, last 7 days"), errorBox(error))),
      api.post("/flow_runs/filter", { ...byFlow, sort: "START_TIME_DESC", limit: 10 }, { signal }).then((list) =>
        replace(runs, h("h2", {}, "Latest runs"), list.length ? runsTable(list, names, ctx.link) : empty("This flow has not run yet."),
          ctx.link(`/flow-runs?flow=${flow.id}`, "All runs of this flow →")),
      (error) => replace(runs, h("h2", {}, "Latest runs"), errorBox(error))),
      api.post("/deployments/filter", { ...byFlow, limit: 200 }, { signal }).then((list) =>
        replace(deployments, h("h2", {}, "Deployments"), list.length ? table([
          { label: "Deployment", cell: (d) => ctx.link(`/deployments/deployment/${d.id}`, d.name) },
          { label: "Work queue", cell: (d) => d.work_queue_name || "—" },
          { label: "Schedule", cell: (d) => (d.schedule ? (d.is_schedule_active ? "Active" : "Paused") : "None") },
        ], list) : empty("No deployments of this flow.")),
      (error) => replace(deployments, h("h2", {}, "Deployments"), errorBox(error))),
    ]);
  };
  await load();
  ctx.subscribe("flow_runs", throttle(load, 5000));
}
