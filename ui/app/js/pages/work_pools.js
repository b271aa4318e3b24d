// Work pools: every pool with its queues, and a pool's page with queues (health, late
// runs) and workers.

import { h, replace, loading, errorBox, empty, fmtDate, fmtRelative, table, facts } from "../dom.js";
import { tableFilter } from "../components.js";
import { poolActions, queueLink } from "./pool_queues.js";

/** Queue health as the server defines it: polled in the last 60 s and no late runs. */
function health(queue, lateCount) {
  const polled = queue.last_polled && Date.now() - new Date(queue.last_polled).getTime() <= 60000;
  const healthy = polled && lateCount === 0;
  return h("span", { class: healthy ? "health ok" : "health bad" }, healthy ? "Healthy" : "Unhealthy");
}

export async function renderList(ctx) {
  const { api, signal } = ctx;
  ctx.title("Work pools");
  const [pools, queues] = await Promise.all([
    api.post("/work_pools/filter", { limit: 200 }, { signal }),
    api.post("/work_queues/filter", { limit: 200 }, { signal }),
  ]);
  const queuesByPool = new Map();
  for (const queue of queues) {
    if (!queuesByPool.has(queue.work_pool_id)) queuesByPool.set(queue.work_pool_id, []);
    queuesByPool.get(queue.work_pool_id).push(queue);
  }
  const body = h("section", { class: "panel" });
  replace(ctx.root,
    h("header", { class: "page-header" }, h("h1", {}, "Work pools"), tableFilter(body, "Filter pools"), ctx.canWrite ? ctx.link("/work-pools/create", h("span", { class: "button primary" }, "Create work pool")) : null),
    replace(body, pools.length ? table([
      { label: "Pool", cell: (pool) => ctx.link(`/work-pools/work-pool/${encodeURIComponent(pool.name)}`, pool.name) },
      { label: "Type", cell: (pool) => pool.type },
      { label: "Queues", cell: (pool) => (queuesByPool.get(pool.id) || []).map((q) => h("span", { class: "tag" }, q.name)) },
      { label: "Concurrency", cell: (pool) => (pool.concurrency_limit ?? "Unlimited").toString() },
      { label: "Status", cell: (pool) => (pool.is_paused ? "Paused" : "Active") },
    ], pools) : empty("No work pools yet.")));
}

export async function renderOne(ctx) {
  const { api, signal } = ctx;
  const [name] = ctx.params;
  const path = `/work_pools/${encodeURIComponent(name)}`;
  const pool = await api.get(path, { signal });
  ctx.title(pool.name);
  const queuesSection = h("section", { class: "panel" }, h("h2", {}, "Queues"), loading());
  const workersSection = h("section", { class: "panel" }, h("h2", {}, "Workers"), loading());
  const notice = h("div", { class: "notice", role: "status" });
  replace(ctx.root,
    h("header", { class: "page-header" }, h("h1", {}, pool.name), ctx.canWrite ? ctx.link(`/work-pools/work-pool/${encodeURIComponent(pool.name)}/edit`, h("span", { class: "button" }, "Edit")) : null),
    notice, poolActions(ctx, pool, notice, () => renderOne(ctx)),
    h("section", { class: "panel" }, facts([
      ["Type", pool.type], ["Description", pool.description || "—"], ["Status", pool.is_paused ? "Paused" : "Active"],
      ["Concurrency limit", (pool.concurrency_limit ?? "Unlimited").toString()], ["Created", fmtDate(pool.created)],
    ])),
    queuesSection, workersSection);
  await Promise.allSettled([
    Promise.all([
      api.post(`${path}/queues/filter`, { limit: 200 }, { signal }),
      api.post("/flow_runs/filter", { work_pools: { name: { any_: [pool.name] } }, flow_runs: { state: { name: { any_: ["Late"] } } }, limit: 200 }, { signal }),
    ]).then(([queues, late]) => {
      const lateByQueue = new Map();
      for (const run of late) lateByQueue.set(run.work_queue_name, (lateByQueue.get(run.work_queue_name) || 0) + 1);
      replace(queuesSection, h("h2", {}, "Queues"), queues.length ? table([
        { label: "Queue", cell: (q) => queueLink(ctx, pool, q) },
        { label: "Priority", cell: (q) => String(q.priority ?? "—") },
        { label: "Health", cell: (q) => health(q, lateByQueue.get(q.name) || 0) },
        { label: "Late runs", cell: (q) => String(lateByQueue.get(q.name) || 0) },
        { label: "Last polled", cell: (q) => (q.last_polled ? fmtRelative(q.last_polled) : "Never") },
        { label: "Concurrency", cell: (q) => String(q.concurrency_limit ?? "Unlimited") },
        { label: "Status", cell: (q) => (q.is_paused ? "Paused" : "Active") },
      ], queues) : empty("This pool has no queues."));
    }, (error) => replace(queuesSection, h("h2", {}, "Queues"), errorBox(error))),
    api.post(`${path}/workers/filter`, { limit: 200 }, { signal }).then((workers) =>
      replace(workersSection, h("h2", {}, "Workers"), workers.length ? table([
        { label: "Worker", cell: (w) => w.name },
        { label: "Last heartbeat", cell: (w) => [fmtRelative(w.last_heartbeat_time), h("span", { class: "muted" }, ` (${fmtDate(w.last_heartbeat_time)})`)] },
      ], workers) : empty("No worker has polled this pool yet.")),
    (error) => replace(workersSection, h("h2", {}, "Workers"), errorBox(error))),
  ]);
}
