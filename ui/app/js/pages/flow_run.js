// One flow run: its state, times, parameters, state history, task runs on a timeline,
// subflows and parent, and its logs, all following the run live. Long lists (task runs,
// logs) are windowed: only the rows in view are in the page.

import { h, replace, loading, errorBox, empty, stateBadge, fmtDate, fmtDuration, tags, jsonBlock, facts, table } from "../dom.js";
import { VirtualList, stateColour, confirmAction, inNotice } from "../components.js";
import { throttle } from "../live.js";
import { runGraph } from "../graph.js";
import { logRow, downloadLogs } from "../logs.js";

const LEVELS = [["0", "All levels"], ["10", "Debug and up"], ["20", "Info and up"], ["30", "Warning and up"], ["40", "Error and up"], ["50", "Critical"]];
const ACTIVE = ["SCHEDULED", "PENDING", "RUNNING", "PAUSED"];
const TERMINAL = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"];

export async function render(ctx) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const byRun = { flow_runs: { id: { any_: [id] } } };
  let run = await api.get(`/flow_runs/${id}`, { signal });
  const [flow, deployment, parent] = await Promise.all([
    api.get(`/flows/${run.flow_id}`, { signal }).catch(() => null),
    run.deployment_id ? api.get(`/deployments/${run.deployment_id}`, { signal }).catch(() => null) : null,
    run.parent_task_run_id
      ? api.post("/flow_runs/filter", { task_runs: { id: { any_: [run.parent_task_run_id] } }, limit: 1 }, { signal }).then((runs) => runs[0] || null)
      : null,
  ]);
  const flowName = flow ? flow.name : "Unknown flow";
  ctx.title(`${flowName} / ${run.name}`);

  const header = h("header", { class: "page-header" });
  const notice = h("div", { class: "notice", role: "status" });
  const summary = h("section", { class: "panel summary" });
  const states = h("section", { class: "panel" }, h("h2", {}, "State history"), loading());
  const subflows = h("section", { class: "panel" }, h("h2", {}, "Subflows"), loading());
  const levelSelect = h("select", { "aria-label": "Log level", onchange: () => logs.reset() },
    LEVELS.map(([value, label]) => h("option", { value, selected: value === "0" }, label)));
  const follow = h("input", { type: "checkbox", checked: true });

  // Task runs: a row per task with a bar placed on the run's time span.
  const taskList = new VirtualList({
    rowHeight: 28,
    height: 420,
    className: "timeline",
    emptyText: "This run has no task runs.",
    count: () => api.post("/task_runs/count", byRun, { signal }),
    fetchPage: (offset, limit) => api.post("/task_runs/filter", { ...byRun, sort: "EXPECTED_START_TIME_ASC", offset, limit }, { signal }),
    renderRow: (task) => taskRow(task, run, ctx.link),
  });
  const logs = new VirtualList({
    rowHeight: 22,
    height: 480,
    className: "logs",
    emptyText: "No logs at this level.",
    fetchPage: (offset, limit) => api.post("/logs/filter", { ...logFilter(), offset, limit }, { signal }),
    renderRow: logRow,
  });

  const graph = runGraph({ api, runId: id, signal, navigate: ctx.navigate });
  const logFilter = () => ({ logs: { flow_run_id: { any_: [id] }, level: { ge_: Number(levelSelect.value) } }, sort: "TIMESTAMP_ASC" });
  const download = h("button", { type: "button", onclick: () => downloadLogs(api, logFilter(), `${run.name}-logs.txt`).catch((error) => replace(notice, errorBox(error))) }, "Download logs");

  const act = async (label, request) => {
    replace(notice, `${label}…`);
    try {
      const result = await request();
      if (result && result.status && result.status !== "ACCEPT") {
        replace(notice, h("span", { class: "error-text" }, `${label} was not accepted (${result.status}): ${result.details?.reason || ""}`));
      } else {
        replace(notice, `${label}: done.`);
      }
      await refreshRun();
    } catch (error) {
      replace(notice, errorBox(error));
    }
  };
  const setState = (state, force = false) => api.post(`/flow_runs/${id}/set_state`, { state, force });

  const actions = () => {
    if (!ctx.canWrite) return null; // viewers read only
    const type = run.state_type;
    const buttons = [];
    if (ACTIVE.includes(type)) {
      buttons.push(h("button", { type: "button", onclick: async () => {
        if (await confirmAction("Cancel this flow run?", `"${run.name}" will be cancelled.`, "Cancel run")) act("Cancel", () => setState({ type: "CANCELLING", name: "Cancelling" }));
      } }, "Cancel"));
    }
    if (TERMINAL.includes(type) && run.deployment_id) {
      buttons.push(h("button", { type: "button", onclick: () => act("Retry", () => setState({
        type: "SCHEDULED", name: "AwaitingRetry", message: "Retry from the UI", state_details: { scheduled_time: new Date().toISOString() },
      }, true)) }, "Retry"));
    }
    if (type === "PAUSED") {
      buttons.push(h("button", { type: "button", onclick: () => act("Resume", () => api.post(`/flow_runs/${id}/resume`)) }, "Resume"));
    }
    buttons.push(h("button", { type: "button", class: "danger", onclick: async () => {
      if (!await confirmAction("Delete this flow run?", `"${run.name}", its task runs and states will be deleted. This cannot be undone.`)) return;
      await inNotice(notice, async () => {
        await api.delete(`/flow_runs/${id}`);
        ctx.navigate("/flow-runs");
      });
    } }, "Delete"));
    return h("div", { class: "actions" }, buttons);
  };

  const axis = h("div", { class: "timeline-axis", "aria-hidden": "true" });
  const drawSummary = () => {
    const range = span(run);
    replace(axis, range ? [h("span", {}, fmtDate(new Date(range[0]))), h("span", {}, run.end_time ? fmtDate(run.end_time) : "now")] : null);
    replace(header,
      h("h1", {}, h("span", { class: "muted" }, ctx.link(`/flows/flow/${run.flow_id}`, flowName), " / "), run.name, " ", stateBadge(run.state_type, run.state_name)),
      actions());
    replace(summary,
      facts([
        ["State", [stateBadge(run.state_type, run.state_name), run.state?.message ? h("span", { class: "muted" }, ` ${run.state.message}`) : null]],
        ["Flow", ctx.link(`/flows/flow/${run.flow_id}`, flowName)],
        ["Deployment", deployment ? ctx.link(`/deployments/deployment/${deployment.id}`, deployment.name) : "—"],
        ["Work queue", run.work_queue_name || "—"],
        ["Parent run", parent ? ctx.link(`/flow-runs/flow-run/${parent.id}`, parent.name) : "—"],
        ["Expected start", fmtDate(run.expected_start_time)],
        ["Start", fmtDate(run.start_time)],
        ["End", fmtDate(run.end_time)],
        ["Duration", run.start_time ? fmtDuration(run.estimated_run_time ?? run.total_run_time) : "—"],
        ["Run count", String(run.run_count)],
        ["Tags", run.tags?.length ? tags(run.tags) : "—"],
        ["Admin", h("a", { href: ctx.href(`/admin/api/flowrun/${run.id}/change/`), class: "admin-link" }, "Open in Django admin")],
      ]),
      h("h2", {}, "Parameters"),
      Object.keys(run.parameters || {}).length ? jsonBlock(run.parameters) : empty("No parameters."));
  };

  const loadStates = async () => {
    try {
      const history = await api.get(`/flow_run_states/?flow_run_id=${id}`, { signal });
      replace(states, h("h2", {}, "State history"), history.length ? table([
        { label: "Time", cell: (s) => fmtDate(s.timestamp) },
        { label: "State", cell: (s) => stateBadge(s.type, s.name) },
        { label: "Message", cell: (s) => s.message || "" },
      ], history) : empty("No states recorded."));
    } catch (error) {
      if (error.name !== "AbortError") replace(states, h("h2", {}, "State history"), errorBox(error));
    }
  };

  const loadSubflows = async () => {
    try {
      const parents = await api.post("/task_runs/filter", { ...byRun, task_runs: { subflow_runs: { exists_: true } }, limit: 200 }, { signal });
      const children = parents.length
        ? await api.post("/flow_runs/filter", { flow_runs: { parent_task_run_id: { any_: parents.map((t) => t.id) } }, sort: "START_TIME_ASC", limit: 200 }, { signal })
        : [];
      replace(subflows, h("h2", {}, "Subflows"), children.length ? h("ul", { class: "subflows" }, children.map((child) =>
        h("li", {}, ctx.link(`/flow-runs/flow-run/${child.id}`, child.name), " ", stateBadge(child.state_type, child.state_name)))) : empty("No subflows."));
    } catch (error) {
      if (error.name !== "AbortError") replace(subflows, h("h2", {}, "Subflows"), errorBox(error));
    }
  };

  const refreshRun = async () => {
    run = await api.get(`/flow_runs/${id}`, { signal });
    drawSummary();
    await loadStates();
  };

  drawSummary();
  replace(ctx.root,
    header, notice, summary,
    h("section", { class: "panel" }, h("h2", {}, "Graph"), graph.element),
    h("section", { class: "panel" }, h("h2", {}, "Task runs"), axis, taskList.wrapper),
    subflows,
    h("section", { class: "panel" },
      h("header", { class: "section-header" }, h("h2", {}, "Logs"), levelSelect, h("label", {}, follow, " Follow new logs"), download),
      logs.wrapper),
    states);
  await Promise.all([taskList.reset(), logs.reset(), loadStates(), loadSubflows(), graph.start()]);

  const onRun = throttle(() => refreshRun().catch(() => undefined), 1000);
  const onTasks = throttle(() => Promise.all([taskList.refresh(), loadSubflows(), graph.refresh()]).catch(() => undefined), 2000);
  const onLogs = throttle(async () => {
    if (!follow.checked) return;
    const atEnd = logs.element.scrollTop + logs.element.clientHeight >= logs.element.scrollHeight - 30;
    await logs.extend().catch(() => undefined);
    if (atEnd) logs.element.scrollTop = logs.element.scrollHeight;
  }, 1000);
  ctx.subscribe(`flow_run.${id}`, (event) => {
    if (event.event === "flow_run_state") onRun();
    else if (event.event === "task_run_state") onTasks();
    else if (event.event === "logs") onLogs();
    else {
      onRun();
      onTasks();
      onLogs();
    }
  });
}

