// A compact JSON-Schema form renderer for block schemas, deployment parameter schemas and
// work pool job variables: strings, numbers, integers, booleans, enums, arrays, nested
// objects, $ref/definitions (pydantic's allOf: [{$ref}] too), references to other blocks
// (``block_type_slug``: a picker of saved documents), secrets (masked, never echoed back),
// client-side validation and the server's 422 placed next to the field it names.

import { h, replace } from "./dom.js";

const SECRET_PLACEHOLDER = "•••••••• (unchanged)";

/** ``schema`` with ``$ref`` / single-item ``allOf`` resolved against ``root.definitions``. */
function resolve(schema, root) {
  let current = schema || {};
  for (let depth = 0; depth < 20; depth += 1) {
    if (current.$ref && current.$ref.startsWith("#/definitions/")) {
      const { $ref, ...rest } = current;
      current = { ...(root.definitions || {})[$ref.slice("#/definitions/".length)], ...rest };
    } else if (Array.isArray(current.allOf) && current.allOf.length === 1) {
      const { allOf, ...rest } = current;
      current = { ...allOf[0], ...rest };
    } else {
      return current;
    }
  }
  return current;
}

/** Whether ``path`` ("a.b") is listed (or covered by "a.*") in ``secretFields``. */
function isSecretPath(path, secretFields) {
  return secretFields.some((field) => field === path || (field.endsWith(".*") && path.startsWith(field.slice(0, -1))));
}

const TYPE_CHECKS = {
  string: (v) => typeof v === "string",
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === "number" && Number.isFinite(v),
  boolean: (v) => typeof v === "boolean",
  array: (v) => Array.isArray(v),
  object: (v) => v !== null && typeof v === "object" && !Array.isArray(v),
};

/** Why ``value`` does not fit ``schema`` (type, enum, min/max, lengths), or null. */
function problemWith(value, schema) {
  const check = TYPE_CHECKS[schema.type];
  if (check && !check(value)) return `Must be ${schema.type === "integer" ? "a whole number" : `of type ${schema.type}`}.`;
  if (schema.enum && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) return `Must be one of ${schema.enum.join(", ")}.`;
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return `Must be at least ${schema.minimum}.`;
    if (schema.maximum !== undefined && value > schema.maximum) return `Must be at most ${schema.maximum}.`;
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return `Must be more than ${schema.exclusiveMinimum}.`;
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return `Must be less than ${schema.exclusiveMaximum}.`;
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) return `Must be at least ${schema.minLength} characters.`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return `Must be at most ${schema.maxLength} characters.`;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return `Needs at least ${schema.minItems} items.`;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return `Takes at most ${schema.maxItems} items.`;
  }
  return null;
}

/** A sentinel: the field was left empty (the key is then left out). */
const EMPTY = Symbol("empty");

/**
 * The form for ``schema`` filled with ``value``.
 *
 * ``options``: ``api``/``signal`` (to list block documents for references),
 * ``secretFields`` (block schema ``secret_fields``), ``references`` (a block document's
 * ``block_document_references``, to preselect pickers), ``editing`` (secrets start empty
 * and, left empty, are not sent: the server keeps the stored value).
 *
 * Returns ``{element, value(), validate(), showServerError(error)}``: ``validate()``
 * marks every bad field and returns whether all are fine; ``value()`` is the data to send.
 */
