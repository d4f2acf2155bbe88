// The web app's entry point: sign-in, screens, live updates, offline banner, service worker.

import * as api from "./api.js";
import * as auth from "./auth.js";
import { byId, say } from "./dom.js";
import { LiveFeed } from "./live.js";
import * as automation from "./screens/automation.js";
import * as command from "./screens/command.js";
import * as dashboard from "./screens/dashboard.js";
import * as devices from "./screens/devices.js";

const SCREENS = ["command", "dashboard", "devices", "automation"];
const LIVE_LABELS = { connecting: "Connecting…", live: "Live", down: "Retrying…" };

let feed = null;
let liveState = "connecting";

function paintLive() {
  const live = byId("live");
  live.textContent = !navigator.onLine && liveState !== "live" ? "Offline" : LIVE_LABELS[liveState];
  live.dataset.state = liveState;
}

// ---- screens and navigation ------------------------------------------------------------

function screenFromHash() {
  const name = window.location.hash.replace(/^#\/?/, "");
  return SCREENS.includes(name) ? name : SCREENS[0];
}

function showScreen(name) {
  for (const screen of SCREENS) {
    byId(`screen-${screen}`).hidden = screen !== name;
  }
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.screen === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.body.dataset.screen = name;
}

function showSignedIn(signedIn) {
  byId("signin").hidden = signedIn;
  byId("tabs").hidden = !signedIn;
  byId("sign-out").hidden = !signedIn;
  byId("live").hidden = !signedIn;
  if (signedIn) showScreen(screenFromHash());
  else for (const screen of SCREENS) byId(`screen-${screen}`).hidden = true;
}

// ---- state --------------------------------------------------------------------------------

/** Fetch everything the screens show; each part fails on its own. */
async function refreshAll() {
  const parts = [command.refresh(), devices.refresh(), dashboard.refresh(), automation.refresh()];
  const results = await Promise.allSettled(parts);
  const failure = results.find((result) => result.status === "rejected");
  if (failure && failure.reason.status !== 401) {
    console.warn("homerelay: refresh failed", failure.reason);
  }
  return results;
}

function startLive(token) {
  if (feed) feed.stop();
  feed = new LiveFeed(
    token,
    {
      command: command.upsert,
      reading: dashboard.update,
      devices: devices.update,
      automation: automation.update,
      onReconnect: refreshAll,
      onState: (state) => {
        liveState = state;
        paintLive();
      },
    },
    checkToken,
  );
  feed.start();
}

/** Ask the server whether the token still works; false only when it says 401. */
async function checkToken() {
  try {
    await api.get("/devices");
    return true;
  } catch (error) {
    return error.status !== 401;
  }
}

// ---- sign-in ------------------------------------------------------------------------------

async function signIn(token, { fromForm = false } = {}) {
  const message = byId("signin-error");
  say(message, "");
  try {
    await api.request("GET", "/devices", undefined, token);
  } catch (error) {
    const unreachable = error.status === 0 || error.status >= 500;
    if (error.status === 401) {
      auth.forget();
      say(message, "That token was not accepted. Check it, or ask for a new sign-in link.", "error");
    } else if (error.status === 403) {
      say(message, "That is the agent's token. The app signs in with the home's app token.", "error");
    } else if (!unreachable || fromForm) {
      say(message, `Cannot check the token now: ${api.describe(error)}`, "error");
    }
    // Offline or the server is down: a link or a stored token is used anyway, to show what we
    // can and to reconnect when the server is back. Anything else waits for the form.
    if (!unreachable || fromForm) {
      showSignedIn(false);
      return false;
    }
  }
  auth.store(token);
  showSignedIn(true);
  startLive(token);
  await refreshAll();
  return true;
}

function signOut(reason = "") {
  if (feed) feed.stop();
  feed = null;
  auth.forget();
  for (const screen of [command, devices, dashboard, automation]) screen.reset();
  showSignedIn(false);
  say(byId("signin-error"), reason, reason ? "error" : "");
  byId("token-input").focus();
}

// ---- offline --------------------------------------------------------------------------------

function paintOnline() {
  byId("offline-banner").hidden = navigator.onLine;
  document.body.classList.toggle("is-offline", !navigator.onLine);
  paintLive();
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("homerelay: service worker not registered", error);
  });
}

// ---- start --------------------------------------------------------------------------------

function setUp() {
  command.setUp();
  devices.setUp();
  dashboard.setUp();
  automation.setUp();

  byId("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = byId("token-input").value.trim();
    if (token) signIn(token, { fromForm: true }).then((ok) => ok && (byId("token-input").value = ""));
  });
  byId("sign-out").addEventListener("click", () => signOut());
  api.on("unauthorized", () => signOut("The server no longer accepts this token. Sign in again."));

  window.addEventListener("hashchange", () => {
    const token = auth.takeTokenFromUrl();
    if (token) signIn(token);
    else if (auth.token()) showScreen(screenFromHash());
  });
  window.addEventListener("online", () => {
    paintOnline();
    if (feed) feed.reconnectNow();
  });
  window.addEventListener("offline", paintOnline);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && feed) feed.reconnectNow();
  });
  paintOnline();
  registerServiceWorker();

  const token = auth.takeTokenFromUrl() || auth.token();
  if (token) signIn(token);
  else showSignedIn(false);
}

setUp();
