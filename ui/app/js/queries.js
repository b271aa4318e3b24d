// Look-ups shared by pages: each is one API call whatever the number of ids.

/** Map flow id -> flow name for ``ids`` (one /flows/filter call). */
export async function flowNames(api, ids, signal) {
  const unique = [...new Set(ids.filter(Boolean))];
  if (!unique.length) return new Map();
  const flows = await api.post("/flows/filter", { flows: { id: { any_: unique } }, limit: 200 }, { signal });
  return new Map(flows.map((flow) => [flow.id, flow.name]));
}

/** A time window ("1h", "24h", "7d", "30d") as [start, end, bucket seconds]. */
export const WINDOWS = { "1h": 3600, "24h": 86400, "7d": 604800, "30d": 2592000 };

export function windowRange(name) {
  const seconds = WINDOWS[name] || WINDOWS["24h"];
  const end = new Date();
  const start = new Date(end.getTime() - seconds * 1000);
  return { start, end, interval: Math.max(60, Math.ceil(seconds / 48)) };
}
