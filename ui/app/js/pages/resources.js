// Concurrency limits and flow run notification policies (blocks: pages/blocks.js).

import { h, replace, empty, fmtDate, tags, table } from "../dom.js";
import { listHeader, inNotice } from "../components.js";
import { policyActions } from "./notifications.js";

export async function renderConcurrencyLimits(ctx) {
  const { api, signal } = ctx;
  ctx.title("Concurrency limits");
  const notice = h("div", { class: "notice", role: "status" });
  const body = h("section", { class: "panel" });
  replace(ctx.root, listHeader(ctx, "Task run concurrency limits", body, "Filter limits", ["/concurrency-limits/create", "Create a limit"]), notice, body);
  const load = async () => {
    const limits = await api.post("/concurrency_limits/filter", { limit: 200 }, { signal });
    replace(body, limits.length ? table([
      { label: "Tag", cell: (l) => ctx.link(`/concurrency-limits/concurrency-limit/${l.id}`, l.tag) },
      { label: "Limit", cell: (l) => String(l.concurrency_limit) },
      { label: "Active slots", cell: (l) => String(l.active_slots.length) },
      { label: "Created", cell: (l) => fmtDate(l.created) },
      { label: "", cell: (l) => !ctx.canWrite ? "" : h("button", { type: "button", disabled: !l.active_slots.length, onclick: () => inNotice(notice, async () => {
        await api.post(`/concurrency_limits/tag/${encodeURIComponent(l.tag)}/reset`, {});
        await load();
      }) }, "Reset slots") },
    ], limits) : empty("No concurrency limits. Create one with `prefect concurrency-limit create <tag> <limit>`."));
  };
  await load();
}

export async function renderNotifications(ctx) {
  const { api, signal } = ctx;
  ctx.title("Notifications");
  const notice = h("div", { class: "notice", role: "status" });
  const body = h("section", { class: "panel" });
  replace(ctx.root, listHeader(ctx, "Notifications", body, "Filter notifications", ["/notifications/create", "Create a notification"]), notice, body);
  const load = async () => {
    const policies = await api.post("/flow_run_notification_policies/filter", { limit: 200 }, { signal });
    const ids = [...new Set(policies.map((p) => p.block_document_id))];
    const blocks = ids.length
      ? await api.post("/block_documents/filter", { block_documents: { id: { any_: ids }, is_anonymous: null }, limit: 200 }, { signal })
      : [];
    const blockNames = new Map(blocks.map((b) => [b.id, `${b.block_type?.name || "Block"}: ${b.name}`]));
    replace(body, policies.length ? table([
      { label: "When a run enters", cell: (p) => (p.state_names.length ? p.state_names.join(", ") : "any state") },
      { label: "With tags", cell: (p) => (p.tags.length ? tags(p.tags) : "any") },
      { label: "Send to", cell: (p) => blockNames.get(p.block_document_id) || p.block_document_id },
      { label: "Message", cell: (p) => p.message_template || "(default)" },
      { label: "Active", cell: (p) => h("label", {}, h("input", { type: "checkbox", checked: p.is_active, onchange: (event) => inNotice(notice, async () => {
        await api.patch(`/flow_run_notification_policies/${p.id}`, { is_active: event.target.checked });
        await load();
      }) }), p.is_active ? " on" : " off") },
      { label: "", cell: (p) => policyActions(ctx, p, notice, load) },
    ], policies) : empty("No notification policies."));
  };
  await load();
}
