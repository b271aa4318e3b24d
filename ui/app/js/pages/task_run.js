// One task run (the original's /flow-runs/task-run/:id): its state, timing, run count
// (retries), state history and its own logs.

import { h, replace, empty, stateBadge, fmtDate, fmtTime, fmtDuration, tags, table, facts, jsonBlock } from "../dom.js";

const LEVEL_NAMES = { 10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL" };

export async function render(ctx) {
  const { api, signal } = ctx;
  const [id] = ctx.params;
  const task = await api.get(`/task_runs/${id}`, { signal });
  const [run, history, logs] = await Promise.all([
    task.flow_run_id ? api.get(`/flow_runs/${task.flow_run_id}`, { signal }).catch(() => null) : null,
    api.get(`/task_run_states/?task_run_id=${id}`, { signal }),
    api.post("/logs/filter", { logs: { task_run_id: { any_: [id] } }, sort: "TIMESTAMP_ASC", limit: 200 }, { signal }),
  ]);
  ctx.title(task.name);
  const started = Boolean(task.start_time);
  replace(ctx.root,
    h("header", { class: "page-header" },
      h("h1", {}, run ? h("span", { class: "muted" }, ctx.link(`/flow-runs/flow-run/${run.id}`, run.name), " / ") : null,
        task.name, " ", stateBadge(task.state_type, task.state_name))),
    h("section", { class: "panel summary" }, facts([
      ["State", [stateBadge(task.state_type, task.state_name), task.state?.message ? h("span", { class: "muted" }, ` ${task.state.message}`) : null]],
      ["Flow run", run ? ctx.link(`/flow-runs/flow-run/${run.id}`, run.name) : "—"],
      ["Task key", task.task_key],
      ["Expected start", fmtDate(task.expected_start_time)],
      ["Start", fmtDate(task.start_time)],
      ["End", fmtDate(task.end_time)],
      // A run that never started has no duration (not "0ms").
      ["Duration", started ? fmtDuration(task.estimated_run_time ?? task.total_run_time) : "—"],
      ["Run count", String(task.run_count)],
      ["Retries", `${Math.max(0, task.run_count - 1)} of ${task.empirical_policy?.retries ?? task.empirical_policy?.max_retries ?? 0}`],
      ["Cache key", task.cache_key || "—"],
      ["Tags", task.tags?.length ? tags(task.tags) : "—"],
    ]),
    h("h2", {}, "Task inputs"),
    Object.keys(task.task_inputs || {}).length ? jsonBlock(task.task_inputs) : empty("No inputs.")),
    h("section", { class: "panel" }, h("h2", {}, "Logs"), logs.length ? h("div", { class: "task-logs" }, logs.map((log) =>
      h("div", { class: `log-row level-${(LEVEL_NAMES[log.level] || "").toLowerCase()}` },
        h("span", { class: "log-time", title: fmtDate(log.timestamp) }, fmtTime(log.timestamp)),
        h("span", { class: "log-level" }, LEVEL_NAMES[log.level] || String(log.level)),
        h("span", { class: "log-message" }, log.message)))) : empty("This task run has no logs.")),
    h("section", { class: "panel" }, h("h2", {}, "State history"), history.length ? table([
      { label: "Time", cell: (s) => fmtDate(s.timestamp) },
      { label: "State", cell: (s) => stateBadge(s.type, s.name) },
      { label: "Message", cell: (s) => s.message || "" },
    ], history) : empty("No states recorded.")));
}
