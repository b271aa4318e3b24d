// DOM helpers and formatters shared by every page. Everything the API returns is put on
// the page as text nodes (never as HTML), so names and log lines cannot inject markup.

/** Build an element: h("a", {href: "x", class: "y", onclick: fn}, "text", child, [more]). */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (key === "style" && typeof value === "object") {
      Object.assign(element.style, value);
    } else if (key in element && typeof value !== "string") {
      element[key] = value;
    } else {
      element.setAttribute(key, value === true ? "" : value);
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : String(child));
  }
}

/** An SVG element (charts). */
export function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) element.setAttribute(key, value);
  }
  append(element, children);
  return element;
}

/** Replace the content of ``element``. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export const STATE_TYPES = [
  "SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING",
  "COMPLETED", "FAILED", "CRASHED", "CANCELLED",
];

/** A coloured badge naming a run's state. */
export function stateBadge(type, name) {
  if (!type) return h("span", { class: "state state-none" }, "No state");
  return h("span", { class: `state state-${type.toLowerCase()}`, title: type }, name || titleCase(type));
}

export function titleCase(text) {
  return text.charAt(0) + text.slice(1).toLowerCase();
}

/** "2026-11-21 12:03:04" in the browser's time zone; "—" for nothing. */
export function fmtDate(value) {
  if (!value) return "—";
  const date = new Date(value);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A log line's time: "12:03:04.123" (the date is in the run's header). */
export function fmtTime(value) {
  const date = new Date(value);
  const pad = (n, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A duration in seconds as "1h 2m 3s" / "4.2s". */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${Math.round(seconds * 10) / 10}s`;
  const total = Math.round(seconds);
  const parts = [];
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  if (days) parts.push(`${days}d`);
  if (hours) parts.push(`${hours}h`);
  if (minutes) parts.push(`${minutes}m`);
  if (total % 60 && !days) parts.push(`${total % 60}s`);
  return parts.join(" ");
}

/** "3 minutes ago" / "in 2 hours". */
export function fmtRelative(value) {
  if (!value) return "—";
  const seconds = (new Date(value).getTime() - Date.now()) / 1000;
  const abs = Math.abs(seconds);
  const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  const [unit, size] = units.find(([, s]) => abs >= s) || units[3];
  return new Intl.RelativeTimeFormat("en", { numeric: "auto" }).format(Math.round(seconds / size), unit);
}

/** Placeholder shown while a section loads. */
export function loading(what = "Loading") {
  return h("p", { class: "loading", role: "status" }, `${what}…`);
}

/** A friendly "nothing here" block. */
export function empty(message) {
  return h("p", { class: "empty" }, message);
}

/** An API or network error, shown where the content would have been. */
export function errorBox(error) {
  const status = error && error.status ? `${error.status} ` : "";
  return h("div", { class: "error", role: "alert" },
    h("strong", {}, `Could not load this: ${status}`),
    h("span", {}, error && error.message ? error.message : String(error)));
}

/** A table from column specs [{label, cell(row)}]. */
export function table(columns, rows, { rowClass } = {}) {
  return h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, columns.map((column) => h("th", {}, column.label)))),
    h("tbody", {}, rows.map((row) =>
      h("tr", { class: rowClass ? rowClass(row) : null }, columns.map((column) => h("td", {}, column.cell(row)))))));
}

/** Tags as small chips. */
export function tags(list) {
  return (list || []).map((tag) => h("span", { class: "tag" }, tag));
}

/** Pretty JSON in a <pre>. */
export function jsonBlock(value) {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

/** A definition list from [label, value] pairs. */
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
}
