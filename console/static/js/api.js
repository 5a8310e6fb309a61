// The console's only way to the server: /v1 over fetch, with the browser session's cookies.
// Writes carry the session's CSRF token (read from the tb_csrf cookie); an expired access token
// is refreshed once through the refresh cookie and the request repeated. Problems
// (application/problem+json) become ApiProblem, whose `message` is in Chinese.
import { describeProblem } from "./problems.js";

export class ApiProblem extends Error {
  constructor(status, problem) {
    const described = describeProblem(status, problem);
    super(described.message);
    this.status = status;
    this.problem = problem;
    this.fields = described.fields;
    this.slug = described.slug;
  }
}

let onSignedOut = () => {};
export function whenSignedOut(callback) { onSignedOut = callback; }

export function csrfToken() {
  const found = document.cookie.split("; ").find((part) => part.startsWith("tb_csrf="));
  return found ? decodeURIComponent(found.slice(8)) : "";
}

async function send(method, path, body, headers) {
  const init = { method, credentials: "same-origin", headers: { ...headers } };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = csrfToken();
  if (body instanceof Blob) init.body = body; // a file: its type and name are in the headers
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init);
}

let refreshing = null;
export function refreshSession() {
  // One refresh at a time: parallel requests that all met an expired token share it.
  refreshing ??= send("POST", "/v1/auth/browser/refresh").then((r) => r.ok).finally(() => {
    setTimeout(() => { refreshing = null; }, 0);
  });
  return refreshing;
}

async function parsed(response) {
  const type = response.headers.get("content-type") || "";
  if (response.status === 204) return null;
  if (type.includes("json")) return response.json();
  return response.text();
}

export async function api(method, path, body, { headers = {}, retry = true } = {}) {
  let response;
  try {
    response = await send(method, path, body, headers);
  } catch (error) {
    throw new ApiProblem(0, { detail: String(error) });
  }
  if (response.status === 401 && retry && !path.startsWith("/v1/auth/browser/")) {
    if (await refreshSession()) return api(method, path, body, { headers, retry: false });
    onSignedOut();
  }
  const data = await parsed(response);
  if (!response.ok) throw new ApiProblem(response.status, typeof data === "object" ? data : {});
  return data;
}

export const get = (path, query) => api("GET", query ? `${path}?${params(query)}` : path);
export const post = (path, body, options) => api("POST", path, body ?? {}, options);
export const patch = (path, body) => api("PATCH", path, body);

export function params(query) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  return search.toString();
}

export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

// A file as the raw body, streamed by the server; the name percent-encoded (it may be Chinese).
export async function upload(file) {
  const headers = { "Content-Type": file.type || "application/octet-stream",
    "X-Filename": encodeURIComponent(file.name) };
  return api("POST", "/v1/files", file, { headers });
}
