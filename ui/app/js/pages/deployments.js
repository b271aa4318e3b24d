// Deployments: the list with "Run now" (one click, default parameters; "Custom run" for
// a form) and schedule on/off, and a deployment's own page.

import { h, replace, loading, errorBox, empty, fmtDate, fmtDuration, tags, table, facts, jsonBlock } from "../dom.js";
import { runsTable, tableFilter } from "../components.js";
import { flowNames } from "../queries.js";

/** Describe a deployment's schedule in a few words. */
function scheduleText(schedule) {
  if (!schedule) return "No schedule";
  if (schedule.interval !== undefined) return `Every ${fmtDuration(schedule.interval)}`;
  if (schedule.cron) return `Cron "${schedule.cron}"${schedule.timezone ? ` (${schedule.timezone})` : ""}`;
  if (schedule.rrule) return `RRule ${schedule.rrule}`;
  return "Custom schedule";
}

/** Create a run of ``deployment`` with its default parameters, now, and open it. */
async function runNow(ctx, deployment) {
  const run = await ctx.api.post(`/deployments/${deployment.id}/create_flow_run`, {
    state: { type: "SCHEDULED", name: "Scheduled", message: "Run from the UI", state_details: { scheduled_time: new Date().toISOString() } },
  });
  ctx.navigate(`/flow-runs/flow-run/${run.id}`);
}

function controls(ctx, deployment, onChange, notice) {
  if (!ctx.canWrite) return null; // viewers read only
  const guard = (fn) => async () => {
    try {
      await fn();
    } catch (error) {
      replace(notice, errorBox(error));
    }
  };
  return h("span", { class: "actions" },
    h("button", { type: "button", class: "primary", onclick: guard(() => runNow(ctx, deployment)) }, "Run now"),
    ctx.link(`/deployments/deployment/${deployment.id}/run`, "Custom run"),
    ctx.link(`/deployments/deployment/${deployment.id}/edit`, "Edit"),
    deployment.schedule ? h("button", { type: "button", onclick: guard(async () => {
      await ctx.api.post(`/deployments/${deployment.id}/${deployment.is_schedule_active ? "set_schedule_inactive" : "set_schedule_active"}`);
      await onChange();
    }) }, deployment.is_schedule_active ? "Pause schedule" : "Resume schedule") : null);
}

export async function renderList(ctx) {
  const { api, signal } = ctx;
  ctx.title("Deployments");
  const notice = h("div", { class: "notice", role: "status" });
  const results = h("section", { class: "panel" }, loading());
  replace(ctx.root, h("header", { class: "page-header" }, h("h1", {}, "Deployments"), tableFilter(results, "Filter deployments")), notice, results);
  const load = async () => {
    try {
      const deployments = await api.post("/deployments/filter", { sort: "NAME_ASC", limit: 200 }, { signal });
      const names = await flowNames(api, deployments.map((d) => d.flow_id), signal);
      replace(results, deployments.length ? table([
        { label: "Deployment", cell: (d) => [h("span", { class: "muted" }, `${names.get(d.flow_id) || "?"} / `), ctx.link(`/deployments/deployment/${d.id}`, d.name)] },
        { label: "Schedule", cell: (d) => [scheduleText(d.schedule), d.schedule ? h("span", { class: d.is_schedule_active ? "health ok" : "health bad" }, d.is_schedule_active ? " on" : " off") : null] },
        { label: "Work queue", cell: (d) => d.work_queue_name || "—" },
        { label: "Tags", cell: (d) => tags(d.tags) },
        { label: "", cell: (d) => controls(ctx, d, load, notice) },
      ], deployments) : empty("No deployments yet: create one with `prefect deployment build … --apply`."));
    } catch (error) {
      if (error.name !== "AbortError") replace(results, errorBox(error));
    }
  };
  await load();
}

export async function renderOne(ctx) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const notice = h("div", { class: "notice", role: "status" });
  const draw = async () => {
    const deployment = await api.get(`/deployments/${id}`, { signal });
    const [names, runs] = await Promise.all([
      flowNames(api, [deployment.flow_id], signal),
      api.post("/flow_runs/filter", { deployments: { id: { any_: [id] } }, sort: "START_TIME_DESC", limit: 10 }, { signal }),
    ]);
    ctx.title(deployment.name);
    replace(ctx.root,
      h("header", { class: "page-header" },
        h("h1", {}, h("span", { class: "muted" }, ctx.link(`/flows/flow/${deployment.flow_id}`, names.get(deployment.flow_id) || "flow"), " / "), deployment.name),
        controls(ctx, deployment, draw, notice)),
      notice,
      h("section", { class: "panel" }, facts([
        ["Description", deployment.description || "—"],
        ["Schedule", `${scheduleText(deployment.schedule)}${deployment.schedule ? (deployment.is_schedule_active ? " (on)" : " (off)") : ""}`],
        ["Work pool / queue", `${deployment.work_pool_name || "—"} / ${deployment.work_queue_name || "—"}`],
        ["Version", deployment.version || "—"],
        ["Entrypoint", deployment.entrypoint || "—"],
        ["Tags", deployment.tags.length ? tags(deployment.tags) : "—"],
        ["Created", fmtDate(deployment.created)],
      ]), h("h2", {}, "Parameters"), jsonBlock(deployment.parameters || {})),
      h("section", { class: "panel" }, h("h2", {}, "Latest runs"),
        runs.length ? runsTable(runs, names, ctx.link) : empty("No runs of this deployment yet."),
        ctx.link(`/flow-runs?deployment=${id}`, "All runs of this deployment →")));
  };
  await draw();
}
