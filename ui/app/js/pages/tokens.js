// Tokens: the signed-in user's API tokens. A new token's secret is shown once, here;
// the server keeps only its hash. Revoked and expired tokens stay listed, marked so.

import { h, replace, table, fmtDate, loading, empty, errorBox } from "../dom.js";

function status(token) {
  if (token.revoked) return "revoked";
  if (token.expires && new Date(token.expires) <= new Date()) return "expired";
  return "active";
}

export async function render(ctx) {
  const { api, signal } = ctx;
  ctx.title("Tokens");
  const header = h("header", { class: "page-header" }, h("h1", {}, "API tokens"));
  if (!ctx.me.username) {
    replace(ctx.root, header, h("section", { class: "panel" },
      empty("Sign in to manage your API tokens."), h("a", { href: ctx.href("/login/") }, "Sign in")));
    return;
  }
  const notice = h("div", { class: "notice", role: "status" });
  const list = h("section", { class: "panel" }, loading());
  const name = h("input", { name: "name", required: true, maxlength: 100, placeholder: "e.g. laptop agent", "aria-label": "Token name" });
  const days = h("input", { name: "expires_days", type: "number", min: 1, max: 3650, placeholder: "never", "aria-label": "Expires after days" });
  const form = h("form", { class: "token-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const created = await api.post("/me/tokens", { name: name.value, expires_days: days.value ? Number(days.value) : null });
      replace(notice, h("p", {}, `Token "${created.name}" created. Copy it now: it is not shown again.`),
        h("code", { class: "token-secret", id: "new-token" }, created.token));
      form.reset();
      await load();
    } catch (error) {
      replace(notice, errorBox(error));
    }
  } },
    h("label", {}, "Name", name),
    h("label", {}, "Expires after (days)", days),
    h("button", { type: "submit", class: "primary" }, "Create token"));

  const load = async () => {
    const tokens = await api.get("/me/tokens", { signal });
    replace(list, tokens.length ? table([
      { label: "Name", cell: (t) => t.name },
      { label: "Starts with", cell: (t) => h("code", {}, `${t.prefix}…`) },
      { label: "Created", cell: (t) => fmtDate(t.created) },
      { label: "Expires", cell: (t) => (t.expires ? fmtDate(t.expires) : "never") },
      { label: "Last used", cell: (t) => (t.last_used ? fmtDate(t.last_used) : "never") },
      { label: "Status", cell: (t) => status(t) },
      { label: "", cell: (t) => (t.revoked ? "" : h("button", { type: "button", class: "danger", onclick: async () => {
        try {
          await api.delete(`/me/tokens/${t.id}`);
          replace(notice, `Token "${t.name}" revoked.`);
          await load();
        } catch (error) {
          replace(notice, errorBox(error));
        }
      } }, "Revoke")) },
    ], tokens, { rowClass: (t) => `token-${status(t)}` }) : empty("No tokens yet."));
  };
  replace(ctx.root, header,
    h("section", { class: "panel" }, h("h2", {}, "New token"),
      h("p", {}, "The client and agents use a token as PREFECT_API_KEY. It acts with your role: ", h("strong", {}, ctx.me.role || "none"), "."),
      form),
    notice, list);
  await load();
}
