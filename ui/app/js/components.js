// Building blocks used by several pages: a windowed list for long data, the run-history
// chart, pagers, the runs table, a modal dialog, and the frame and error line of a
// resource's page.

import { h, svg, replace, stateBadge, fmtDate, fmtDuration, tags, empty, errorBox, STATE_TYPES } from "./dom.js";

/**
 * A scrollable list that only puts the rows in view into the DOM and fetches pages of
 * ``pageSize`` rows as they scroll into view.
 *
 * ``fetchPage(offset, limit)`` returns rows; ``count()`` (optional) returns the total, so
 * the scrollbar is right from the start; without it, rows are loaded in order and the
 * list grows until a short page says there is no more.
 */
export class VirtualList {
  constructor({ rowHeight = 24, height = 480, pageSize = 200, fetchPage, count, renderRow, emptyText, className = "" }) {
    Object.assign(this, { rowHeight, pageSize, fetchPage, count, renderRow, emptyText });
    this.pages = new Map();
    this.pending = new Map();
    this.total = 0;
    this.complete = false;
    this.generation = 0;
    this.spacer = h("div", { class: "vlist-spacer" });
    this.status = h("div", { class: "vlist-status" });
    this.element = h("div", { class: `vlist ${className}`, style: { maxHeight: `${height}px` }, onscroll: () => this.paint() },
      this.spacer);
    this.wrapper = h("div", {}, this.element, this.status);
  }

  /** Forget everything and load from the top (new filter). */
  async reset() {
    this.generation += 1;
    this.pages.clear();
    this.pending.clear();
    this.total = 0;
    this.complete = false;
    this.element.scrollTop = 0;
    replace(this.status, "Loading…");
    try {
      if (this.count) {
        this.total = await this.count();
        this.complete = true;
      }
      await this.load(0);
      this.paint();
    } catch (error) {
      if (error.name !== "AbortError") replace(this.status, errorBox(error));
    }
  }

  /** Refetch the pages in view and the total, keeping the scroll position (live update). */
  async refresh() {
    const generation = this.generation;
    if (this.count) this.total = await this.count();
    const [first, last] = this.visiblePages();
    const fresh = new Map();
    for (let page = first; page <= last; page += 1) {
      fresh.set(page, await this.fetchPage(page * this.pageSize, this.pageSize));
    }
    if (generation !== this.generation) return;
    this.pages = fresh;
    if (!this.count) {
      // Rows are only ever appended here (logs): keep counting from what we hold.
      const lastPage = fresh.get(last) || [];
      this.total = last * this.pageSize + lastPage.length;
      this.complete = lastPage.length < this.pageSize;
    }
    this.paint();
  }

  /** Fetch more rows at the end when the list shows everything it had (live tail). */
  async extend() {
    if (this.count) return this.refresh();
    const lastPage = Math.max(0, Math.ceil(this.total / this.pageSize) - 1);
    if (!this.complete) return undefined;
    // Drop the last partial page, and the empty one after a full page, so both refetch.
    for (const page of [...this.pages.keys()]) if (page >= lastPage) this.pages.delete(page);
    this.complete = false;
    await this.load(lastPage);
    this.paint();
    return undefined;
  }

  visiblePages() {
    const top = this.element.scrollTop;
    const bottom = top + (this.element.clientHeight || 480);
    const first = Math.floor(top / this.rowHeight / this.pageSize);
    const last = Math.floor(Math.max(0, Math.min(this.total, Math.ceil(bottom / this.rowHeight)) - 1) / this.pageSize);
    return [first, Math.max(first, last)];
  }

  async load(page) {
    if (this.pages.has(page)) return;
    if (!this.pending.has(page)) {
      const generation = this.generation;
      const promise = this.fetchPage(page * this.pageSize, this.pageSize).then((rows) => {
        if (generation !== this.generation) return;
        this.pages.set(page, rows);
        if (!this.count) {
          this.total = Math.max(this.total, page * this.pageSize + rows.length);
          this.complete = rows.length < this.pageSize;
        }
      }).finally(() => this.pending.delete(page));
      this.pending.set(page, promise);
    }
    await this.pending.get(page);
  }

