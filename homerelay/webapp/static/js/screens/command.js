// Command screen: type or speak a command, and follow the recent ones live. Asks first when the
// server wants a yes (confirm.js), shows a question's answer, and keeps the cooling rule's own
// commands in one group so that the person's commands stay in view.

import * as agent from "../agent.js";
import * as api from "../api.js";
import * as confirm from "../confirm.js";
import { byId, clear, clockTime, h, parseTime, say } from "../dom.js";
import * as privateVoice from "../private_voice.js";

// Held longer than this, the microphone button is push-to-talk; a shorter tap records until silence.
const HOLD_MS = 400;

const LIMIT = 20; // the person's own commands shown, and the cooling rule's in its group
const FETCH_LIMIT = 100; // fetched, so that a busy rule does not push the person's commands out
const KEEP = 200; // commands held in memory at most (live events keep adding)
const AUTOMATION = "automation";
const STATUS_LABELS = {
  pending: "Queued",
  waiting: "Waiting for the Pi",
  delivered: "Sent to the home",
  done: "Carried out",
  failed: "Failed",
  expired: "Expired",
  rejected: "Not understood",
  replaced: "Replaced",
};
const SOURCE_LABELS = { automation: "by cooling", legacy: "from the original app", voice: "spoken" };
// How far along a command is: a status never goes back, so an older answer must not undo a newer event.
const PROGRESS = { pending: 0, delivered: 1, done: 2, failed: 2, expired: 2, rejected: 2, replaced: 2 };

function newer(known, incoming) {
  if (!known) return incoming;
  return (PROGRESS[incoming.status] ?? 0) >= (PROGRESS[known.status] ?? 0) ? incoming : known;
}

const commands = new Map(); // id -> command, as the server has it
const rejected = []; // sentences the server did not understand: it does not store them
const watchers = new Set(); // callbacks told about every command update
let rejectedSeq = 0;
let loaded = false; // the list came from the server at least once
let groupOpen = false; // the cooling group is expanded (kept across re-renders)
let kindOf = () => ""; // a device's kind, for the dialog's verbs (the Devices screen knows them)

/** Tell the dialog how to find a device's kind ("servo": a door opens rather than turns on). */
export function useKinds(lookup) {
  kindOf = lookup;
}

/** Be told about every new or updated command (the Devices screen follows its switches). */
export function watch(callback) {
  watchers.add(callback);
}

/** Add or update one command (from a POST answer, a GET or a live event). */
export function upsert(command) {
  if (!command || command.id === undefined) return;
  command = newer(commands.get(command.id), command);
  commands.set(command.id, command);
  if (commands.size > KEEP) {
    const oldest = [...commands.values()].sort((a, b) => sortKey(a) - sortKey(b))[0];
    commands.delete(oldest.id);
  }
  render();
  for (const callback of watchers) callback(command);
}

/**
 * Send a sentence; resolve with the queued command, or with the answer to a question (intent
 * "status", not queued: it has no id). When the server wants a yes first (409
 * confirmation_required) the dialog asks, and the same body goes again with `confirm: true`;
 * Cancel rejects with confirm.Declined and nothing is sent. A sentence the server does not
 * understand (422) is listed as "Not understood" with its reason and suggestions, then rethrown.
 */
export function send(text) {
  return post({ text }, text);
}

/** Send device switches as such (a switch on the Devices screen): the server parses no sentence. */
export function sendActions(actions, text) {
  return post({ actions }, text);
}

async function post(body, text) {
  try {
    let answer;
    try {
      answer = await api.post("/commands", body);
    } catch (error) {
      if (!(error instanceof api.ApiError && error.status === 409 && error.code === "confirmation_required")) throw error;
      const asked = confirm.question(error.body, text, kindOf);
      if (!(await confirm.ask({ body: error.detail, ...asked }))) throw new confirm.Declined();
      answer = await api.post("/commands", { ...body, confirm: true });
    }
    upsert(answer);
    return answer;
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 422) {
      rejected.unshift({
        id: `rejected-${++rejectedSeq}`,
        text,
        status: "rejected",
        result: error.detail,
        suggestions: Array.isArray(error.body.suggestions) ? error.body.suggestions : [],
        created_at: new Date().toISOString(),
      });
      rejected.length = Math.min(rejected.length, LIMIT);
      render();
    }
    throw error;
  }
}

