// Live updates: follows /api/v1/events and reconnects by itself when the server goes away.

const EVENT_NAMES = ["command", "reading", "devices", "automation", "agent"];
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15000;

/**
 * Follow the event stream. `handlers` has one callback per event name plus
 * `onState("connecting" | "live" | "down")` and `onReconnect()` (re-fetch state: events sent
 * while we were away are lost). `checkToken()` resolves false when the token is refused.
 */
export class LiveFeed {
  constructor(token, handlers, checkToken) {
    this.token = token;
    this.handlers = handlers;
    this.checkToken = checkToken;
    this.source = null;
    this.timer = null;
    this.retryMs = RETRY_MIN_MS;
    this.refreshOnOpen = false;
    this.stopped = false;
  }

  /** Open the stream. */
  start() {
    this.stopped = false;
    this.connect();
  }

  /** Close the stream for good (sign out). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.source) this.source.close();
    this.source = null;
  }

  /** Drop the connection and open a new one now (the page came back to the foreground, say). */
  reconnectNow() {
    if (this.stopped) return;
    if (this.source && this.source.readyState === EventSource.OPEN) return;
    clearTimeout(this.timer);
    this.retryMs = RETRY_MIN_MS;
    this.connect();
  }

  connect() {
    if (this.source) this.source.close();
    this.handlers.onState("connecting");
    const source = new EventSource(`/api/v1/events?token=${encodeURIComponent(this.token)}`);
    this.source = source;
    source.addEventListener("open", () => {
      this.retryMs = RETRY_MIN_MS;
      this.handlers.onState("live");
      if (this.refreshOnOpen) this.handlers.onReconnect();
      this.refreshOnOpen = true;
    });
    source.addEventListener("error", () => this.onError(source));
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch (error) {
          console.warn("homerelay: unreadable %s event", name, error);
          return;
        }
        const handler = this.handlers[name];
        if (handler) handler(data);
      });
    }
  }

  onError(source) {
    if (source !== this.source || this.stopped) return;
    this.handlers.onState("down");
    // The browser retries by itself after a dropped connection (CONNECTING); after an HTTP
    // error (a 401, a proxy's 502 while the server restarts) it gives up (CLOSED): retry
    // ourselves, with a growing pause, unless the token itself was refused.
    this.refreshOnOpen = true;
    if (source.readyState !== EventSource.CLOSED) return;
    clearTimeout(this.timer);
    const delay = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.timer = setTimeout(async () => {
      if (this.stopped) return;
      if ((await this.checkToken()) === false) return;
      this.connect();
    }, delay);
  }
}
