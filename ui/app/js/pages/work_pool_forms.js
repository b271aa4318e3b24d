// Work pool create and edit: name, type, description, concurrency, paused, and the base
// job template, whose ``variables`` schema is shown as a form of default values.

import { h, replace } from "../dom.js";
import { schemaForm } from "../schema_form.js";

function field(label, id, input, message) {
  return h("div", { class: "field" }, h("label", { for: id }, label), input, message || null);
}

/** The current defaults of a job template's variables, as form values. */
function defaultsOf(variables) {
  const values = {};
  for (const [name, spec] of Object.entries(variables?.properties || {})) {
    if (spec.default !== undefined) values[name] = spec.default;
  }
  return values;
}

/** ``template`` with the variables' defaults set to ``values`` (cleared where left empty). */
function withDefaults(template, values) {
  const copy = JSON.parse(JSON.stringify(template));
  for (const [name, spec] of Object.entries(copy.variables?.properties || {})) {
    if (name in values) spec.default = values[name];
    else delete spec.default;
  }
  return copy;
}

function poolForm(ctx, pool) {
  const { api, signal } = ctx;
  const messages = {};
  const message = (key) => (messages[key] = h("span", { class: "field-error", role: "alert" }));
  const name = h("input", { id: "pool-name", type: "text", value: pool?.name || "", disabled: Boolean(pool), oninput: () => replace(messages.name) });
  const type = h("input", { id: "pool-type", type: "text", value: pool?.type || "prefect-agent", disabled: Boolean(pool) });
  const description = h("textarea", { id: "pool-description", rows: 2 }, pool?.description || "");
  const limit = h("input", { id: "pool-limit", type: "number", min: 0, step: 1, value: pool?.concurrency_limit ?? "", placeholder: "unlimited",
    oninput: () => replace(messages.concurrency_limit) });
  const paused = h("input", { id: "pool-paused", type: "checkbox", checked: Boolean(pool?.is_paused) });
  const template = h("textarea", { id: "pool-template", rows: 8, spellcheck: false, class: "json-input" },
    JSON.stringify(pool?.base_job_template || {}, null, 2));
  const variablesBox = h("div", { class: "job-variables" });
  let variablesForm = null;
  let parsedTemplate = pool?.base_job_template || {};
  const drawVariables = () => {
    replace(messages.base_job_template);
    try {
      parsedTemplate = JSON.parse(template.value || "{}");
    } catch (error) {
      replace(messages.base_job_template, `Not valid JSON: ${error.message}`);
      parsedTemplate = null;
      return;
    }
    const variables = parsedTemplate.variables;
    variablesForm = variables?.properties ? schemaForm(variables, defaultsOf(variables), { api, signal }) : null;
    replace(variablesBox, variablesForm ? variablesForm.element : h("p", { class: "muted" }, "This template has no variables."));
  };
  template.addEventListener("change", drawVariables);
  const general = h("p", { class: "error-text form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, pool ? "Save" : "Create");
  const form = h("form", {
    class: "panel pool-form",
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      replace(general);
      drawVariablesIfStale();
      let ok = parsedTemplate !== null && (!variablesForm || variablesForm.validate());
      if (!pool && !name.value.trim()) {
        replace(messages.name, "Required.");
        ok = false;
      }
      if (limit.value !== "" && !(Number.isInteger(Number(limit.value)) && Number(limit.value) >= 0)) {
        replace(messages.concurrency_limit, "Must be a whole number, 0 or more.");
        ok = false;
      }
      if (!ok) return;
      const body = {
        description: description.value || null,
        concurrency_limit: limit.value === "" ? null : Number(limit.value),
        is_paused: paused.checked,
        base_job_template: variablesForm ? withDefaults(parsedTemplate, variablesForm.value()) : parsedTemplate,
      };
      submit.disabled = true;
      try {
        if (pool) {
          await api.patch(`/work_pools/${encodeURIComponent(pool.name)}`, body);
          ctx.navigate(`/work-pools/work-pool/${encodeURIComponent(pool.name)}`);
        } else {
          const created = await api.post("/work_pools/", { ...body, name: name.value.trim(), type: type.value.trim() || "prefect-agent" });
          ctx.navigate(`/work-pools/work-pool/${encodeURIComponent(created.name)}`);
        }
      } catch (error) {
        const unplaced = [];
        for (const detail of error.body?.exception_detail || []) {
          const key = (detail.loc || []).filter((part) => part !== "body" && part !== "work_pool")[0];
          if (messages[key]) replace(messages[key], detail.msg);
          else unplaced.push(detail.msg);
        }
        if (!error.body?.exception_detail || unplaced.length) replace(general, unplaced.join(" ") || error.message);
      } finally {
        submit.disabled = false;
      }
    },
  },
  general,
  field("Name", "pool-name", name, message("name")),
  field("Type", "pool-type", type),
  field("Description", "pool-description", description),
  field("Concurrency limit", "pool-limit", limit, message("concurrency_limit")),
  h("div", { class: "field" }, h("label", {}, paused, " Paused")),
  h("h2", {}, "Job variables (defaults)"),
  variablesBox,
  h("details", {}, h("summary", {}, "Base job template (JSON)"), field("Template", "pool-template", template, message("base_job_template"))),
  h("menu", { class: "form-actions" }, submit));
  // A template edited but not yet blurred still counts.
  let drawn = template.value;
  function drawVariablesIfStale() {
    if (template.value !== drawn) {
      drawn = template.value;
      drawVariables();
    }
  }
  template.addEventListener("change", () => { drawn = template.value; });
  drawVariables();
  return form;
}

export async function renderCreate(ctx) {
  ctx.title("New work pool");
  replace(ctx.root, h("header", { class: "page-header" }, h("h1", {}, "New work pool")), poolForm(ctx, null));
}

export async function renderEdit(ctx) {
  const [name] = ctx.params;
  const pool = await ctx.api.get(`/work_pools/${encodeURIComponent(name)}`, { signal: ctx.signal });
  ctx.title(`Edit ${pool.name}`);
  replace(ctx.root,
    h("header", { class: "page-header" }, h("h1", {}, h("span", { class: "muted" }, ctx.link(`/work-pools/work-pool/${encodeURIComponent(pool.name)}`, pool.name), " / "), "Edit")),
    poolForm(ctx, pool));
}