/** Fetch the recent commands again (start, reconnect). */
export async function refresh() {
  const data = await api.get(`/commands?limit=${FETCH_LIMIT}`);
  const previous = new Map(commands);
  commands.clear();
  // An event may have arrived while this answer was on its way: keep whichever is further along.
  for (const command of data.commands || []) commands.set(command.id, newer(previous.get(command.id), command));
  loaded = true;
  render();
}

/** The recent commands as the server had them, for the last-known store (null: not loaded yet). */
export function snapshot() {
  return loaded ? { commands: [...commands.values()] } : null;
}

/** Show a snapshot again (start, before the server answers). */
export function restore(data) {
  if (!data || !Array.isArray(data.commands)) return;
  commands.clear();
  for (const command of data.commands) if (command && command.id !== undefined) commands.set(command.id, command);
  loaded = true;
  render();
}

/** Forget everything (sign out). */
export function reset() {
  commands.clear();
  rejected.length = 0;
  loaded = false;
  groupOpen = false;
  say(byId("command-answer"), "");
  render();
}

function sortKey(command) {
  const date = parseTime(command.created_at);
  return date ? date.getTime() : 0;
}

/** "By cooling: 12 today" (or "3 earlier" when none was today). */
function groupLabel(automatic, now = new Date()) {
  const today = automatic.filter((c) => {
    const at = parseTime(c.created_at);
    return at && at.toDateString() === now.toDateString();
  }).length;
  const count = today ? `${today} today` : `${automatic.length} earlier`;
  const last = clockTime(parseTime(automatic[0].created_at));
  return `By cooling: ${count}${last ? ` · last at ${last}` : ""}`;
}

function render() {
  const list = byId("command-list");
  const all = [...commands.values(), ...rejected].sort((a, b) => sortKey(b) - sortKey(a));
  const own = all.filter((c) => c.source !== AUTOMATION).slice(0, LIMIT);
  const automatic = all.filter((c) => c.source === AUTOMATION);
  clear(list);
  const empty = byId("command-empty");
  empty.hidden = own.length + automatic.length > 0;
  empty.textContent = loaded ? "No commands yet. Try “turn on the kitchen light”." : "Not loaded yet: waiting for the server.";
  if (automatic.length) list.append(renderGroup(automatic));
  for (const command of own) list.append(renderItem(command));
}

/** The cooling rule's commands, folded into one expandable card. */
function renderGroup(automatic) {
  const details = h(
    "details",
    { className: "group", open: groupOpen, ontoggle: (event) => (groupOpen = event.target.open) },
    h("summary", { className: "group-summary", text: groupLabel(automatic) }),
    h("ol", { className: "cards group-list", "aria-label": "Commands by cooling" }, automatic.slice(0, LIMIT).map(renderItem)),
  );
  return h("li", { className: "card command-group" }, details);
}

function renderItem(command) {
  let status = command.status || "pending";
  if ((status === "pending" || status === "delivered") && agent.isOffline()) status = "waiting";
  const meta = [clockTime(parseTime(command.created_at))];
  if (SOURCE_LABELS[command.source]) meta.push(SOURCE_LABELS[command.source]);
  const item = h(
    "li",
    { className: `card command status-${status}`, "data-status": status },
    h(
      "div",
      { className: "command-head" },
      h("q", { className: "command-text", text: command.text }),
      h("span", { className: `badge badge-${status}`, text: STATUS_LABELS[status] || status }),
    ),
    h("div", { className: "command-meta", text: meta.filter(Boolean).join(" · ") }),
  );
  if (command.result) item.append(h("p", { className: "command-result", text: command.result }));
  if (command.suggestions && command.suggestions.length) {
    item.append(
      h(
        "div",
        { className: "suggestions" },
        h("span", { className: "suggestions-label", text: "Did you mean:" }),
        command.suggestions.map((suggestion) =>
          h("button", {
            type: "button",
            className: "chip",
            text: suggestion,
            "aria-label": `Send: ${suggestion}`,
            onclick: () => submit(suggestion),
          }),
        ),
      ),
    );
  }
  return item;
}

