// A task-run concurrency limit's page (its active slots, reset, delete) and the create
// form (the original's /concurrency-limits/concurrency-limit/:id and create dialog).

import { h, replace, errorBox, empty, fmtDate, facts, stateBadge, table } from "../dom.js";
import { confirmAction, formValues, field, detailFrame, inNotice } from "../components.js";

export async function renderOne(ctx) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const { notice, header, summary, panel: slots } = detailFrame(ctx, "Active task runs");
  const load = async () => {
    const limit = await api.get(`/concurrency_limits/${id}`, { signal });
    ctx.title(`Concurrency limit ${limit.tag}`);
    replace(header, h("h1", {}, h("span", { class: "muted" }, ctx.link("/concurrency-limits", "Concurrency limits"), " / "), limit.tag),
      ctx.canWrite ? h("div", { class: "actions" },
        h("button", { type: "button", disabled: !limit.active_slots.length, onclick: () => inNotice(notice, async () => {
          await api.post(`/concurrency_limits/tag/${encodeURIComponent(limit.tag)}/reset`, {});
          await load();
        }) }, "Reset slots"),
        h("button", { type: "button", class: "danger", onclick: async () => {
          if (!await confirmAction("Delete this concurrency limit?", `Tasks tagged "${limit.tag}" will no longer be limited.`)) return;
          await inNotice(notice, async () => {
            await api.delete(`/concurrency_limits/${id}`);
            ctx.navigate("/concurrency-limits");
          });
        } }, "Delete")) : null);
    replace(summary, facts([
      ["Tag", h("span", { class: "tag" }, limit.tag)],
      ["Limit", String(limit.concurrency_limit)],
      ["Active slots", `${limit.active_slots.length} of ${limit.concurrency_limit}`],
      ["Created", fmtDate(limit.created)],
      ["Updated", fmtDate(limit.updated)],
    ]));
    const tasks = limit.active_slots.length
      ? await api.post("/task_runs/filter", { task_runs: { id: { any_: limit.active_slots } }, limit: 200 }, { signal })
      : [];
    replace(slots, h("h2", {}, "Active task runs"), tasks.length ? table([
      { label: "Task run", cell: (t) => ctx.link(`/flow-runs/task-run/${t.id}`, t.name) },
      { label: "State", cell: (t) => stateBadge(t.state_type, t.state_name) },
      { label: "Start", cell: (t) => fmtDate(t.start_time) },
    ], tasks) : empty("No task run holds a slot."));
  };
  await load();
}

export async function renderCreate(ctx) {
  const { api } = ctx;
  ctx.title("Create a concurrency limit");
  const problem = h("div", { role: "alert" });
  const form = h("form", { class: "panel form", onsubmit: async (event) => {
    event.preventDefault();
    const values = formValues(form);
    try {
      const created = await api.post("/concurrency_limits/", { tag: values.tag, concurrency_limit: values.concurrency_limit });
      ctx.navigate(`/concurrency-limits/concurrency-limit/${created.id}`);
    } catch (error) {
      replace(problem, errorBox(error));
    }
  } },
  field("Tag", h("input", { name: "tag", required: true })),
  field("Concurrency limit", h("input", { name: "concurrency_limit", type: "number", min: 0, required: true })),
  problem,
  h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create"), ctx.link("/concurrency-limits", "Cancel")));
  replace(ctx.root, h("header", { class: "page-header" }, h("h1", {}, "Create a concurrency limit")), form);
}
