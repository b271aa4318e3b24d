// Classic work queues (the original's /work-queues pages): the list with each queue's
// pool, a queue's page with its runs and actions, and the create / edit form.

import { h, replace, errorBox, empty, fmtDate, fmtRelative, table, facts } from "../dom.js";
import { runsTable, confirmAction, formValues, field, listHeader, detailFrame, inNotice } from "../components.js";
import { flowNames } from "../queries.js";

/** Map work pool id -> pool name. */
async function poolNames(api, signal) {
  const pools = await api.post("/work_pools/filter", { limit: 200 }, { signal });
  return new Map(pools.map((pool) => [pool.id, pool.name]));
}

export async function renderList(ctx) {
  const { api, signal } = ctx;
  ctx.title("Work queues");
  const [queues, pools] = await Promise.all([
    api.post("/work_queues/filter", { limit: 200 }, { signal }),
    poolNames(api, signal),
  ]);
  const body = h("section", { class: "panel" });
  replace(body, queues.length ? table([
    { label: "Queue", cell: (q) => ctx.link(`/work-queues/work-queue/${q.id}`, q.name) },
    { label: "Pool", cell: (q) => (pools.get(q.work_pool_id) ? ctx.link(`/work-pools/work-pool/${encodeURIComponent(pools.get(q.work_pool_id))}`, pools.get(q.work_pool_id)) : "—") },
    { label: "Concurrency", cell: (q) => String(q.concurrency_limit ?? "Unlimited") },
    { label: "Priority", cell: (q) => String(q.priority ?? "—") },
    { label: "Last polled", cell: (q) => (q.last_polled ? fmtRelative(q.last_polled) : "Never") },
    { label: "Status", cell: (q) => (q.is_paused ? "Paused" : "Active") },
  ], queues) : empty("No work queues yet."));
  replace(ctx.root, listHeader(ctx, "Work queues", body, "Filter queues", ["/work-queues/create", "Create a work queue"]), body);
}

export async function renderOne(ctx) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const { notice, header, summary, panel: runs } = detailFrame(ctx, "Runs");
  const load = async () => {
    const [queue, pools] = await Promise.all([api.get(`/work_queues/${id}`, { signal }), poolNames(api, signal)]);
    ctx.title(queue.name);
    const poolName = pools.get(queue.work_pool_id);
    const act = (request) => inNotice(notice, async () => {
      await request();
      await load();
    });
    replace(header, h("h1", {}, h("span", { class: "muted" }, ctx.link("/work-queues", "Work queues"), " / "), queue.name),
      ctx.canWrite ? h("div", { class: "actions" },
        h("button", { type: "button", onclick: () => act(() => api.patch(`/work_queues/${id}`, { is_paused: !queue.is_paused })) }, queue.is_paused ? "Resume" : "Pause"),
        ctx.link(`/work-queues/work-queue/${id}/edit`, "Edit"),
        h("button", { type: "button", class: "danger", onclick: async () => {
          if (!await confirmAction("Delete this work queue?", `"${queue.name}" will be deleted. This cannot be undone.`)) return;
          await inNotice(notice, async () => {
            await api.delete(`/work_queues/${id}`);
            ctx.navigate("/work-queues");
          });
        } }, "Delete")) : null);
    replace(summary, facts([
      ["Status", queue.is_paused ? "Paused" : "Active"],
      ["Pool", poolName ? ctx.link(`/work-pools/work-pool/${encodeURIComponent(poolName)}`, poolName) : "—"],
      ["Description", queue.description || "—"],
      ["Concurrency limit", String(queue.concurrency_limit ?? "Unlimited")],
      ["Priority", String(queue.priority ?? "—")],
      ["Last polled", queue.last_polled ? fmtRelative(queue.last_polled) : "Never"],
      ["Created", fmtDate(queue.created)],
    ]));
    const queueRuns = await api.post("/flow_runs/filter", { work_pool_queues: { id: { any_: [id] } }, sort: "EXPECTED_START_TIME_DESC", limit: 50 }, { signal });
    const names = await flowNames(api, queueRuns.map((run) => run.flow_id), signal);
    replace(runs, h("h2", {}, "Runs"), queueRuns.length ? runsTable(queueRuns, names, ctx.link) : empty("No runs in this queue."));
  };
  await load();
}

/** The create form (no id) or the edit form of a work queue. */
export async function renderForm(ctx) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const queue = id ? await api.get(`/work_queues/${id}`, { signal }) : null;
  ctx.title(queue ? `Edit ${queue.name}` : "Create a work queue");
  const problem = h("div", { role: "alert" });
  const form = h("form", { class: "panel form", onsubmit: async (event) => {
    event.preventDefault();
    const values = formValues(form);
    const body = {
      description: values.description || "",
      concurrency_limit: values.concurrency_limit ?? null,
      ...(values.priority !== undefined ? { priority: values.priority } : {}),
      is_paused: values.is_paused,
    };
    try {
      if (queue) {
        await api.patch(`/work_queues/${id}`, { name: values.name, ...body });
        ctx.navigate(`/work-queues/work-queue/${id}`);
      } else {
        const created = await api.post("/work_queues/", { name: values.name, ...body });
        ctx.navigate(`/work-queues/work-queue/${created.id}`);
      }
    } catch (error) {
      replace(problem, errorBox(error));
    }
  } },
  field("Name", h("input", { name: "name", required: true, value: queue?.name || "" })),
  field("Description", h("textarea", { name: "description" }, queue?.description || "")),
  field("Concurrency limit", h("input", { name: "concurrency_limit", type: "number", min: 0, value: queue?.concurrency_limit ?? "" }), "Empty for unlimited"),
  field("Priority", h("input", { name: "priority", type: "number", min: 1, value: queue?.priority ?? "" })),
  h("label", { class: "check" }, h("input", { name: "is_paused", type: "checkbox", checked: Boolean(queue?.is_paused) }), " Paused"),
  problem,
  h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, queue ? "Save" : "Create"),
    ctx.link(queue ? `/work-queues/work-queue/${id}` : "/work-queues", "Cancel")));
  replace(ctx.root, h("header", { class: "page-header" }, h("h1", {}, queue ? `Edit ${queue.name}` : "Create a work queue")), form);
}