async function submit(text) {
  const input = byId("command-input");
  const message = byId("command-error");
  text = text.trim();
  if (!text) {
    say(message, "Type a command first, for example “turn on the kitchen light”.", "error");
    input.focus();
    return;
  }
  say(message, "");
  const answerBox = byId("command-answer");
  say(answerBox, "");
  const button = byId("command-send");
  button.disabled = true;
  try {
    const answer = await send(text);
    input.value = "";
    // A question is answered at once and not queued: its answer goes under the input.
    if (answer && typeof answer.answer === "string" && answer.answer) say(answerBox, answer.answer, "answer");
  } catch (error) {
    // A 422 is shown in the list with its suggestions; anything else here.
    if (error instanceof confirm.Declined) say(message, error.message, "hint");
    else if (!(error instanceof api.ApiError && error.status === 422)) say(message, api.describe(error), "error");
  } finally {
    button.disabled = false;
  }
}

/** What the server heard, then what it made of it (a 409 asks, in the same dialog as a typed
 * command, before a door or oven is changed). */
async function sendRecording(wav, hint, confirmed = false) {
  say(hint, "Working out what you said…", "listening");
  let answer;
  try {
    answer = await privateVoice.send(wav, confirmed);
  } catch (error) {
    say(hint, "The server cannot be reached: nothing was sent.", "hint");
    return;
  }
  const { status, body } = answer;
  const heard = body && body.heard ? `heard: “${body.heard}”` : "heard: nothing";
  if (status === 200 && body && typeof body.answer === "string") {
    say(hint, `${heard} — ${body.answer}`, "hint");
  } else if (status === 201 || status === 200) {
    // The command's card below follows it to "Carried out"; a status here would go stale.
    upsert(body);
    say(hint, `${heard} — sent; see below.`, "hint");
  } else if (status === 409 && body && body.error === "confirmation_required" && !confirmed) {
    say(hint, `${heard} — asks you to confirm first.`, "hint");
    const asked = confirm.question(body, body.heard || "", kindOf);
    if (await confirm.ask({ body: body.detail, ...asked })) return sendRecording(wav, hint, true);
    say(hint, `${heard} — cancelled.`, "hint");
  } else {
    say(hint, `${heard} — ${(body && body.detail) || `the server answered ${status}`}.`, "hint");
  }
}

/**
 * Private voice on the microphone button while `active()`: hold to talk, or tap and speak.
 * Returns a function that stops a recording under way and sends nothing.
 */
function setUpPrivateVoice(mic, hint, active) {
  let recording = null;
  let cancelled = false;
  let pressedAt = 0;
  let held = false; // the button is down: a pause in the speech does not end the recording
  mic.addEventListener("pointerdown", async (event) => {
    if (!active()) return;
    event.preventDefault();
    if (recording) {
      recording.stop();
      return;
    }
    const reason = privateVoice.unavailableReason();
    if (reason) {
      say(hint, reason, "hint");
      return;
    }
    pressedAt = Date.now();
    held = true;
    // Letting go off the button still counts (a finger or mouse that slid away).
    try {
      mic.setPointerCapture(event.pointerId);
    } catch (error) {
      // the pointer is already gone: its pointerup or pointercancel has come or will
    }
    try {
      recording = await privateVoice.record({ untilSilence: () => !held });
    } catch (error) {
      const denied = error && error.name === "NotAllowedError";
      say(hint, denied ? "The microphone is not allowed for this site." : `Recording failed: ${error}`, "hint");
      return;
    }
    mic.setAttribute("aria-pressed", "true");
    mic.classList.add("listening");
    say(hint, "Listening (private)… say a command.", "listening");
    const wav = await recording.done;
    recording = null;
    mic.setAttribute("aria-pressed", "false");
    mic.classList.remove("listening");
    if (cancelled) {
      cancelled = false;
      return;
    }
    await sendRecording(wav, hint);
  });
  // Push-to-talk: letting go of a held button ends the recording; a tap waits for the silence.
  mic.addEventListener("pointerup", () => {
    held = false;
    if (recording && Date.now() - pressedAt >= HOLD_MS) recording.stop();
  });
  // A touch the browser took over (a scroll): no letting go will come, so the silence ends it.
  mic.addEventListener("pointercancel", () => {
    held = false;
  });
  return () => {
    if (!recording) return;
    cancelled = true;
    recording.stop();
  };
}