  /** Draw the rows in view; fetch the pages they live on if we do not hold them yet. */
  paint() {
    const { rowHeight } = this;
    this.spacer.style.height = `${this.total * rowHeight}px`;
    const top = this.element.scrollTop;
    const height = this.element.clientHeight || 480;
    const first = Math.max(0, Math.floor(top / rowHeight) - 10);
    const last = Math.min(this.total, Math.ceil((top + height) / rowHeight) + 10);
    const rows = [];
    const missing = new Set();
    for (let index = first; index < last; index += 1) {
      const page = Math.floor(index / this.pageSize);
      const row = this.pages.get(page)?.[index - page * this.pageSize];
      const element = row ? this.renderRow(row, index) : h("div", { class: "vlist-placeholder" }, "Loading…");
      if (!row && !this.pages.has(page)) missing.add(page);
      element.classList.add("vlist-row");
      element.style.top = `${index * rowHeight}px`;
      element.style.height = `${rowHeight}px`;
      rows.push(element);
    }
    replace(this.spacer, rows);
    // Near the end of an open-ended list: fetch the next page (once: a page we already
    // hold must not be "loaded" again, or load and paint would call each other forever).
    const next = Math.floor(this.total / this.pageSize);
    if (!this.count && !this.complete && last >= this.total - 20 && !this.pages.has(next)) missing.add(next);
    for (const page of missing) this.load(page).then(() => this.paint()).catch((error) => {
      if (error.name !== "AbortError") replace(this.status, errorBox(error));
    });
    if (this.total === 0 && this.complete) replace(this.status, empty(this.emptyText || "Nothing to show."));
    else replace(this.status, this.count ? `${this.total.toLocaleString()} rows` : `${this.total.toLocaleString()} rows loaded${this.complete ? "" : ", more on scroll"}`);
  }
}

const STATE_COLOURS = {
  COMPLETED: "#16a34a", FAILED: "#dc2626", CRASHED: "#ea580c", CANCELLED: "#6b7280", CANCELLING: "#9ca3af",
  RUNNING: "#2563eb", PENDING: "#a3a3a3", SCHEDULED: "#d4a017", PAUSED: "#8b5cf6",
};

export function stateColour(type) {
  return STATE_COLOURS[type] || "#9ca3af";
}

/** Stacked bars of runs per interval and state type, from a /flow_runs/history answer. */
export function historyChart(history, { width = 1000, height = 180 } = {}) {
  const totals = history.map((bucket) => bucket.states.reduce((sum, s) => sum + s.count_runs, 0));
  if (!totals.some(Boolean)) return empty("No runs in this time window.");
  const max = Math.max(1, ...totals);
  const pad = 24;
  const barWidth = (width - pad) / history.length;
  const bars = [];
  history.forEach((bucket, index) => {
    let y = height - pad;
    const byType = new Map();
    for (const state of bucket.states) byType.set(state.state_type, (byType.get(state.state_type) || 0) + state.count_runs);
    for (const type of STATE_TYPES) {
      const count = byType.get(type);
      if (!count) continue;
      const barHeight = (count / max) * (height - pad - 8);
      y -= barHeight;
      bars.push(svg("rect", {
        x: pad + index * barWidth + 1, y, width: Math.max(1, barWidth - 2), height: barHeight,
        fill: stateColour(type), class: `bar bar-${type.toLowerCase()}`,
      }, svg("title", {}, `${fmtDate(bucket.interval_start)}: ${count} ${type.toLowerCase()}`)));
    }
  });
  const first = history[0].interval_start;
  const last = history[history.length - 1].interval_end;
  return svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Run history" },
    svg("line", { x1: pad, x2: width, y1: height - pad, y2: height - pad, stroke: "#d1d5db" }),
    svg("text", { x: 0, y: 12, class: "axis" }, String(max)),
    svg("text", { x: 0, y: height - pad, class: "axis" }, "0"),
    svg("text", { x: pad, y: height - 6, class: "axis" }, fmtDate(first)),
    svg("text", { x: width, y: height - 6, class: "axis", "text-anchor": "end" }, fmtDate(last)),
    bars);
}

