// Create / edit a flow run notification policy (the original's /notifications/create and
// /notifications/edit/:id): the states and tags it watches and the block it sends through.

import { h, replace, errorBox, empty } from "../dom.js";
import { confirmAction, field } from "../components.js";

const STATE_NAMES = ["Scheduled", "Late", "Pending", "Running", "Retrying", "Paused", "Cancelling", "Cancelled",
  "Completed", "Cached", "Failed", "Crashed", "TimedOut"];

/** Block documents that can send notifications (their schema has the "notify" capability). */
async function notifyBlocks(api, signal) {
  return api.post("/block_documents/filter", { block_schemas: { block_capabilities: { all_: ["notify"] } }, limit: 200 }, { signal });
}

export async function renderForm(ctx) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const [policy, blocks] = await Promise.all([
    id ? api.get(`/flow_run_notification_policies/${id}`, { signal }) : null,
    notifyBlocks(api, signal),
  ]);
  const heading = policy ? "Edit notification" : "Create a notification";
  ctx.title(heading);
  const chosen = new Set(policy?.state_names || []);
  const states = h("fieldset", { class: "state-picker" }, h("legend", {}, "When a run enters (none: any state)"),
    STATE_NAMES.map((name) => h("label", { class: "check" }, h("input", { type: "checkbox", value: name, checked: chosen.has(name) }), ` ${name}`)));
  const tagsInput = h("input", { name: "tags", value: (policy?.tags || []).join(", "), placeholder: "prod, nightly" });
  const block = h("select", { name: "block_document_id", required: true, "aria-label": "Block" },
    h("option", { value: "" }, "Choose a block…"),
    blocks.map((b) => h("option", { value: b.id, selected: b.id === policy?.block_document_id }, `${b.block_type?.name || "Block"}: ${b.name}`)));
  const template = h("textarea", { name: "message_template", placeholder: "Default message" }, policy?.message_template || "");
  const problem = h("div", { role: "alert" });
  const form = h("form", { class: "panel form", onsubmit: async (event) => {
    event.preventDefault();
    const body = {
      state_names: [...states.querySelectorAll("input:checked")].map((input) => input.value),
      tags: tagsInput.value.split(",").map((tag) => tag.trim()).filter(Boolean),
      block_document_id: block.value,
      message_template: template.value.trim() || null,
    };
    try {
      if (policy) await api.patch(`/flow_run_notification_policies/${id}`, body);
      else await api.post("/flow_run_notification_policies/", body);
      ctx.navigate("/notifications");
    } catch (error) {
      replace(problem, errorBox(error));
    }
  } },
  states,
  field("With tags (comma-separated; none: any tags)", tagsInput),
  field("Send through", block, blocks.length ? null : "No notification block yet: create one (a Slack webhook, an email…) on the blocks page."),
  field("Message template", template, "Placeholders such as {flow_run_name} and {flow_run_state_name} are filled in"),
  problem,
  h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, policy ? "Save" : "Create"), ctx.link("/notifications", "Cancel")));
  replace(ctx.root, h("header", { class: "page-header" }, h("h1", {}, heading)), form);
  if (!blocks.length) form.before(empty("No block can send notifications yet."));
}

/** The Edit and Delete actions of a policy row on the list; ``reload`` redraws the list. */
export function policyActions(ctx, policy, notice, reload) {
  if (!ctx.canWrite) return "";
  return h("span", { class: "actions" },
    ctx.link(`/notifications/edit/${policy.id}`, "Edit"),
    h("button", { type: "button", class: "danger", onclick: async () => {
      if (!await confirmAction("Delete this notification?", "Runs will no longer be reported through it.")) return;
      try {
        await ctx.api.delete(`/flow_run_notification_policies/${policy.id}`);
        await reload();
      } catch (error) {
        replace(notice, errorBox(error));
      }
    } }, "Delete"));
}