// The browser's recogniser's errors (SpeechRecognitionErrorEvent.error), as a person reads them.
const PRIVATE_INSTEAD = "Turn on Private voice in Voice settings to have this home's server hear you instead.";
const RECOGNISER_ERRORS = {
  "not-allowed": "the microphone is not allowed for this site.",
  "audio-capture": "no microphone was found, or another app is using it.",
  "no-speech": "nothing was heard. Tap the microphone and say a command.",
  network: `the browser's speech service cannot be reached (it works online only). ${PRIVATE_INSTEAD}`,
  "service-not-allowed": `this browser does not allow its speech service here. ${PRIVATE_INSTEAD}`,
  "language-not-supported": `the browser's speech service does not know this language. ${PRIVATE_INSTEAD}`,
};

/** Why the browser's recogniser stopped, in words ("" when the page stopped it on purpose). */
function recogniserError(code) {
  if (code === "aborted") return "";
  if (!window.isSecureContext && (code === "not-allowed" || code === "audio-capture")) {
    return privateVoice.unavailableReason();
  }
  return `Voice input stopped: ${RECOGNISER_ERRORS[code] || `the browser's recogniser failed (${code}). ${PRIVATE_INSTEAD}`}`;
}

/**
 * The browser's own recogniser on the microphone button while `active()`: a tap listens, the
 * sentence it heard is sent as typed. Returns a function that stops it and sends nothing.
 */
function setUpBrowserVoice(Recognition, mic, hint, active) {
  let recognition = null;
  mic.addEventListener("click", () => {
    if (!active()) return;
    if (recognition) {
      recognition.stop();
      return;
    }
    recognition = new Recognition();
    recognition.lang = navigator.language || "en-US";
    recognition.interimResults = true;
    recognition.maxAlternatives = 1;
    const input = byId("command-input");
    recognition.addEventListener("result", (event) => {
      const result = event.results[event.results.length - 1];
      input.value = result[0].transcript;
      if (result.isFinal) submit(input.value);
    });
    recognition.addEventListener("error", (event) => {
      const reason = recogniserError(event.error);
      if (reason) say(hint, reason, "hint");
    });
    recognition.addEventListener("end", () => {
      recognition = null;
      mic.setAttribute("aria-pressed", "false");
      mic.classList.remove("listening");
      if (hint.dataset.kind === "listening") say(hint, "");
    });
    mic.setAttribute("aria-pressed", "true");
    mic.classList.add("listening");
    say(hint, "Listening… say a command.", "listening");
    recognition.start();
  });
  return () => {
    if (recognition) recognition.abort();
  };
}

function setUpSpeech() {
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  const mic = byId("mic");
  const hint = byId("mic-hint");
  const toggle = byId("private-voice");
  toggle.checked = privateVoice.chosen() || !Recognition;
  toggle.disabled = !Recognition; // without the browser's recogniser, private voice is the only voice
  const usePrivate = () => !Recognition || toggle.checked;
  const stops = [setUpPrivateVoice(mic, hint, usePrivate)];
  if (Recognition) stops.push(setUpBrowserVoice(Recognition, mic, hint, () => !usePrivate()));
  // Takes effect at once: whatever was listening stops, and the next press listens the new way.
  toggle.addEventListener("change", () => {
    privateVoice.choose(toggle.checked);
    for (const stop of stops) stop();
    say(hint, toggle.checked ? "Private voice is on: this home's server hears what you say."
      : "Private voice is off: the browser's own speech service hears what you say.", "hint");
  });
  mic.hidden = false;
  // Neither way of listening can open the microphone on a page that is not secure: said at once.
  if (!window.isSecureContext) say(hint, privateVoice.unavailableReason(), "hint");
}

/** Wire the screen's controls once. */
export function setUp() {
  byId("command-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit(byId("command-input").value);
  });
  setUpSpeech();
  agent.watch(render); // queued commands say "Waiting for the Pi" while it is away
  render();
}
