// Live updates over the /api/live websocket. Pages subscribe to "flow_runs" or
// "flow_run.<id>" and get told what changed; they refetch what they show. While the
// socket is down each subscription falls back to a 10 s poll, and every subscriber is
// told to resync once the socket is back (events may have been missed meanwhile).

const POLL_MS = 10000;
const MAX_BACKOFF_MS = 15000;

export class Live {
  constructor(url) {
    this.url = url;
    this.handlers = new Map(); // group -> Set of handlers
    this.connected = false;
    this.listeners = new Set();
    this.backoff = 500;
    this.pollTimer = null;
    this.opened = false;
    this.failures = 0;
    this.open();
  }

  open() {
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.down();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.backoff = 500;
      this.setConnected(true);
      for (const group of this.handlers.keys()) this.send({ subscribe: group });
      // After an outage, whatever happened meanwhile is only visible by refetching; the
      // first connection has nothing to catch up on (pages load their data themselves).
      if (this.opened) this.dispatchAll({ event: "resync" });
      this.opened = true;
    };
    socket.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!event.event) return;
      const groups = ["flow_runs", `flow_run.${event.flow_run_id}`];
      for (const group of groups) {
        for (const handler of this.handlers.get(group) || []) handler(event);
      }
    };
    socket.onclose = () => this.down();
  }

  down() {
    this.failures += 1;
    this.setConnected(false);
    this.socket = null;
    setTimeout(() => this.open(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }

  setConnected(connected) {
    this.connected = connected;
    if (connected && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    } else if (!connected && !this.pollTimer) {
      this.pollTimer = setInterval(() => this.dispatchAll({ event: "poll" }), POLL_MS);
    }
    for (const listener of this.listeners) listener(connected);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  dispatchAll(event) {
    for (const handlers of this.handlers.values()) for (const handler of handlers) handler(event);
  }

  /** Call ``handler(event)`` for events of ``group``; returns the unsubscribe function. */
  subscribe(group, handler) {
    if (!this.handlers.has(group)) {
      this.handlers.set(group, new Set());
      this.send({ subscribe: group });
    }
    this.handlers.get(group).add(handler);
    return () => {
      const handlers = this.handlers.get(group);
      if (!handlers) return;
      handlers.delete(handler);
      if (handlers.size === 0) {
        this.handlers.delete(group);
        this.send({ unsubscribe: group });
      }
    };
  }

  /** Be told when the connection comes and goes. */
  onStatus(listener) {
    this.listeners.add(listener);
    listener(this.connected);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Wrap ``fn`` so bursts of calls run it at most once per ``ms`` (the last call wins and
 * always runs): 5,000 task runs changing state must not mean 5,000 refetches.
 */
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    last = Date.now();
    try {
      await fn();
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (timer) return;
    timer = setTimeout(run, Math.max(0, last + ms - Date.now()));
  };
  schedule.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return schedule;
}
