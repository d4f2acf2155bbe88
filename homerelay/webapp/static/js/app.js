// The web app's entry point: sign-in, screens, live updates, the Pi's presence in the top bar,
// offline banner, last known state, service worker.

import * as agent from "./agent.js";
import * as api from "./api.js";
import * as auth from "./auth.js";
import { byId, knownTime, say } from "./dom.js";
import * as lastKnown from "./last_known.js";
import { LiveFeed } from "./live.js";
import * as automation from "./screens/automation.js";
import * as command from "./screens/command.js";
import * as dashboard from "./screens/dashboard.js";
import * as devices from "./screens/devices.js";

const SCREENS = ["command", "dashboard", "devices", "automation"];
const LIVE_LABELS = { connecting: "Connecting…", live: "Live", down: "Retrying…" };
// Restore order matters: the Automation screen offers the devices the Devices screen holds.
const PARTS = { command, devices, dashboard, automation };
const SAVE_DELAY_MS = 1000; // events come in bursts: keep the state once they settle

let feed = null;
let liveState = "connecting";
let homeToken = ""; // the token whose home the screens (and the last-known store) hold
let lastContact = null; // Date: when the server last gave fresh state
let knownAt = null; // Date: the screens show what was known then, not live state (null: live)
let reachable = true; // false from a failed attempt to reach the server until it answers again
let saveTimer = null;

/**
 * The top bar: the server connection first (Connecting…, Retrying…, Offline); once live, the
 * Pi's presence ("Live" only when the Pi is there too, "Pi offline since 14:02" when it is not).
 */
function paintLive() {
  const live = byId("live");
  let text = !navigator.onLine && liveState !== "live" ? "Offline" : LIVE_LABELS[liveState];
  let state = liveState;
  if (liveState === "live" && agent.isOffline()) {
    text = agent.offlineText();
    state = "pi-offline";
  }
  if (live.textContent !== text) live.textContent = text; // a status region: no repeats
  live.dataset.state = state;
  const info = agent.current();
  live.title = info && info.online && info.simulated ? "Live: the Pi runs simulated devices." : "";
  const warning = liveState === "live" ? agent.instancesText() : "";
  const banner = byId("agent-warning");
  if (banner.textContent !== warning) banner.textContent = warning;
  banner.hidden = !warning || !homeToken;
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

/** No answer, or a proxy's 5xx while the server is away: the home is out of reach, not wrong. */
function isUnreachable(error) {
  return error instanceof api.ApiError && (error.status === 0 || error.status >= 500);
}

/** Fetch everything the screens show; each part fails on its own. */
async function refreshAll() {
  const parts = [command.refresh(), devices.refresh(), dashboard.refresh(), automation.refresh(), agent.refresh()];
  const results = await Promise.allSettled(parts);
  const failures = results.filter((result) => result.status === "rejected").map((result) => result.reason);
  if (failures.some(isUnreachable)) {
    stopLive();
    lostContact();
  } else if (!failures.some((error) => error && error.status === 401)) {
    freshAgain();
  }
  if (failures.length && failures[0].status !== 401) console.warn("homerelay: refresh failed", failures[0]);
  return results;
}

// ---- last known state ---------------------------------------------------------------------

/** Make the screens hold `token`'s home, filled at once with what was kept of it, if anything. */
function openHome(token) {
  if (token === homeToken) return;
  closeHome();
  homeToken = token;
  const known = lastKnown.load(token);
  if (!known) {
    lastKnown.forget(); // another home's record must not outlive the switch
    return;
  }
  try {
    for (const [name, screen] of Object.entries(PARTS)) screen.restore(known.parts[name]);
  } catch (error) {
    // A record the screens cannot read is worth less than an empty screen that is honest.
    console.warn("homerelay: last known state dropped", error);
    lastKnown.forget();
    for (const screen of Object.values(PARTS)) screen.reset();
    return;
  }
  lastContact = known.at;
  knownAt = known.at;
}

/** Empty the screens and stop following the home (sign-out, or another home signs in). */
function closeHome() {
  if (feed) feed.stop(); // a late event from the old home must not land on the new one's screens
  feed = null;
  clearTimeout(saveTimer);
  for (const screen of Object.values(PARTS)) screen.reset();
  agent.reset();
  homeToken = "";
  lastContact = null;
  knownAt = null;
  reachable = true;
}

/** The page is going away or to the background: keep the state now, not after the delay. */
function keepNow() {
  if (liveState === "live" && !knownAt) lastContact = new Date(); // live up to this moment
  saveNow();
}

function saveNow() {
  clearTimeout(saveTimer);
  if (!homeToken || !lastContact) return;
  const parts = {};
  for (const [name, screen] of Object.entries(PARTS)) parts[name] = screen.snapshot();
  lastKnown.save(homeToken, lastContact, parts);
}

/** Fresh state came from the server: note when, and keep it once the burst settles. */
function heard() {
  lastContact = new Date();
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveNow, SAVE_DELAY_MS);
}

