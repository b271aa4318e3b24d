// The API client: where the API is (from /ui-settings) and JSON calls with errors that
// say what the server answered.

/** An answer other than 2xx, or no answer at all. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
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
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        signal,
        headers: body === undefined ? {} : { "content-type": "application/json" },
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
    if (!response.ok) throw new ApiError(response.status, describe(data) || response.statusText);
    return data;
  }

  get(path, options) { return this.request("GET", path, undefined, options); }
  post(path, body = {}, options) { return this.request("POST", path, body, options); }
  patch(path, body, options) { return this.request("PATCH", path, body, options); }
  delete(path, options) { return this.request("DELETE", path, undefined, options); }
}

/** Read /ui-settings (next to the page) and build the API client it points at. */
export async function connect() {
  const response = await fetch(new URL("ui-settings", document.baseURI));
  if (!response.ok) throw new ApiError(response.status, "Could not read /ui-settings");
  const settings = await response.json();
  return { api: new Api(settings.api_url), flags: settings.flags || [] };
}
