// Blocks: saved documents, the catalog of block types, and forms generated from a block
// schema to create and edit documents (secrets masked; left empty on edit, kept).

import { h, replace, empty, fmtDate, table, facts, jsonBlock, tags } from "../dom.js";
import { confirmAction, inNotice } from "../components.js";
import { schemaForm } from "../schema_form.js";

/** The newest schema of a block type. */
async function latestSchema(api, blockTypeId, signal) {
  const schemas = await api.post("/block_schemas/filter", { block_schemas: { block_type_id: { any_: [blockTypeId] } }, limit: 1 }, { signal });
  if (!schemas.length) throw new Error("This block type has no schema.");
  return schemas[0];
}

function header(title, ...actions) {
  return h("header", { class: "page-header" }, h("h1", {}, title), actions.length ? h("span", { class: "actions" }, actions) : null);
}

export async function renderList(ctx) {
  const { api, signal } = ctx;
  ctx.title("Blocks");
  const documents = await api.post("/block_documents/filter", { sort: "NAME_ASC", limit: 200 }, { signal });
  replace(ctx.root,
    header("Blocks", ctx.canWrite ? ctx.link("/blocks/catalog", h("span", { class: "button primary" }, "Add block")) : null),
    h("section", { class: "panel" }, documents.length ? table([
      { label: "Block", cell: (d) => ctx.link(`/blocks/block/${d.id}`, d.name) },
      { label: "Type", cell: (d) => (d.block_type ? ctx.link(`/blocks/catalog/${d.block_type.slug}`, d.block_type.name) : "—") },
      { label: "Capabilities", cell: (d) => tags(d.block_schema?.capabilities) },
      { label: "Created", cell: (d) => fmtDate(d.created) },
    ], documents) : empty("No blocks yet: add one from the catalog.")));
}

export async function renderCatalog(ctx) {
  const { api, signal } = ctx;
  ctx.title("Block catalog");
  const types = await api.post("/block_types/filter", { limit: 200 }, { signal });
  replace(ctx.root, header("Block catalog"),
    h("section", { class: "panel" }, types.length ? table([
      { label: "Block type", cell: (t) => ctx.link(`/blocks/catalog/${t.slug}`, t.name) },
      { label: "Description", cell: (t) => (t.description || "").split("\n")[0] },
      { label: "", cell: (t) => (ctx.canWrite ? ctx.link(`/blocks/catalog/${t.slug}/create`, "Create") : "") },
    ], types) : empty("No block types registered.")));
}

export async function renderType(ctx) {
  const { api, signal } = ctx;
  const [slug] = ctx.params;
  const type = await api.get(`/block_types/slug/${encodeURIComponent(slug)}`, { signal });
  const [schema, documents] = await Promise.all([
    latestSchema(api, type.id, signal),
    api.get(`/block_types/slug/${encodeURIComponent(slug)}/block_documents`, { signal }),
  ]);
  ctx.title(type.name);
  replace(ctx.root,
    header(type.name, ctx.canWrite ? ctx.link(`/blocks/catalog/${slug}/create`, h("span", { class: "button primary" }, "Create")) : null),
    h("section", { class: "panel" }, facts([
      ["Description", type.description || "—"],
      ["Capabilities", schema.capabilities.length ? tags(schema.capabilities) : "—"],
      ["Schema version", schema.version || "—"],
    ]), type.code_example ? [h("h2", {}, "Usage"), h("pre", { class: "json" }, type.code_example)] : null),
    h("section", { class: "panel" }, h("h2", {}, "Saved blocks"), documents.length
      ? h("ul", {}, documents.map((d) => h("li", {}, ctx.link(`/blocks/block/${d.id}`, d.name))))
      : empty("None of this type yet.")));
}

/** The block form: a name (on create) and the schema's fields; calls ``save`` on submit. */
function blockForm(ctx, { schema, document, onSave, submitLabel }) {
  const form = schemaForm(schema.fields, document ? document.data : {}, {
    api: ctx.api, signal: ctx.signal, editing: Boolean(document), references: document?.block_document_references,
  });
  const nameMessage = h("span", { class: "field-error", role: "alert" });
  const name = document ? null : h("input", { id: "block-name", name: "block-name", type: "text", required: true, oninput: () => replace(nameMessage) });
  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  return h("form", {
    class: "panel block-form",
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      let ok = form.validate();
      if (name && !name.value.trim()) {
        replace(nameMessage, "Required.");
        ok = false;
      }
      if (!ok) return;
      submit.disabled = true;
      try {
        await onSave({ name: name ? name.value.trim() : null, data: form.value() });
      } catch (error) {
        const nameProblem = (error.body?.exception_detail || []).find((d) => (d.loc || []).at(-1) === "name" && !(d.loc || []).includes("data"));
        if (nameProblem) replace(nameMessage, nameProblem.msg);
        form.showServerError(error, ["data"]);
      } finally {
        submit.disabled = false;
      }
    },
  },
  name ? h("div", { class: "field" }, h("label", { for: "block-name" }, "Block name", h("span", { class: "required" }, " *")), name, nameMessage) : null,
  form.element,
  h("menu", { class: "form-actions" }, submit));
}

export async function renderCreate(ctx) {
  const { api, signal } = ctx;
  const [slug] = ctx.params;
  const type = await api.get(`/block_types/slug/${encodeURIComponent(slug)}`, { signal });
  const schema = await latestSchema(api, type.id, signal);
  ctx.title(`New ${type.name}`);
  replace(ctx.root, header(`New ${type.name} block`), blockForm(ctx, {
    schema,
    submitLabel: "Create",
    onSave: async ({ name, data }) => {
      const created = await api.post("/block_documents/", { name, data, block_type_id: type.id, block_schema_id: schema.id });
      ctx.navigate(`/blocks/block/${created.id}`);
    },
  }));
}

export async function renderOne(ctx) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const document = await api.get(`/block_documents/${id}`, { signal });
  ctx.title(document.name);
  const notice = h("div", { class: "notice", role: "status" });
  const remove = async () => {
    if (!await confirmAction(`Delete ${document.name}?`, "Flows that load this block will fail. This cannot be undone.")) return;
    await inNotice(notice, async () => {
      await api.delete(`/block_documents/${id}`);
      ctx.navigate("/blocks");
    });
  };
  replace(ctx.root,
    header(document.name, ctx.canWrite ? [
      ctx.link(`/blocks/block/${id}/edit`, h("span", { class: "button" }, "Edit")),
      h("button", { type: "button", class: "danger", onclick: remove }, "Delete"),
    ] : null),
    notice,
    h("section", { class: "panel" }, facts([
      ["Type", document.block_type ? ctx.link(`/blocks/catalog/${document.block_type.slug}`, document.block_type.name) : "—"],
      ["Capabilities", tags(document.block_schema?.capabilities)],
      ["Created", fmtDate(document.created)],
      ["Updated", fmtDate(document.updated)],
    ]), h("h2", {}, "Data"), jsonBlock(document.data),
    h("p", { class: "muted" }, "Secret values are masked by the server and never shown.")));
}

export async function renderEdit(ctx) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const document = await api.get(`/block_documents/${id}`, { signal });
  ctx.title(`Edit ${document.name}`);
  replace(ctx.root, header(`Edit ${document.name}`), blockForm(ctx, {
    schema: document.block_schema,
    document,
    submitLabel: "Save",
    onSave: async ({ data }) => {
      await api.patch(`/block_documents/${id}`, { data, merge_existing_data: true });
      ctx.navigate(`/blocks/block/${id}`);
    },
  }));
}
