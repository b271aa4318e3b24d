// Log lines of the flow-run page: one line each in the windowed list, a multi-line
// message (a traceback) opened in full on request, and the logs downloaded as text.

import { h, fmtDate, fmtTime } from "./dom.js";
import { dialog } from "./components.js";

export const LEVEL_NAMES = { 10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL" };
const PAGE = 200; // the API's largest page

const levelName = (level) => LEVEL_NAMES[level] || String(level);

/** A fixed-height row; a message of several lines gets a button showing all of it. */
export function logRow(log) {
  const level = levelName(log.level);
  const lines = log.message.split("\n");
  const more = lines.length > 1
    ? h("button", { type: "button", class: "link-button log-more", onclick: () => showLog(log) }, `+${lines.length - 1} lines`)
    : null;
  return h("div", { class: `log-row level-${level.toLowerCase()}` },
    h("span", { class: "log-time", title: fmtDate(log.timestamp) }, fmtTime(log.timestamp)),
    h("span", { class: "log-level" }, level),
    h("span", { class: "log-message", title: log.message }, lines[0]),
    more);
}

function showLog(log) {
  return dialog(`${levelName(log.level)} · ${fmtDate(log.timestamp)}`, h("pre", { class: "log-full" }, log.message), []);
}

/** Every log matching ``filter`` (a /logs/filter body without paging), as a text file. */
export async function downloadLogs(api, filter, filename) {
  const lines = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.post("/logs/filter", { ...filter, offset, limit: PAGE });
    for (const log of page) lines.push(`${log.timestamp} ${levelName(log.level).padEnd(8)} ${log.name}: ${log.message}`);
    if (page.length < PAGE) break;
  }
  const url = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/plain" }));
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