export function schemaForm(schema, value = {}, options = {}) {
  const root = schema || {};
  const secretFields = options.secretFields || root.secret_fields || [];
  const fields = [];
  const general = h("p", { class: "error-text form-error", role: "alert" });
  // On edit only the top-level keys the user touched are sent (the server merges them),
  // so untouched secrets and references stay as stored.
  const touched = new Set();

  /** One field: returns {element, read()} where read() gives the value or EMPTY. */
  function field(rawSchema, current, path, { required = false, label } = {}) {
    const spec = resolve(rawSchema, root);
    const title = label || spec.title || path.split(".").pop() || "Value";
    const id = `sf-${path.replace(/[^\w-]/g, "_") || "root"}`;
    const message = h("span", { class: "field-error", role: "alert" });
    const entry = { path, spec, required, message, read: () => EMPTY, check: null };
    fields.push(entry);
    const labelled = (input, note) => h("div", { class: "field", dataset: { path } },
      h("label", { for: id }, title, required ? h("span", { class: "required", title: "required" }, " *") : null),
      input,
      spec.description ? h("small", { class: "hint" }, spec.description) : null,
      note || null,
      message);
    // Fix a field and its message goes: nothing stale stays on screen.
    const clear = () => replace(message);

    if (spec.block_type_slug) {
      const select = h("select", { id, name: path, onchange: clear }, h("option", { value: "" }, "— none —"));
      const chosen = options.references?.[path]?.block_document?.id || current?.$ref?.block_document_id || "";
      if (options.api) {
        options.api.get(`/block_types/slug/${encodeURIComponent(spec.block_type_slug)}/block_documents`, { signal: options.signal })
          .then((documents) => {
            for (const doc of documents.filter((d) => !d.is_anonymous)) select.append(h("option", { value: doc.id, selected: doc.id === chosen }, doc.name));
          })
          .catch((error) => { if (error.name !== "AbortError") replace(message, `Could not list ${spec.block_type_slug} blocks: ${error.message}`); });
      }
      entry.read = () => (select.value ? { $ref: { block_document_id: select.value } } : EMPTY);
      entry.skipTypeCheck = true;
      return labelled(select, h("small", { class: "hint" }, `A saved ${spec.title || spec.block_type_slug} block`));
    }
    if (spec.enum) {
      const select = h("select", { id, name: path, onchange: clear },
        required && current !== undefined ? null : h("option", { value: "" }, "—"),
        spec.enum.map((option, index) => h("option", { value: String(index), selected: JSON.stringify(option) === JSON.stringify(current) }, String(option))));
      entry.read = () => (select.value === "" ? EMPTY : spec.enum[Number(select.value)]);
      return labelled(select);
    }
    if (spec.type === "boolean") {
      const box = h("input", { id, name: path, type: "checkbox", checked: Boolean(current ?? spec.default), onchange: clear });
      entry.read = () => box.checked;
      return labelled(box);
    }
    if (spec.type === "integer" || spec.type === "number") {
      const input = h("input", { id, name: path, type: "number", step: spec.type === "integer" ? "1" : "any", value: current ?? "", oninput: clear,
        min: spec.minimum, max: spec.maximum });
      entry.read = () => (input.value.trim() === "" ? EMPTY : Number(input.value));
      return labelled(input);
    }
    const secret = spec.format === "password" || spec.writeOnly === true || isSecretPath(path, secretFields);
    if (spec.type === "string" || secret) {
      if (secret) {
        const input = h("input", { id, name: path, type: "password", autocomplete: "new-password", oninput: clear,
          placeholder: options.editing ? SECRET_PLACEHOLDER : "" });
        // Never prefilled: the API answers an obfuscated value, which must not come back.
        entry.read = () => (input.value === "" ? EMPTY : input.value);
        entry.secretKept = Boolean(options.editing);
        return labelled(input);
      }
      const long = spec.format === "textarea" || (typeof current === "string" && current.includes("\n"));
      const input = long
        ? h("textarea", { id, name: path, rows: 4, oninput: clear }, current ?? "")
        : h("input", { id, name: path, type: "text", value: current ?? "", oninput: clear,
          placeholder: spec.format === "date-time" ? "2026-01-31T12:00:00Z" : spec.default !== undefined ? String(spec.default) : "" });
      entry.read = () => (input.value === "" ? EMPTY : input.value);
      return labelled(input);
    }
    if (spec.type === "object" && spec.properties) {
      fields.pop(); // the group itself has no value to check; its fields do
      return h("fieldset", { class: "field-group", dataset: { path } }, h("legend", {}, title),
        spec.description ? h("small", { class: "hint" }, spec.description) : null,
        objectFields(spec, current || {}, path),
        message);
    }
    if (spec.type === "array" && spec.items && ["string", "integer", "number"].includes(resolve(spec.items, root).type) && !resolve(spec.items, root).enum) {
      const itemType = resolve(spec.items, root).type;
      const list = h("div", { class: "array-items" });
      const addItem = (item) => {
        const input = h("input", { type: itemType === "string" ? "text" : "number", value: item ?? "", "aria-label": `${title} item`, oninput: clear });
        const row = h("div", { class: "array-item" }, input,
          h("button", { type: "button", class: "link", onclick: () => { row.remove(); clear(); } }, "Remove"));
        list.append(row);
      };
      (Array.isArray(current) ? current : []).forEach(addItem);
      entry.read = () => {
        const items = [...list.querySelectorAll("input")].map((input) => input.value).filter((text) => text !== "");
        return itemType === "string" ? items : items.map(Number);
      };
      return labelled(h("div", { id, class: "array" }, list,
        h("button", { type: "button", onclick: () => addItem("") }, `Add ${title.toLowerCase()} item`)));
    }
    // Anything else (free-form dicts, unions, arrays of objects): JSON, checked on the way.
    const editor = h("textarea", { id, name: path, rows: 4, spellcheck: false, class: "json-input", oninput: clear },
      current === undefined ? "" : JSON.stringify(current, null, 2));
    entry.read = () => {
      if (editor.value.trim() === "") return EMPTY;
      try {
        return JSON.parse(editor.value);
      } catch (error) {
        return { invalidJson: error.message };
      }
    };
    entry.json = true;
    return labelled(editor, h("small", { class: "hint" }, "JSON"));
  }

  function objectFields(spec, current, prefix) {
    const required = new Set(spec.required || []);
    return Object.keys(spec.properties || {}).map((name) => {
      const element = field(spec.properties[name], current[name], prefix ? `${prefix}.${name}` : name, { required: required.has(name) });
      if (!prefix) for (const type of ["input", "change", "click"]) element.addEventListener(type, () => touched.add(name));
      return element;
    });
  }

  const element = h("div", { class: "schema-form" }, general,
    root.properties && Object.keys(root.properties).length
      ? objectFields(root, value || {}, "")
      : h("p", { class: "muted" }, "Nothing to fill in."));

  const topKey = (path) => path.split(".")[0];

  /** The data to send: empty fields left out, so defaults and kept secrets apply. */
  function collect() {
    const out = {};
    for (const entry of fields) {
      if (options.editing && !touched.has(topKey(entry.path))) continue;
      const read = entry.read();
      if (read === EMPTY) continue;
      const keys = entry.path.split(".");
      let target = out;
      for (const key of keys.slice(0, -1)) target = target[key] ??= {};
      target[keys[keys.length - 1]] = read;
    }
    return out;
  }

  function validate() {
    let ok = true;
    replace(general);
    for (const entry of fields) {
      const read = entry.read();
      let problem = null;
      if (read === EMPTY && entry.secretKept && entry.path.includes(".") && touched.has(topKey(entry.path))) {
        problem = `Type it again: "${topKey(entry.path)}" is saved as a whole.`;
      } else if (read === EMPTY) {
        if (entry.required && !entry.secretKept && entry.spec.default === undefined) problem = "Required.";
      } else if (entry.json && read && read.invalidJson && Object.keys(read).length === 1) {
        problem = `Not valid JSON: ${read.invalidJson}`;
      } else if (!entry.skipTypeCheck) {
        problem = problemWith(read, entry.spec);
      }
      replace(entry.message, problem || "");
      if (problem) ok = false;
    }
    return ok;
  }

  /** Put a 422's messages next to the fields its ``loc`` names; the rest on top. */
  function showServerError(error, prefix = []) {
    const details = error?.body?.exception_detail || (Array.isArray(error?.body?.detail) ? error.body.detail : null);
    if (!details) {
      replace(general, error.message || String(error));
      return;
    }
    const unplaced = [];
    for (const detail of details) {
      let loc = (detail.loc || []).map(String);
      if (loc[0] === "body") loc = loc.slice(1);
      for (const key of prefix) if (loc[0] === key) loc = loc.slice(1);
      const path = loc.join(".");
      const entry = fields.find((candidate) => candidate.path === path) || fields.find((candidate) => path && path.startsWith(`${candidate.path}.`));
      if (entry) replace(entry.message, detail.msg);
      else unplaced.push(`${path ? `${path}: ` : ""}${detail.msg}`);
    }
    replace(general, unplaced.length ? unplaced.join(" ") : "");
  }

  return { element, value: collect, validate, showServerError };
}
