// The v1 API client: bearer token, JSON in and out, errors as ApiError.

import * as auth from "./auth.js";

/** An API answer that was not a success (status 0: the server could not be reached). */
export class ApiError extends Error {
  constructor(status, body) {
    const detail = (body && (body.detail || body.error)) || (status === 0 ? "The server cannot be reached." : `HTTP ${status}`);
    super(detail);
    this.status = status;
    this.code = (body && body.error) || (status === 0 ? "unreachable" : "http_error");
    this.detail = detail;
    this.body = body || {};
  }
}

const listeners = { unauthorized: [] };

/** Be told when the token is refused (401). */
export function on(event, callback) {
  listeners[event].push(callback);
}

function emit(event, value) {
  for (const callback of listeners[event]) callback(value);
}

/** Call the API; resolve with the parsed JSON (null for 204), reject with ApiError. */
export async function request(method, path, body, token = auth.token()) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, null);
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch (error) {
      data = null; // a proxy's HTML error page, say: keep the status, drop the body
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401) emit("unauthorized", error);
    throw error;
  }
  return data;
}

export const get = (path) => request("GET", path);
export const post = (path, body) => request("POST", path, body);
export const put = (path, body) => request("PUT", path, body);

/** A user-facing sentence for an error from the API. */
export function describe(error) {
  if (!(error instanceof ApiError)) return String(error && error.message ? error.message : error);
  if (error.status === 429) return "Too many requests; wait a moment and try again.";
  if (error.status === 0) return navigator.onLine ? "The server cannot be reached." : "You are offline.";
  return error.detail;
}
