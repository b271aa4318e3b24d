// The app shell: finds the API, opens the live feed, and routes History API paths to
// pages. Paths are relative to the page's <base href>, so the app also works under a
// sub-path behind a reverse proxy.

import { connect } from "./api.js";
import { Live } from "./live.js";
import { h, replace, errorBox, loading } from "./dom.js";
import * as dashboard from "./pages/dashboard.js";
import * as flowRuns from "./pages/flow_runs.js";
import * as flowRun from "./pages/flow_run.js";
import * as flows from "./pages/flows.js";
import * as deployments from "./pages/deployments.js";
import * as workPools from "./pages/work_pools.js";
import * as resources from "./pages/resources.js";
import * as about from "./pages/about.js";
import * as tokens from "./pages/tokens.js";
import * as taskRun from "./pages/task_run.js";
import * as workQueues from "./pages/work_queues.js";
import * as concurrency from "./pages/concurrency.js";
import * as settingsPage from "./pages/settings.js";
import * as poolQueues from "./pages/pool_queues.js";
import * as notifications from "./pages/notifications.js";
import { applyTheme } from "./theme.js";
import * as blocks from "./pages/blocks.js";
import * as deploymentForms from "./pages/deployment_forms.js";
import * as workPoolForms from "./pages/work_pool_forms.js";

const ROUTES = [
  [/^\/(?:dashboard)?$/, dashboard.render, "dashboard"],
  [/^\/flow-runs$/, flowRuns.render, "flow-runs"],
  [/^\/flow-runs\/flow-run\/([\w-]+)$/, flowRun.render, "flow-runs"],
  [/^\/flows$/, flows.renderList, "flows"],
  [/^\/flows\/flow\/([\w-]+)$/, flows.renderOne, "flows"],
  [/^\/deployments$/, deployments.renderList, "deployments"],
  [/^\/deployments\/deployment\/([\w-]+)$/, deployments.renderOne, "deployments"],
  [/^\/work-pools$/, workPools.renderList, "work-pools"],
  [/^\/work-pools\/work-pool\/([^/]+)$/, workPools.renderOne, "work-pools"],
  [/^\/work-pools\/create$/, workPoolForms.renderCreate, "work-pools"],
  [/^\/work-pools\/work-pool\/([^/]+)\/edit$/, workPoolForms.renderEdit, "work-pools"],
  [/^\/blocks$/, blocks.renderList, "blocks"],
  [/^\/blocks\/catalog$/, blocks.renderCatalog, "blocks"],
  [/^\/blocks\/catalog\/([\w-]+)$/, blocks.renderType, "blocks"],
  [/^\/blocks\/catalog\/([\w-]+)\/create$/, blocks.renderCreate, "blocks"],
  [/^\/blocks\/block\/([\w-]+)$/, blocks.renderOne, "blocks"],
  [/^\/blocks\/block\/([\w-]+)\/edit$/, blocks.renderEdit, "blocks"],
  [/^\/deployments\/deployment\/([\w-]+)\/run$/, deploymentForms.renderRun, "deployments"],
  [/^\/deployments\/deployment\/([\w-]+)\/edit$/, deploymentForms.renderEdit, "deployments"],
  [/^\/concurrency-limits$/, resources.renderConcurrencyLimits, "concurrency-limits"],
  [/^\/notifications$/, resources.renderNotifications, "notifications"],
  [/^\/about$/, about.render, "about"],
  [/^\/tokens$/, tokens.render, "tokens"],
  [/^\/flow-runs\/task-run\/([\w-]+)$/, taskRun.render, "flow-runs"],
  [/^\/work-queues$/, workQueues.renderList, "work-queues"],
  [/^\/work-queues\/create$/, workQueues.renderForm, "work-queues"],
  [/^\/work-queues\/work-queue\/([\w-]+)$/, workQueues.renderOne, "work-queues"],
  [/^\/work-queues\/work-queue\/([\w-]+)\/edit$/, workQueues.renderForm, "work-queues"],
  [/^\/concurrency-limits\/create$/, concurrency.renderCreate, "concurrency-limits"],
  [/^\/concurrency-limits\/concurrency-limit\/([\w-]+)$/, concurrency.renderOne, "concurrency-limits"],
  [/^\/settings$/, settingsPage.render, "settings"],
  [/^\/notifications\/create$/, notifications.renderForm, "notifications"],
  [/^\/notifications\/edit\/([\w-]+)$/, notifications.renderForm, "notifications"],
  [/^\/work-pools\/work-pool\/([^/]+)\/queue\/create$/, poolQueues.renderForm, "work-pools"],
  [/^\/work-pools\/work-pool\/([^/]+)\/queue\/([^/]+)$/, poolQueues.renderOne, "work-pools"],
  [/^\/work-pools\/work-pool\/([^/]+)\/queue\/([^/]+)\/edit$/, poolQueues.renderForm, "work-pools"],
];

