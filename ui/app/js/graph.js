// The run graph of a flow run: its task runs on a time axis in a <canvas>, an arrow from
// each task run to the ones that consumed its result (task_inputs, from
// GET /flow_runs/{id}/graph), subflows expandable in place, zoom (wheel, buttons) and fit.
// Only what is in view is drawn, so a run of thousands of task runs stays smooth.

import { h, replace, errorBox, fmtDate, fmtDuration } from "./dom.js";
import { stateColour } from "./components.js";

const ROW = 22; // px per lane
const BAR = 14; // bar height inside a lane
const AXIS = 24; // px of time axis at the top
const HEIGHT = 360; // px at most; a small graph gets what its rows need
const MIN_SPAN_MS = 50;
const ZOOM_STEP = 1.5;
const TICKS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400].map((s) => s * 1000);

/** Mount a run graph for flow run ``runId``; returns its element (filled as data arrives). */
export function runGraph({ api, runId, signal, navigate }) {
  const canvas = h("canvas", { class: "run-graph-canvas", role: "img", "aria-label": "Task dependency graph" });
  const tip = h("div", { class: "run-graph-tip", hidden: true });
  const subflowBar = h("div", { class: "run-graph-subflows" });
  const status = h("span", { class: "muted run-graph-status" });
  const button = (label, title, onclick) => h("button", { type: "button", title, onclick }, label);
  const element = h("div", { class: "run-graph" },
    h("div", { class: "run-graph-tools" },
      button("Fit", "Show the whole run", () => fit()),
      button("+", "Zoom in", () => zoom(1 / ZOOM_STEP)),
      button("−", "Zoom out", () => zoom(ZOOM_STEP)),
      status),
    h("div", { class: "run-graph-view" }, canvas, tip),
    subflowBar);

  // Each graph (the run's, and every expanded subflow's) is a list of laid-out nodes.
  const graphs = new Map(); // flow run id -> { nodes, byId }
  const children = new Map(); // task run id -> child flow run (subflow placeholders)
  const expanded = new Set(); // task run ids whose subflow is shown
  let rows = []; // [{ nodes: [...], depth }]
  let placed = []; // every drawn node with its row index
  let view = { start: 0, end: 1, top: 0 }; // visible time window (ms) and first row (px)

  const load = async (flowRunId) => {
    if (graphs.has(flowRunId)) return graphs.get(flowRunId);
    const nodes = (await api.get(`/flow_runs/${flowRunId}/graph`, { signal })).map(toNode);
    const graph = { nodes, byId: new Map(nodes.map((n) => [n.id, n])) };
    graphs.set(flowRunId, graph);
    await loadChildren(flowRunId);
    return graph;
  };
  const loadChildren = async (flowRunId) => {
    const parents = await api.post("/task_runs/filter", {
      flow_runs: { id: { any_: [flowRunId] } }, task_runs: { subflow_runs: { exists_: true } }, limit: 200,
    }, { signal });
    if (!parents.length) return;
    const runs = await api.post("/flow_runs/filter", { flow_runs: { parent_task_run_id: { any_: parents.map((t) => t.id) } }, limit: 200 }, { signal });
    for (const child of runs) children.set(child.parent_task_run_id, child);
  };

  // A row per task run in start order, so every label is readable; an expanded
  // subflow's rows follow its placeholder's.
  const layout = () => {
    rows = [];
    const addGraph = (graph, depth) => {
      for (const node of [...graph.nodes].sort((a, b) => a.start - b.start)) {
        rows.push({ nodes: [node], depth });
        const child = children.get(node.id);
        if (child && expanded.has(node.id) && graphs.has(child.id)) addGraph(graphs.get(child.id), depth + 1);
      }
    };
    addGraph(graphs.get(runId), 0);
    placed = [];
    rows.forEach((row, index) => row.nodes.forEach((node) => { node.row = index; placed.push(node); }));
    element.dataset.nodes = String(placed.length);
    element.dataset.rows = String(rows.length);
  };

  const extent = () => {
    if (!placed.length) return [Date.now() - 1000, Date.now()];
    let start = Infinity, end = -Infinity;
    for (const node of placed) { start = Math.min(start, node.start); end = Math.max(end, node.end); }
    const pad = Math.max(MIN_SPAN_MS, (end - start) * 0.02);
    return [start - pad, end + pad];
  };
  const fit = () => {
    const [start, end] = extent();
    view = { start, end, top: 0 };
    draw();
  };
  const zoom = (factor, anchor = 0.5) => {
    const width = view.end - view.start;
    const next = Math.max(MIN_SPAN_MS, width * factor);
    const at = view.start + width * anchor;
    view.start = at - next * anchor;
    view.end = view.start + next;
    draw();
  };

  const viewHeight = () => Math.min(HEIGHT, Math.max(4 * ROW, AXIS + rows.length * ROW + 8));
  const size = () => {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 800;
    const height = viewHeight();
    canvas.style.height = `${height}px`;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    return { width, height, ratio };
  };

  const draw = () => {
    const { width, height, ratio } = size();
    const g = canvas.getContext("2d");
    const css = getComputedStyle(element);
    const colours = { fg: css.getPropertyValue("--fg") || "#1f2937", muted: css.getPropertyValue("--muted") || "#6b7280", line: css.getPropertyValue("--line") || "#e5e7eb" };
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const span = view.end - view.start;
    const x = (t) => ((t - view.start) / span) * width;
    const y = (row) => AXIS + row * ROW - view.top;
    const firstRow = Math.max(0, Math.floor(view.top / ROW));
    const lastRow = Math.min(rows.length - 1, Math.ceil((view.top + height - AXIS) / ROW));

    // Time axis: tick spacing chosen so labels are ~100 px apart.
    const tick = TICKS.find((t) => (t / span) * width >= 100) || TICKS[TICKS.length - 1];
    g.font = "11px system-ui, sans-serif";
    g.fillStyle = colours.muted;
    g.strokeStyle = colours.line;
    g.lineWidth = 1;
    for (let t = Math.ceil(view.start / tick) * tick; t <= view.end; t += tick) {
      const px = Math.round(x(t)) + 0.5;
      g.beginPath(); g.moveTo(px, AXIS - 6); g.lineTo(px, height); g.stroke();
      g.fillText(new Date(t).toLocaleTimeString(), px + 3, 12);
    }

    let drawn = 0;
    const visible = (node) => node.row >= firstRow && node.row <= lastRow && node.end >= view.start && node.start <= view.end;
    g.save();
    g.beginPath(); g.rect(0, AXIS, width, height - AXIS); g.clip();
    // Edges first, under the bars: only those with an end in view.
    g.strokeStyle = colours.muted;
    g.beginPath();
    for (let row = firstRow; row <= lastRow; row += 1) {
      for (const node of rows[row].nodes) {
        for (const upId of node.upstream) {
          const up = owner.get(node.id)?.byId.get(upId);
          if (!up || (!visible(node) && !visible(up))) continue;
          const x1 = x(up.end), y1 = y(up.row) + ROW / 2, x2 = x(node.start), y2 = y(node.row) + ROW / 2;
          g.moveTo(x1, y1);
          g.bezierCurveTo(x1 + 20, y1, x2 - 20, y2, x2, y2);
        }
      }
    }
    g.stroke();
    for (let row = firstRow; row <= lastRow; row += 1) {
      for (const node of rows[row].nodes) {
        if (!visible(node)) continue;
        const indent = rows[row].depth * 12;
        const left = x(node.start) + indent, barWidth = Math.max(2, x(node.end) - left), top = y(node.row) + (ROW - BAR) / 2;
        g.fillStyle = stateColour(node.stateType);
        g.globalAlpha = children.has(node.id) ? 0.6 : 1;
        g.fillRect(left, top, barWidth, BAR);
        g.globalAlpha = 1;
        if (children.has(node.id)) {
          g.strokeStyle = colours.fg;
          g.strokeRect(left + 0.5, top + 0.5, barWidth - 1, BAR - 1);
        }
        const label = (children.has(node.id) ? (expanded.has(node.id) ? "▾ " : "▸ ") : "") + node.name;
        g.fillStyle = colours.fg;
        g.fillText(label, Math.max(left, 0) + (barWidth > 60 ? 4 : barWidth + 4), top + BAR - 3);
        drawn += 1;
      }
    }
    g.restore();
    element.dataset.drawn = String(drawn);
    replace(status, `${placed.length.toLocaleString()} task runs${drawn < placed.length ? `, ${drawn.toLocaleString()} in view` : ""}`);
  };

  // Edges point inside one graph: the graph each node came from.
  const owner = new Map(); // task run id -> graph

  const hit = (event) => {
    const rect = canvas.getBoundingClientRect();
    const px = event.clientX - rect.left, py = event.clientY - rect.top;
    const row = Math.floor((py - AXIS + view.top) / ROW);
    if (py < AXIS || !rows[row]) return null;
    const t = view.start + (px / rect.width) * (view.end - view.start);
    const slack = (4 / rect.width) * (view.end - view.start);
    return rows[row].nodes.find((n) => n.start - slack <= t && t <= n.end + slack) || null;
  };
  const toggle = async (taskRunId) => {
    const child = children.get(taskRunId);
    if (!child) return;
    if (expanded.has(taskRunId)) {
      expanded.delete(taskRunId);
    } else {
      try {
        register(await load(child.id));
      } catch (error) {
        if (error.name !== "AbortError") replace(subflowBar, errorBox(error));
        return;
      }
      expanded.add(taskRunId);
    }
    layout();
    drawSubflowButtons();
    draw();
  };
  const register = (graph) => { for (const node of graph.nodes) owner.set(node.id, graph); };
  const drawSubflowButtons = () => {
    const items = placed.filter((n) => children.has(n.id));
    replace(subflowBar, items.length ? [h("span", { class: "muted" }, "Subflows: "), items.map((node) => h("button", {
      type: "button", class: "link-button", "aria-expanded": String(expanded.has(node.id)), onclick: () => toggle(node.id),
    }, `${expanded.has(node.id) ? "Collapse" : "Expand"} ${children.get(node.id).name}`))] : null);
  };

  let drag = null;
  canvas.addEventListener("wheel", (event) => {
    // Wheel scrolls the rows, Ctrl/⌘+wheel zooms time at the pointer, Shift+wheel pans time.
    if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      const shift = ((event.deltaX || event.deltaY) / canvas.clientWidth) * (view.end - view.start);
      view.start += shift; view.end += shift;
      draw();
    } else if (event.ctrlKey || event.metaKey) {
      const rect = canvas.getBoundingClientRect();
      zoom(event.deltaY > 0 ? ZOOM_STEP : 1 / ZOOM_STEP, (event.clientX - rect.left) / rect.width);
    } else {
      const top = clampTop(view.top + event.deltaY);
      if (top === view.top) return; // at an end: let the page scroll on
      view.top = top;
      draw();
    }
    event.preventDefault();
  }, { passive: false });
  const clampTop = (top) => Math.max(0, Math.min(top, Math.max(0, rows.length * ROW - (viewHeight() - AXIS))));
  canvas.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, view: { ...view }, moved: false };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drag) {
      const node = hit(event);
      tip.hidden = !node;
      if (node) {
        replace(tip, h("strong", {}, node.name), h("div", {}, `${node.stateName || ""} · ${fmtDuration(node.duration)}`),
          h("div", { class: "muted" }, `${fmtDate(node.startTime)} → ${fmtDate(node.endTime)}`));
        tip.style.left = `${event.offsetX + 12}px`;
        tip.style.top = `${event.offsetY + 12}px`;
      }
      return;
    }
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    const shift = (dx / canvas.clientWidth) * (drag.view.end - drag.view.start);
    view = { start: drag.view.start - shift, end: drag.view.end - shift, top: clampTop(drag.view.top - dy) };
    draw();
  });
  canvas.addEventListener("pointerup", (event) => {
    const wasClick = drag && !drag.moved;
    drag = null;
    if (!wasClick) return;
    const node = hit(event);
    if (!node) return;
    if (children.has(node.id)) toggle(node.id);
    else if (navigate) navigate(`/flow-runs/task-run/${node.id}`);
  });
  canvas.addEventListener("pointerleave", () => { tip.hidden = true; });
  const resize = new ResizeObserver(() => draw());

  const refresh = async () => {
    graphs.clear();
    const graph = await load(runId);
    register(graph);
    for (const taskRunId of expanded) {
      const child = children.get(taskRunId);
      if (child) register(await load(child.id));
    }
    const first = rows.length === 0;
    layout();
    drawSubflowButtons();
    if (first) fit(); else draw();
  };

  const start = async () => {
    try {
      await refresh();
      resize.observe(canvas);
    } catch (error) {
      if (error.name !== "AbortError") replace(element, errorBox(error));
    }
  };
  signal?.addEventListener("abort", () => resize.disconnect());
  return { element, start, refresh };
}

function toNode(result) {
  const now = Date.now();
  const startTime = result.start_time || result.expected_start_time;
  const start = startTime ? new Date(startTime).getTime() : now;
  // A running task's bar grows to now; one that never started is a sliver at its expected start.
  const end = result.end_time ? new Date(result.end_time).getTime() : result.start_time ? now : start + MIN_SPAN_MS;
  return {
    id: result.id,
    name: result.name,
    upstream: result.upstream_dependencies.filter((d) => d.input_type === "task_run").map((d) => d.id),
    stateType: result.state?.type,
    stateName: result.state?.name,
    start,
    end: Math.max(end, start + 1),
    startTime: result.start_time,
    endTime: result.end_time,
    duration: result.estimated_run_time ?? result.total_run_time,
    row: 0,
  };
}
