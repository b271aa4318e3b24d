// The server's settings and version (the original's /settings), with the theme choice.

import { h, replace, table } from "../dom.js";
import { themeChoice, setTheme } from "../theme.js";

export async function render(ctx) {
  const { api, signal } = ctx;
  ctx.title("Settings");
  const [values, version] = await Promise.all([api.get("/admin/settings", { signal }), api.get("/admin/version", { signal })]);
  const theme = h("select", { "aria-label": "Theme", onchange: (event) => setTheme(event.target.value) },
    [["system", "Follow the system"], ["light", "Light"], ["dark", "Dark"]].map(([value, label]) =>
      h("option", { value, selected: value === themeChoice() }, label)));
  const rows = Object.entries(values).map(([name, value]) => ({ name, value }));
  replace(ctx.root,
    h("header", { class: "page-header" }, h("h1", {}, "Settings")),
    h("section", { class: "panel" }, h("h2", {}, "Appearance"), h("label", {}, "Theme ", theme)),
    h("section", { class: "panel" }, h("h2", {}, "Server"), h("p", {}, "Version ", h("code", { class: "server-version" }, String(version))),
      table([
        { label: "Setting", cell: (r) => h("code", {}, r.name) },
        { label: "Value", cell: (r) => (typeof r.value === "string" ? r.value : JSON.stringify(r.value)) },
      ], rows)));
}
