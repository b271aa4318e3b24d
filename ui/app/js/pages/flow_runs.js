// Flow runs: filters (state, flow, deployment, tags, name, time range) kept in the
// address bar, a sort, and pages of 50 rows; refreshed live when any run changes state.

import { h, replace, loading, errorBox, empty, STATE_TYPES, titleCase } from "../dom.js";
import { pager, runsTable } from "../components.js";
import { throttle } from "../live.js";

const PAGE = 50;
const SORTS = [
  ["START_TIME_DESC", "Newest start first"], ["START_TIME_ASC", "Oldest start first"],
  ["EXPECTED_START_TIME_DESC", "Latest scheduled first"], ["NAME_ASC", "Name A–Z"], ["NAME_DESC", "Name Z–A"],
  ["END_TIME_DESC", "Latest end first"],
];

/** The API filter bodies for the filters in ``query``. */
function runFilters(query) {
  const flowRuns = {};
  const states = query.getAll("state").filter((s) => STATE_TYPES.includes(s));
  if (states.length) flowRuns.state = { type: { any_: states } };
  if (query.get("name")) flowRuns.name = { like_: query.get("name") };
  const tagList = (query.get("tags") || "").split(",").map((t) => t.trim()).filter(Boolean);
  if (tagList.length) flowRuns.tags = { all_: tagList };
  if (query.get("deployment")) flowRuns.deployment_id = { any_: [query.get("deployment")] };
  const range = {};
  if (query.get("from")) range.after_ = new Date(query.get("from")).toISOString();
  if (query.get("to")) range.before_ = new Date(query.get("to")).toISOString();
  if (Object.keys(range).length) flowRuns.expected_start_time = range;
  const body = { flow_runs: flowRuns };
  if (query.get("flow")) body.flows = { id: { any_: [query.get("flow")] } };
  return body;
}

export async function render(ctx) {
  const { api, signal, query } = ctx;
  ctx.title("Flow runs");
  const sort = SORTS.some(([value]) => value === query.get("sort")) ? query.get("sort") : "START_TIME_DESC";
  const offset = Math.max(0, parseInt(query.get("offset") || "0", 10) || 0);
  const results = h("section", { class: "panel", "aria-label": "Flow runs" }, loading());
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) params.append(key, value);
    ctx.navigate(`/flow-runs${params.toString() ? `?${params}` : ""}`);
  } });
  replace(ctx.root, h("header", { class: "page-header" }, h("h1", {}, "Flow runs")), form, results);

  // Flows and deployments feed the filter menus and the names in the table.
  const [flows, deployments] = await Promise.all([
    api.post("/flows/filter", { limit: 200 }, { signal }),
    api.post("/deployments/filter", { limit: 200 }, { signal }),
  ]).catch((error) => {
    if (error.name !== "AbortError") replace(form, errorBox(error));
    return [[], []];
  });
  const flowMap = new Map(flows.map((flow) => [flow.id, flow.name]));
  const selected = new Set(query.getAll("state"));
  replace(form,
    h("fieldset", { class: "states" }, h("legend", {}, "State"),
      STATE_TYPES.map((type) => h("label", {}, h("input", { type: "checkbox", name: "state", value: type, checked: selected.has(type) }), titleCase(type)))),
    h("label", {}, "Flow ", h("select", { name: "flow" }, h("option", { value: "" }, "All flows"),
      flows.map((flow) => h("option", { value: flow.id, selected: flow.id === query.get("flow") }, flow.name)))),
    h("label", {}, "Deployment ", h("select", { name: "deployment" }, h("option", { value: "" }, "All deployments"),
      deployments.map((d) => h("option", { value: d.id, selected: d.id === query.get("deployment") }, `${flowMap.get(d.flow_id) || "?"} / ${d.name}`)))),
    h("label", {}, "Name ", h("input", { type: "search", name: "name", value: query.get("name") || "", placeholder: "part of a run name" })),
    h("label", {}, "Tags ", h("input", { type: "text", name: "tags", value: query.get("tags") || "", placeholder: "tag1, tag2" })),
    h("label", {}, "From ", h("input", { type: "datetime-local", name: "from", value: query.get("from") || "" })),
    h("label", {}, "To ", h("input", { type: "datetime-local", name: "to", value: query.get("to") || "" })),
    h("label", {}, "Sort ", h("select", { name: "sort" }, SORTS.map(([value, label]) => h("option", { value, selected: value === sort }, label)))),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Apply"),
      ctx.link("/flow-runs", "Clear filters")));

  const filters = runFilters(query);
  const load = async () => {
    try {
      const [total, runs] = await Promise.all([
        api.post("/flow_runs/count", filters, { signal }),
        api.post("/flow_runs/filter", { ...filters, sort, limit: PAGE, offset }, { signal }),
      ]);
      const missing = runs.filter((run) => !flowMap.has(run.flow_id));
      if (missing.length) {
        const more = await api.post("/flows/filter", { flows: { id: { any_: [...new Set(missing.map((r) => r.flow_id))] } } }, { signal });
        for (const flow of more) flowMap.set(flow.id, flow.name);
      }
      const goTo = (next) => {
        const params = new URLSearchParams(query);
        params.set("offset", String(Math.max(0, next)));
        ctx.navigate(`/flow-runs?${params}`);
      };
      replace(results,
        runs.length ? runsTable(runs, flowMap, ctx.link) : empty(total ? "No runs on this page." : "No flow runs match these filters."),
        pager({ offset, limit: PAGE, total, onPage: goTo }));
    } catch (error) {
      if (error.name !== "AbortError") replace(results, errorBox(error));
    }
  };
  await load();
  ctx.subscribe("flow_runs", throttle(load, 3000));
}
