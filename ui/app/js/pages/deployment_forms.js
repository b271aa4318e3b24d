// A deployment's custom run (parameters from its schema, run name, tags, start time) and
// its edit page (description, tags, default parameters, schedule add/edit/remove/pause).

import { h, replace } from "../dom.js";
import { schemaForm } from "../schema_form.js";

/** "a, b ,c" -> ["a", "b", "c"]. */
function splitTags(text) {
  return text.split(",").map((tag) => tag.trim()).filter(Boolean);
}

function field(label, id, input, message) {
  return h("div", { class: "field" }, h("label", { for: id }, label), input, message || null);
}

/** A submit handler that shows a failed save next to the fields (or on top). */
function submitting(form, save) {
  return async (event) => {
    event.preventDefault();
    const button = event.target.querySelector("button[type=submit]");
    if (!form.validate()) return;
    button.disabled = true;
    try {
      await save();
    } catch (error) {
      form.showServerError(error, ["parameters"]);
    } finally {
      button.disabled = false;
    }
  };
}

/**
 * Load the page's deployment and title the page; returns it with a form of its
 * parameters (filled with their defaults) and the page header ending in ``last``.
 */
async function deploymentPage(ctx, title, last) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const deployment = await api.get(`/deployments/${id}`, { signal });
  ctx.title(`${title} ${deployment.name}`);
  const form = schemaForm(deployment.parameter_openapi_schema || {}, deployment.parameters || {}, { api, signal });
  const header = h("header", { class: "page-header" }, h("h1", {}, h("span", { class: "muted" }, ctx.link(`/deployments/deployment/${id}`, deployment.name), " / "), last));
  return { id, deployment, form, header };
}

export async function renderRun(ctx) {
  const { api } = ctx;
  const { id, deployment, form, header } = await deploymentPage(ctx, "Run", "Custom run");
  const name = h("input", { id: "run-name", type: "text", placeholder: "generated if empty" });
  // The server adds the deployment's own tags to the run's.
  const runTags = h("input", { id: "run-tags", type: "text", placeholder: `comma separated; added to ${(deployment.tags || []).join(", ") || "the deployment's"}` });
  const when = h("input", { id: "run-start", type: "datetime-local", "aria-label": "Start time" });
  replace(ctx.root,
    header,
    h("form", {
      class: "panel run-form",
      novalidate: true,
      onsubmit: submitting(form, async () => {
        // Empty start time: now. The browser's local time, sent as UTC.
        const start = when.value ? new Date(when.value) : new Date();
        const run = await api.post(`/deployments/${id}/create_flow_run`, {
          name: name.value.trim() || undefined,
          tags: splitTags(runTags.value),
          parameters: form.value(),
          state: { type: "SCHEDULED", name: "Scheduled", message: "Run from the UI", state_details: { scheduled_time: start.toISOString() } },
        });
        ctx.navigate(`/flow-runs/flow-run/${run.id}`);
      }),
    },
    field("Run name", "run-name", name),
    field("Tags", "run-tags", runTags),
    field("Start (empty: now)", "run-start", when),
    h("h2", {}, "Parameters"),
    form.element,
    h("menu", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Run"))));
}

const SCHEDULE_KINDS = [["", "No schedule"], ["interval", "Interval (seconds)"], ["cron", "Cron"], ["rrule", "RRule"]];

/** The schedule editor: kind, its value, timezone; ``read()`` is the schedule or null. */
function scheduleEditor(schedule) {
  const kind = schedule ? (schedule.interval !== undefined ? "interval" : schedule.cron ? "cron" : schedule.rrule ? "rrule" : "") : "";
  const select = h("select", { id: "schedule-kind" }, SCHEDULE_KINDS.map(([value, label]) => h("option", { value, selected: value === kind }, label)));
  const initial = kind === "interval" ? schedule.interval : kind ? schedule[kind] : "";
  const value = h("input", { id: "schedule-value", type: "text", value: initial ?? "", "aria-label": "Schedule value" });
  const timezone = h("input", { id: "schedule-timezone", type: "text", value: schedule?.timezone || "", placeholder: "UTC" });
  const message = h("span", { class: "field-error", role: "alert" });
  const sync = () => {
    value.disabled = !select.value;
    timezone.disabled = !select.value;
    replace(message);
  };
  select.addEventListener("change", sync);
  value.addEventListener("input", () => replace(message));
  sync();
  return {
    element: h("fieldset", { class: "field-group" }, h("legend", {}, "Schedule"),
      field("Kind", "schedule-kind", select), field("Value", "schedule-value", value), field("Timezone", "schedule-timezone", timezone), message),
    read() {
      if (!select.value) return null;
      const text = value.value.trim();
      const zone = timezone.value.trim() ? { timezone: timezone.value.trim() } : {};
      if (select.value === "interval") {
        const seconds = Number(text);
        if (!text || !Number.isFinite(seconds) || seconds <= 0) throw new Error("The interval must be a positive number of seconds.");
        return { interval: seconds, ...zone };
      }
      if (!text) throw new Error(`The ${select.value} expression is required.`);
      return { [select.value]: text, ...zone };
    },
    show(text) {
      replace(message, text);
    },
  };
}

export async function renderEdit(ctx) {
  const { api } = ctx;
  const { id, deployment, form, header } = await deploymentPage(ctx, "Edit", "Edit");
  const description = h("textarea", { id: "deployment-description", rows: 3 }, deployment.description || "");
  const deploymentTags = h("input", { id: "deployment-tags", type: "text", value: (deployment.tags || []).join(", ") });
  const schedule = scheduleEditor(deployment.schedule);
  const active = h("input", { id: "schedule-active", type: "checkbox", checked: deployment.is_schedule_active });
  replace(ctx.root,
    header,
    h("form", {
      class: "panel deployment-form",
      novalidate: true,
      onsubmit: submitting(form, async () => {
        let newSchedule;
        try {
          newSchedule = schedule.read();
        } catch (error) {
          schedule.show(error.message);
          return;
        }
        try {
          await api.patch(`/deployments/${id}`, {
            description: description.value,
            tags: splitTags(deploymentTags.value),
            parameters: form.value(),
            schedule: newSchedule,
            is_schedule_active: active.checked,
          });
        } catch (error) {
          const scheduleProblem = (error.body?.exception_detail || []).find((d) => (d.loc || []).includes("schedule"));
          if (scheduleProblem) {
            schedule.show(scheduleProblem.msg);
            return;
          }
          throw error;
        }
        ctx.navigate(`/deployments/deployment/${id}`);
      }),
    },
    field("Description", "deployment-description", description),
    field("Tags", "deployment-tags", deploymentTags),
    schedule.element,
    h("div", { class: "field" }, h("label", {}, active, " Schedule active (unchecked: paused)")),
    h("h2", {}, "Default parameters"),
    form.element,
    h("menu", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Save"))));
}
