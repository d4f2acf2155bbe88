// Private voice: record with getUserMedia and an AudioWorklet, encode 16 kHz WAV in the page and
// send it to the home's own server (POST /api/v1/speech); no audio goes to a speech service.

import * as auth from "./auth.js";

const RATE = 16000;
const MAX_SECONDS = 10;
// Tap-to-talk ends after this much quiet following speech (or when nothing is said at all).
const END_SILENCE_SECONDS = 0.9;
const START_TIMEOUT_SECONDS = 5;
const SPEECH_LEVEL = 0.02;
const SETTING_KEY = "homerelay.privateVoice";

/** True when the person chose private voice in the settings sheet. */
export function chosen() {
  try {
    return localStorage.getItem(SETTING_KEY) === "on";
  } catch (error) {
    return false;
  }
}

/** Remember the choice. */
export function choose(on) {
  try {
    localStorage.setItem(SETTING_KEY, on ? "on" : "off");
  } catch (error) {
    // storage disabled: the choice lasts for this page only
  }
}

/** Why recording cannot work here, or "" when it can. */
export function unavailableReason() {
  if (!window.isSecureContext) return "The microphone needs HTTPS (or localhost): open the app over https://.";
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return "This browser cannot record audio.";
  if (!window.AudioWorkletNode) return "This browser cannot process audio (no AudioWorklet).";
  return "";
}

/** 16-bit mono WAV of float samples at `rate`, resampled to 16 kHz (linear: speech needs no more). */
export function encodeWav(samples, rate) {
  const count = Math.floor((samples.length * RATE) / rate);
  const view = new DataView(new ArrayBuffer(44 + count * 2));
  const text = (offset, value) => [...value].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, "RIFF");
  view.setUint32(4, 36 + count * 2, true);
  text(8, "WAVEfmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, RATE, true);
  view.setUint32(28, RATE * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, count * 2, true);
  for (let i = 0; i < count; i++) {
    const position = (i * rate) / RATE;
    const left = Math.floor(position);
    const right = Math.min(left + 1, samples.length - 1);
    const value = samples[left] + (samples[right] - samples[left]) * (position - left);
    view.setInt16(44 + i * 2, Math.max(-1, Math.min(1, value)) * 0x7fff, true);
  }
  return new Blob([view.buffer], { type: "audio/wav" });
}

/**
 * Record one utterance. `untilSilence` (a boolean, or a function asked as the sound comes in):
 * stop by itself after the speech ends (tap-to-talk); otherwise until the returned recording's
 * stop() (push-to-talk). Resolves `done` with a WAV blob.
 */
export async function record({ untilSilence }) {
  const bySilence = typeof untilSilence === "function" ? untilSilence : () => untilSilence;
  // No automatic gain: the browser's (on unless refused) keeps changing the level within the
  // utterance, louder at its start, and the recogniser then missed half the commands it heard
  // right without it (tests/e2e/test_private_voice.py). The server's decoder evens out the level.
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: false },
  });
  const context = new AudioContext();
  await context.audioWorklet.addModule("/assets/js/recorder_worklet.js");
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, "homerelay-recorder");
  const blocks = [];
  let length = 0;
  let heardSpeech = false;
  let quiet = 0;
  let finish;
  const done = new Promise((resolve) => (finish = resolve));
  const stop = () => {
    if (!finish) return;
    const resolve = finish;
    finish = null;
    node.port.onmessage = null;
    source.disconnect();
    stream.getTracks().forEach((track) => track.stop());
    const samples = new Float32Array(length);
    let offset = 0;
    for (const block of blocks) {
      samples.set(block, offset);
      offset += block.length;
    }
    const rate = context.sampleRate;
    context.close();
    resolve(encodeWav(samples, rate));
  };
  node.port.onmessage = ({ data }) => {
    blocks.push(data);
    length += data.length;
    const seconds = length / context.sampleRate;
    if (seconds >= MAX_SECONDS) return stop();
    let sum = 0;
    for (const value of data) sum += value * value;
    const loud = Math.sqrt(sum / data.length) > SPEECH_LEVEL;
    if (loud) {
      heardSpeech = true;
      quiet = 0;
    } else if (heardSpeech) {
      quiet += data.length / context.sampleRate;
    }
    if (!bySilence()) return;
    if ((heardSpeech && quiet >= END_SILENCE_SECONDS) || (!heardSpeech && seconds >= START_TIMEOUT_SECONDS)) stop();
  };
  source.connect(node);
  return { stop, done };
}

/** Send a recording; resolve with {status, body} (201 command, 4xx error), reject on no network. */
export async function send(wav, confirm = false) {
  const response = await fetch(`/api/v1/speech${confirm ? "?confirm=true" : ""}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${auth.token()}`, "Content-Type": "audio/wav", Accept: "application/json" },
    body: wav,
    cache: "no-store",
  });
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }
  return { status: response.status, body };
}