/** The screens stop being live: from now on they show what was known at the last contact. */
function stopLive() {
  if (knownAt) return;
  if (liveState === "live") heard(); // live until this moment, so that is when it was known
  knownAt = lastContact;
}

/** The server could not be reached (the marks show until fresh state arrives). */
function lostContact() {
  reachable = false;
  paintMarks();
}

/** Everything was fetched again: fresh state replaced what was known, and the marks go. */
function freshAgain() {
  reachable = true;
  knownAt = null;
  heard();
  paintMarks();
}

function startLive(token) {
  if (feed) feed.stop();
  const fresh = (handler) => (data) => {
    handler(data);
    heard();
  };
  feed = new LiveFeed(
    token,
    {
      command: fresh(command.upsert),
      reading: fresh(dashboard.update),
      devices: fresh(devices.update),
      automation: fresh(automation.update),
      agent: fresh(agent.update),
      onReconnect: refreshAll,
      onState: (state) => {
        if (state === "down") {
          stopLive(); // before liveState changes: it asks whether we were live
          agent.reset(); // away from the server, nothing is known of the Pi either
        }
        liveState = state;
        if (state === "down") lostContact();
        else if (state === "live") reachable = true;
        paintMarks();
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
  openHome(token);
  // What was kept of this home shows at once, marked, while the server is asked (maybe slowly).
  if (knownAt) showSignedIn(true);
  paintMarks();
  try {
    await api.request("GET", "/devices", undefined, token);
  } catch (error) {
    const unreachable = isUnreachable(error);
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
      closeHome(); // what was kept stays for a later try, but is not shown behind the form
      showSignedIn(false);
      paintMarks();
      return false;
    }
    lostContact();
  }
  auth.store(token);
  showSignedIn(true);
  startLive(token);
  await refreshAll();
  return true;
}

function signOut(reason = "") {
  auth.forget();
  lastKnown.forget();
  closeHome();
  showSignedIn(false);
  paintMarks();
  say(byId("signin-error"), reason, reason ? "error" : "");
  byId("token-input").focus();
}

// ---- offline --------------------------------------------------------------------------------

function bannerText(offline) {
  const why = offline ? "You are offline" : reachable ? "Updating" : "The server cannot be reached";
  if (knownAt) return `${why} — showing what was known at ${knownTime(knownAt)}.`;
  return `${why}. Commands cannot be sent until the connection is back.`;
}

function readOnlyText() {
  const until = "Switching waits until the server answers again.";
  return knownAt ? `These are the states known at ${knownTime(knownAt)}, not live. ${until}` : until;
}

/** The offline banner, the "last known" marks and the switches follow the connection. */
function paintMarks() {
  const offline = !navigator.onLine;
  const away = Boolean(homeToken) && (!reachable || knownAt !== null);
  const banner = byId("offline-banner");
  banner.hidden = !(offline || away);
  const text = bannerText(offline);
  if (banner.textContent !== text) banner.textContent = text; // a status region: no repeats
  document.body.classList.toggle("is-offline", offline || !reachable);
  document.body.classList.toggle("is-known", knownAt !== null);
  devices.setReadOnly(homeToken && (offline || away) ? readOnlyText() : "");
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
  agent.watch(paintLive);
  // "since 14:02" needs a date once the day turns.
  setInterval(paintLive, 60000);

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
    paintMarks();
    if (feed) feed.reconnectNow();
    // A stream that stayed open through the outage brings no re-fetch of its own.
    if (knownAt && liveState === "live") refreshAll();
  });
  window.addEventListener("offline", () => {
    stopLive();
    paintMarks();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && feed) feed.reconnectNow();
    if (document.visibilityState === "hidden") keepNow();
  });
  window.addEventListener("pagehide", keepNow);
  paintMarks();
  registerServiceWorker();

  const token = auth.takeTokenFromUrl() || auth.token();
  if (token) signIn(token);
  else showSignedIn(false);
}

setUp();
