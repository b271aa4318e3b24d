// About: server and API versions, and the server's settings (secrets come masked).

import { h, replace, facts, table } from "../dom.js";

export async function render(ctx) {
  const { api, signal } = ctx;
  ctx.title("About");
  // /api/admin/* is for admins; other roles see the API version only.
  const admin = ctx.me.role === "admin";
  const [serverVersion, apiVersion, settings] = await Promise.all([
    admin ? api.get("/admin/version", { signal }) : "(admins only)",
    api.get("/version", { signal }),
    admin ? api.get("/admin/settings", { signal }) : {},
  ]);
  const rows = Object.entries(settings || {}).sort(([a], [b]) => a.localeCompare(b));
  replace(ctx.root,
    h("header", { class: "page-header" }, h("h1", {}, "About")),
    h("section", { class: "panel" }, facts([
      ["Server version", h("span", { id: "server-version" }, String(serverVersion))],
      ["API version", h("span", { id: "api-version" }, String(apiVersion))],
      ["API URL", api.baseUrl],
    ])),
    h("section", { class: "panel" }, h("h2", {}, "Settings"), table([
      { label: "Setting", cell: ([key]) => h("code", {}, key) },
      { label: "Value", cell: ([, value]) => (typeof value === "object" && value !== null ? JSON.stringify(value) : String(value)) },
    ], rows)));
}