const NAV = [
  ["dashboard", "Dashboard"], ["flow-runs", "Flow runs"], ["flows", "Flows"], ["deployments", "Deployments"],
  ["work-pools", "Work pools"], ["work-queues", "Work queues"], ["blocks", "Blocks"], ["concurrency-limits", "Concurrency"],
  ["notifications", "Notifications"], ["settings", "Settings"], ["about", "About"],
];

const basePath = new URL(document.baseURI).pathname.replace(/\/?$/, "/");

/** The app path ("/flow-runs") of the current location. */
function currentPath() {
  const path = location.pathname.startsWith(basePath) ? location.pathname.slice(basePath.length - 1) : location.pathname;
  return path.replace(/\/+$/, "") || "/";
}

/** The browser address of an app path. */
function href(path) {
  return basePath + path.replace(/^\//, "");
}

let current = null;
let services = null;

function navigate(path, { replace: replaceState = false } = {}) {
  const url = href(path);
  if (replaceState) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}

/** An in-app link: a real href (open in new tab works) that routes without reloading. */
function link(path, ...children) {
  return h("a", {
    href: href(path),
    onclick: (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      navigate(path);
    },
  }, children);
}

function dispose() {
  if (!current) return;
  current.controller.abort();
  for (const fn of current.cleanups) fn();
  current = null;
}

async function render() {
  dispose();
  const main = document.getElementById("main");
  const path = currentPath();
  const match = ROUTES.map(([pattern, page, section]) => [pattern.exec(path), page, section]).find(([m]) => m);
  for (const item of document.querySelectorAll("#nav a")) {
    item.classList.toggle("active", Boolean(match) && item.dataset.section === match[2]);
  }
  if (!match) {
    document.title = "Not found · Orion";
    replace(main, h("h1", {}, "Page not found"), h("p", {}, "There is no page at ", h("code", {}, path), ". ", link("/", "Go to the dashboard")));
    return;
  }
  const controller = new AbortController();
  const cleanups = [];
  current = { controller, cleanups };
  const root = h("div", { class: "page" });
  replace(main, root);
  replace(root, loading());
  const ctx = {
    root,
    api: services.api,
    live: services.live,
    me: services.me,
    /** Whether the signed-in role may change things (viewers only read). */
    canWrite: services.me.role === "admin" || services.me.role === "operator",
    params: match[0].slice(1).map(decodeURIComponent),
    query: new URLSearchParams(location.search),
    signal: controller.signal,
    link,
    navigate,
    href,
    /** Subscribe to a live group for as long as the page is shown. */
    subscribe(group, handler) {
      cleanups.push(services.live.subscribe(group, handler));
    },
    onDispose(fn) {
      cleanups.push(fn);
    },
    /** Put the page's filters in the address bar without a new history entry. */
    setQuery(params) {
      const search = params.toString();
      history.replaceState(null, "", href(path) + (search ? `?${search}` : ""));
    },
    title(text) {
      document.title = `${text} · Orion`;
    },
  };
  try {
    await match[1](ctx);
  } catch (error) {
    if (error.name === "AbortError" || controller.signal.aborted) return;
    replace(root, errorBox(error));
  }
}

/** The signed-in user, with Tokens and Sign out; or a Sign in link. */
function account(me) {
  if (!me.username) {
    return h("div", { class: "account" }, h("a", { href: href("/login/") }, "Sign in"));
  }
  const csrf = (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "";
  const tokensLink = link("/tokens", "Tokens");
  tokensLink.dataset.section = "tokens";
  return h("div", { class: "account" },
    h("span", { class: "user", title: `Role: ${me.role || "none"}` }, `${me.username} (${me.role || "no role"})`),
    tokensLink,
    h("form", { method: "post", action: href("/logout/") },
      h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: decodeURIComponent(csrf) }),
      h("button", { type: "submit", class: "link" }, "Sign out")));
}

function shell() {
  const status = h("span", { class: "live-status", title: "Live updates" });
  const nav = h("nav", { id: "nav", "aria-label": "Main" },
    h("div", { class: "brand" }, "Orion"),
    NAV.map(([section, label]) => {
      const anchor = link(section === "dashboard" ? "/" : `/${section}`, label);
      anchor.dataset.section = section;
      return anchor;
    }),
    status);
  replace(document.getElementById("app"), nav, h("main", { id: "main" }));
  return status;
}

async function start() {
  const status = shell();
  try {
    const { api, flags, me } = await connect();
    services = { api, flags, me, live: new Live(api.liveUrl) };
    document.getElementById("nav").append(account(me));
  } catch (error) {
    replace(document.getElementById("main"), errorBox(error));
    return;
  }
  services.live.onStatus((connected) => {
    const failed = !connected && services.live.failures > 0;
    status.textContent = connected ? "● live" : failed ? "○ offline (refresh every 10 s)" : "○ connecting…";
    status.classList.toggle("down", failed);
  });
  window.addEventListener("popstate", render);
  await render();
}

applyTheme();
start();
