// A work pool's queues (the original's /work-pools/work-pool/:name/queue/... pages): a
// queue's page with its runs, pause/resume and delete, the create / edit form, and the
// pause/resume actions of the pool itself.

import { h, replace, errorBox, empty, fmtDate, fmtRelative, facts } from "../dom.js";
import { runsTable, confirmAction, formValues, field, detailFrame, inNotice } from "../components.js";
import { flowNames } from "../queries.js";

const poolPath = (pool) => `/work_pools/${encodeURIComponent(pool)}`;
const queuePath = (pool, queue) => `${poolPath(pool)}/queues/${encodeURIComponent(queue)}`;
const pageOf = (pool) => `/work-pools/work-pool/${encodeURIComponent(pool)}`;
const queuePage = (pool, queue) => `${pageOf(pool)}/queue/${encodeURIComponent(queue)}`;

/** The pool's own actions: pause/resume and "Create a queue"; ``reload`` redraws the page. */
export function poolActions(ctx, pool, notice, reload) {
  if (!ctx.canWrite) return null;
  return h("div", { class: "actions pool-actions" },
    h("button", { type: "button", onclick: () => inNotice(notice, async () => {
      await ctx.api.patch(poolPath(pool.name), { is_paused: !pool.is_paused });
      await reload();
    }) }, pool.is_paused ? "Resume pool" : "Pause pool"),
    ctx.link(`${pageOf(pool.name)}/queue/create`, "Create a queue"));
}

/** The queue-name cell of the pool page: a link to the queue's page. */
export function queueLink(ctx, pool, queue) {
  return ctx.link(queuePage(pool.name, queue.name), queue.name);
}

export async function renderOne(ctx) {
  const { api, signal } = ctx;
  const [poolName, name] = ctx.params;
  const { notice, header, summary, panel: runs } = detailFrame(ctx, "Runs");
  const load = async () => {
    const queue = await api.get(queuePath(poolName, name), { signal });
    ctx.title(`${poolName} / ${queue.name}`);
    replace(header, h("h1", {}, h("span", { class: "muted" }, ctx.link(pageOf(poolName), poolName), " / "), queue.name),
      ctx.canWrite ? h("div", { class: "actions" },
        h("button", { type: "button", onclick: () => inNotice(notice, async () => {
          await api.patch(queuePath(poolName, name), { is_paused: !queue.is_paused });
          await load();
        }) }, queue.is_paused ? "Resume" : "Pause"),
        ctx.link(`${queuePage(poolName, name)}/edit`, "Edit"),
        h("button", { type: "button", class: "danger", onclick: async () => {
          if (!await confirmAction("Delete this queue?", `"${queue.name}" will be deleted from the pool "${poolName}".`)) return;
          await inNotice(notice, async () => {
            await api.delete(queuePath(poolName, name));
            ctx.navigate(pageOf(poolName));
          });
        } }, "Delete")) : null);
    replace(summary, facts([
      ["Pool", ctx.link(pageOf(poolName), poolName)],
      ["Status", queue.is_paused ? "Paused" : "Active"],
      ["Description", queue.description || "—"],
      ["Concurrency limit", String(queue.concurrency_limit ?? "Unlimited")],
      ["Priority", String(queue.priority ?? "—")],
      ["Last polled", queue.last_polled ? fmtRelative(queue.last_polled) : "Never"],
      ["Created", fmtDate(queue.created)],
    ]));
    const queueRuns = await api.post("/flow_runs/filter", { work_pool_queues: { id: { any_: [queue.id] } }, sort: "EXPECTED_START_TIME_DESC", limit: 50 }, { signal });
    const names = await flowNames(api, queueRuns.map((run) => run.flow_id), signal);
    replace(runs, h("h2", {}, "Runs"), queueRuns.length ? runsTable(queueRuns, names, ctx.link) : empty("No runs in this queue."));
  };
  await load();
}

/** Create a queue in the pool (no queue name) or edit one. */
export async function renderForm(ctx) {
  const { api, signal } = ctx;
  const [poolName, name] = ctx.params;
  const queue = name ? await api.get(queuePath(poolName, name), { signal }) : null;
  const heading = queue ? `Edit ${queue.name}` : `Create a queue in ${poolName}`;
  ctx.title(heading);
  const problem = h("div", { role: "alert" });
  const form = h("form", { class: "panel form", onsubmit: async (event) => {
    event.preventDefault();
    const values = formValues(form);
    const body = {
      name: values.name,
      description: values.description || "",
      concurrency_limit: values.concurrency_limit ?? null,
      ...(values.priority !== undefined ? { priority: values.priority } : {}),
      is_paused: values.is_paused,
    };
    try {
      if (queue) await api.patch(queuePath(poolName, name), body);
      else await api.post(`${poolPath(poolName)}/queues`, body);
      ctx.navigate(queuePage(poolName, values.name));
    } catch (error) {
      replace(problem, errorBox(error));
    }
  } },
  field("Name", h("input", { name: "name", required: true, value: queue?.name || "" })),
  field("Description", h("textarea", { name: "description" }, queue?.description || "")),
  field("Concurrency limit", h("input", { name: "concurrency_limit", type: "number", min: 0, value: queue?.concurrency_limit ?? "" }), "Empty for unlimited"),
  field("Priority", h("input", { name: "priority", type: "number", min: 1, value: queue?.priority ?? "" }), "1 is polled first"),
  h("label", { class: "check" }, h("input", { name: "is_paused", type: "checkbox", checked: Boolean(queue?.is_paused) }), " Paused"),
  problem,
  h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, queue ? "Save" : "Create"),
    ctx.link(queue ? queuePage(poolName, name) : pageOf(poolName), "Cancel")));
  replace(ctx.root, h("header", { class: "page-header" }, h("h1", {}, heading)), form);
}
