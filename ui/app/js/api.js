// The API client: where the API is (from /ui-settings) and JSON calls with errors that
// say what the server answered.

/** An answer other than 2xx, or no answer at all. */
export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body; // the decoded answer, so forms can place a 422 next to its field
  }
}

function describe(body) {
  if (!body) return "";
  if (typeof body.detail === "string") return body.detail;
  if (typeof body.exception_message === "string") {
    const details = (body.exception_detail || []).map((e) => `${(e.loc || []).join(".")}: ${e.msg}`);
    return [body.exception_message, ...details].join(" ");
  }
  return JSON.stringify(body);
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The CSRF token Django put in the ``csrftoken`` cookie (session writes must send it). */
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

/** The sign-in page, coming back to the current page afterwards. */
export function loginUrl() {
  const url = new URL("login/", document.baseURI);
  url.searchParams.set("next", location.pathname + location.search);
  return url.href;
}

export class Api {
  /** ``baseUrl`` is the API root, e.g. "http://host:4200/api". */
  constructor(baseUrl) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  /** The websocket address of the live-update feed, next to the API. */
  get liveUrl() {
    const url = new URL(`${this.baseUrl}/live`, document.baseURI);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  async request(method, path, body, { signal } = {}) {
    let response;
    const headers = body === undefined ? {} : { "content-type": "application/json" };
    const csrf = UNSAFE.has(method) ? csrfToken() : null;
    if (csrf) headers["x-csrftoken"] = csrf;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        signal,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, `The server did not answer (${error.message}).`);
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { detail: text.slice(0, 200) };
      }
    }
    // Auth is on and this browser is not signed in (or its session ended): sign in first.
    if (response.status === 401) location.assign(loginUrl());
    if (!response.ok) throw new ApiError(response.status, describe(data) || response.statusText, data);
    return data;
  }

  get(path, options) { return this.request("GET", path, undefined, options); }
  post(path, body = {}, options) { return this.request("POST", path, body, options); }
  patch(path, body, options) { return this.request("PATCH", path, body, options); }
  put(path, body, options) { return this.request("PUT", path, body, options); }
  delete(path, options) { return this.request("DELETE", path, undefined, options); }
}

/** Read /ui-settings (next to the page) and build the API client it points at. */
export async function connect() {
  const response = await fetch(new URL("ui-settings", document.baseURI));
  if (!response.ok) throw new ApiError(response.status, "Could not read /ui-settings");
  const settings = await response.json();
  const api = new Api(settings.api_url);
  // Who is signed in, and what they may do (with auth off, everything).
  const me = await api.get("/me/");
  return { api, flags: settings.flags || [], me };
}