function span(run) {
  const start = run.start_time ? new Date(run.start_time).getTime() : null;
  const end = run.end_time ? new Date(run.end_time).getTime() : Date.now();
  return start === null ? null : [start, Math.max(end, start + 1)];
}

function taskRow(task, run, link) {
  const range = span(run);
  let bar = null;
  if (range && task.start_time) {
    const [start, end] = range;
    const taskStart = new Date(task.start_time).getTime();
    const taskEnd = task.end_time ? new Date(task.end_time).getTime() : Date.now();
    const left = Math.min(100, Math.max(0, ((taskStart - start) / (end - start)) * 100));
    const width = Math.max(0.3, Math.min(100 - left, ((taskEnd - taskStart) / (end - start)) * 100));
    bar = h("div", { class: "bar", style: { left: `${left}%`, width: `${width}%`, background: stateColour(task.state_type) } });
  }
  return h("div", { class: "task-row", dataset: { taskRunId: task.id } },
    h("span", { class: "task-name", title: task.name }, link(`/flow-runs/task-run/${task.id}`, task.name)),
    h("span", { class: "task-state" }, stateBadge(task.state_type, task.state_name)),
    h("span", { class: "task-track", title: `${fmtDate(task.start_time)} → ${fmtDate(task.end_time)}` }, bar),
    h("span", { class: "task-duration" }, fmtDuration(task.estimated_run_time ?? task.total_run_time)));
}