/** "Page 2 of 40 · ‹ ›" controls. */
export function pager({ offset, limit, total, onPage }) {
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  return h("nav", { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", disabled: page <= 1, onclick: () => onPage(offset - limit) }, "‹ Previous"),
    h("span", {}, `Page ${page} of ${pages} · ${total.toLocaleString()} total`),
    h("button", { type: "button", disabled: page >= pages, onclick: () => onPage(offset + limit) }, "Next ›"));
}

/** The flow runs table; ``flows`` maps flow id -> name. ``compact`` leaves out the tags. */
export function runsTable(runs, flows, link, { compact = false } = {}) {
  const labels = ["Run", "State", "Start", "Duration", ...(compact ? [] : ["Tags"])];
  return h("table", { class: "grid runs" },
    h("thead", {}, h("tr", {}, labels.map((label) => h("th", {}, label)))),
    h("tbody", {}, runs.map((run) => h("tr", { dataset: { runId: run.id } },
      h("td", {}, h("span", { class: "muted" }, `${flows.get(run.flow_id) || "flow"} / `), link(`/flow-runs/flow-run/${run.id}`, run.name)),
      h("td", {}, stateBadge(run.state_type, run.state_name)),
      h("td", { class: "nowrap" }, fmtDate(run.start_time || run.expected_start_time)),
      // A run that never started has no duration yet, not "0ms".
      h("td", {}, run.start_time ? fmtDuration(run.estimated_run_time ?? run.total_run_time) : "—"),
      compact ? null : h("td", {}, tags(run.tags))))));
}

/**
 * A modal dialog; resolves with the submit button's value, or null when dismissed.
 * ``check(value)`` may return an error message, which keeps the dialog open.
 */
export function dialog(title, body, actions, { check } = {}) {
  return new Promise((resolve) => {
    const element = h("dialog", { class: "modal" },
      h("form", { method: "dialog" },
        h("h2", {}, title),
        body,
        h("menu", {},
          h("button", { value: "", formnovalidate: true }, "Cancel"),
          actions.map(([label, value, cls]) => h("button", { value, class: cls || "primary" }, label)))));
    const problem = h("p", { class: "error-text", role: "alert" });
    element.querySelector("menu").before(problem);
    element.querySelector("form").addEventListener("submit", (event) => {
      const value = event.submitter ? event.submitter.value : "";
      const message = value && check ? check(value) : null;
      if (message) {
        event.preventDefault();
        replace(problem, message);
      }
    });
    element.addEventListener("close", () => {
      element.remove();
      resolve(element.returnValue || null);
    });
    document.body.append(element);
    element.showModal();
  });
}

/**
 * Ask before a destructive action (delete, cancel); resolves true when confirmed.
 * ``label`` names the button that goes ahead ("Delete", "Cancel run").
 */
export async function confirmAction(title, message, label = "Delete") {
  const answer = await dialog(title, h("p", {}, message), [[label, "confirm", "danger"]]);
  return answer === "confirm";
}

/** Read a form's named fields into an object; empty inputs are left out. */
export function formValues(form) {
  const values = {};
  for (const element of form.elements) {
    if (!element.name) continue;
    if (element.type === "checkbox") values[element.name] = element.checked;
    else if (element.value.trim() === "") continue;
    else if (element.type === "number") values[element.name] = Number(element.value);
    else values[element.name] = element.value.trim();
  }
  return values;
}

/** A labelled form field; ``input`` is the control (its ``name`` is the key). */
export function field(label, input, hint) {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), input,
    hint ? h("span", { class: "muted field-hint" }, hint) : null);
}

/**
 * The header of a list page: its title, a filter box over the table in ``body`` and, for
 * writers, the link ``[path, label]`` to the create form.
 */
export function listHeader(ctx, title, body, filterLabel, [path, label]) {
  return h("header", { class: "page-header" }, h("h1", {}, title),
    h("div", { class: "actions" }, tableFilter(body, filterLabel), ctx.canWrite ? ctx.link(path, label) : null));
}

/** A text filter box over a rendered table: hides rows whose text does not match. */
export function tableFilter(container, placeholder = "Filter") {
  return h("input", { type: "search", class: "list-filter", placeholder, "aria-label": placeholder, oninput: (event) => {
    const needle = event.target.value.trim().toLowerCase();
    for (const row of container.querySelectorAll("tbody tr")) {
      row.hidden = Boolean(needle) && !row.textContent.toLowerCase().includes(needle);
    }
  } });
}

/**
 * The frame of a resource's page in ``ctx.root``: the header, the status line where
 * actions report errors, the summary panel and one more panel titled ``panelTitle``.
 */
export function detailFrame(ctx, panelTitle) {
  const notice = h("div", { class: "notice", role: "status" });
  const header = h("header", { class: "page-header" });
  const summary = h("section", { class: "panel summary" });
  const panel = h("section", { class: "panel" }, h("h2", {}, panelTitle));
  replace(ctx.root, header, notice, summary, panel);
  return { notice, header, summary, panel };
}

/** Run the action ``step``; an error it throws is shown in ``notice`` instead. */
export async function inNotice(notice, step) {
  try {
    await step();
  } catch (error) {
    replace(notice, errorBox(error));
  }
}
