// Parley admin console (docs/operations.md, "Admin console"). An ES module with no dependency but
// chart.js; it uses only the public API under /api/v1 with the browser session:
//
//   sign in   POST   /api/v1/auth/session {login, password}  -> __Host-parley_session cookie (HttpOnly)
//   sign out  DELETE /api/v1/auth/session
//   CSRF      every unsafe request sends X-CSRF-Token: the __Host-parley_csrf cookie when the server
//             set one, else the csrf_token of the sign-in answer (kept in this tab's sessionStorage).
//
// Nothing here writes HTML from data: every value reaches the page through textContent or an
// attribute, so a user's display name cannot inject markup. No inline script or style anywhere
// (the page's Content-Security-Policy forbids both).
import { renderChart } from "./chart.js";

const API = "../api/v1";
const CSRF_COOKIE = "__Host-parley_csrf";
const CSRF_STORAGE_KEY = "parley.csrf";
const ADMIN_ROLES = new Set(["owner", "admin"]);
const ROLES = ["owner", "admin", "member", "guest"];
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const SECTIONS = ["analytics", "users", "audit", "jobs", "ip-rules"];

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

const state = {
  me: null,
  section: null,
  loaded: new Set(), // sections loaded since sign-in
  userNames: new Map(), // id -> username (the audit log's actors and targets)
};

// ---------------------------------------------------------------------------------------------
// Formatting

const numberFormat = new Intl.NumberFormat();
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

function formatNumber(value) {
  return value == null ? "–" : numberFormat.format(value);
}

function formatTime(value) {
  if (!value) return "–";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateTimeFormat.format(date);
}

function timeElement(value) {
  if (!value) return text("–");
  const node = document.createElement("time");
  node.dateTime = value;
  node.textContent = formatTime(value);
  node.title = value;
  return node;
}

function utcDay(date) {
  return date.toISOString().slice(0, 10);
}

function addDays(day, delta) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + delta);
  return utcDay(date);
}

function daysBetween(from, to) {
  const days = [];
  for (let day = from; day <= to && days.length < 400; day = addDays(day, 1)) days.push(day);
  return days;
}

// ---------------------------------------------------------------------------------------------
// DOM helpers

function text(value) {
  return document.createTextNode(value == null ? "" : String(value));
}

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "className") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : text(child));
  }
  return node;
}

function cell(content, className) {
  return h("td", { className }, content);
}

function emptyRow(tbody, columns, message) {
  tbody.replaceChildren(h("tr", {}, h("td", { colspan: columns, className: "empty" }, message)));
}

// ---------------------------------------------------------------------------------------------
// Status messages and problems (RFC 9457)

let statusTimer = 0;

function announce(message) {
  const status = $("#status");
  clearTimeout(statusTimer);
  status.textContent = message;
  if (message) statusTimer = setTimeout(() => (status.textContent = ""), 8000);
}

class ApiError extends Error {
  constructor(problem, status, retryAfter) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.problem = problem;
    this.status = status;
    this.retryAfter = retryAfter;
  }
  get code() {
    return this.problem.code;
  }
}

// Renders a problem into `container`: its title, its detail, and its field errors. With a `form`,
// field errors of fields the form has are shown under those fields (aria-invalid, aria-describedby).
function showProblem(container, error, form) {
  clearProblem(container, form);
  const problem = error instanceof ApiError ? error.problem : { title: "Something went wrong", detail: String(error?.message ?? error) };
  const parts = [h("p", {}, h("strong", {}, problem.title || "Error"), problem.detail ? ` ${problem.detail}` : "")];
  if (error instanceof ApiError && error.status === 429 && error.retryAfter) {
    parts.push(h("p", {}, `Try again in ${error.retryAfter} seconds.`));
  }
  const leftover = [];
  const fieldErrors = problem.errors && typeof problem.errors === "object" ? problem.errors : {};
  for (const [field, messages] of Object.entries(fieldErrors)) {
    const list = Array.isArray(messages) ? messages : [String(messages)];
    const input = form?.elements.namedItem(field);
    if (input instanceof HTMLElement && !(input instanceof RadioNodeList)) {
      const id = `${input.id || field}-error`;
      const message = h("span", { className: "field-error", id }, list.join(" "));
      input.setAttribute("aria-invalid", "true");
      input.dataset.describedBefore = input.getAttribute("aria-describedby") ?? "";
      input.setAttribute("aria-describedby", `${input.dataset.describedBefore} ${id}`.trim());
      input.closest(".field")?.append(message);
    } else {
      leftover.push(h("li", {}, h("code", {}, field), `: ${list.join(" ")}`));
    }
  }
  if (leftover.length) parts.push(h("ul", {}, leftover));
  if (problem.request_id || error?.requestId) parts.push(h("p", { className: "note" }, `Request ID ${problem.request_id || error.requestId}`));
  container.replaceChildren(...parts);
  container.classList.add("shown");
  const firstInvalid = form && $('[aria-invalid="true"]', form);
  if (firstInvalid) firstInvalid.focus();
}

function clearProblem(container, form) {
  if (container) {
    container.replaceChildren();
    container.classList.remove("shown");
  }
  if (form) {
    for (const input of $$('[aria-invalid="true"]', form)) {
      input.removeAttribute("aria-invalid");
      const before = input.dataset.describedBefore;
      if (before) input.setAttribute("aria-describedby", before);
      else input.removeAttribute("aria-describedby");
      delete input.dataset.describedBefore;
    }
    for (const message of $$(".field-error", form)) message.remove();
  }
}

// Errors of actions outside a form (a row's button): in the page's alert region.
function showError(error) {
  showProblem($("#error"), error);
}

// ---------------------------------------------------------------------------------------------
// The API

function readCookie(name) {
  for (const pair of document.cookie.split(";")) {
    const index = pair.indexOf("=");
    if (index < 0) continue;
    if (pair.slice(0, index).trim() === name) return decodeURIComponent(pair.slice(index + 1).trim());
  }
  return null;
}

function csrfToken() {
  return readCookie(CSRF_COOKIE) || sessionStorage.getItem(CSRF_STORAGE_KEY);
}

// `path` is under /api/v1 ("/admin/users"), or an absolute path the API gave (a page's `next`).
function apiUrl(path, query) {
  const url = path.startsWith("/api/") ? new URL(path, location.origin) : new URL(`${API}${path}`, location.href);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  return url;
}

async function api(method, path, { query, body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!SAFE_METHODS.has(method)) {
    const token = csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
  }
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (cause) {
    throw new ApiError({ title: "Network error", detail: `Parley could not be reached (${cause.message}).` }, 0);
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") ?? "";
  let data = null;
  if (type.includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const problem =
      data && typeof data === "object"
        ? data
        : { title: response.statusText || `HTTP ${response.status}`, detail: `The server answered ${response.status}.` };
    if (!problem.request_id) problem.request_id = response.headers.get("X-Request-Id") ?? undefined;
    const error = new ApiError(problem, response.status, response.headers.get("Retry-After"));
    // A session that ended (expired, revoked, deactivated) while the console was open.
    if (response.status === 401 && !path.startsWith("/auth/session")) sessionLost(error);
    throw error;
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// Views: sign-in, admins only, console

function showView(name) {
  $("#loading").hidden = true;
  for (const view of ["signin", "forbidden", "console"]) $(`#view-${view}`).hidden = view !== name;
  $("#console-nav").hidden = name !== "console";
  $("#layout").classList.toggle("with-nav", name === "console");
  const signedIn = name !== "signin";
  $("#whoami").hidden = !signedIn;
  if (signedIn && state.me) {
    $("#whoami-name").textContent = userLabel(state.me);
    $("#whoami-role").textContent = state.me.role;
  }
}

function showSignIn(note) {
  state.me = null;
  state.loaded.clear();
  state.userNames.clear();
  const noteElement = $("#signin-note");
  noteElement.textContent = note ?? "";
  noteElement.hidden = !note;
  showView("signin");
  document.title = "Sign in · Parley admin";
  const login = $("#signin-login");
  (login.value ? $("#signin-password") : login).focus();
}

function sessionLost(error) {
  if (!state.me) return;
  sessionStorage.removeItem(CSRF_STORAGE_KEY);
  const why = error.code === "session_expired" ? "Your session has ended." : error.problem.detail || "You are signed out.";
  showSignIn(`${why} Sign in again to continue.`);
}

function enter(me) {
  state.me = me;
  if (!ADMIN_ROLES.has(me.role)) {
    $("#forbidden-user").textContent = `@${me.username}`;
    $("#forbidden-role").textContent = me.role;
    showView("forbidden");
    document.title = "Admins only · Parley admin";
    $("#forbidden-title").focus();
    return;
  }
  showView("console");
  route(true);
}

async function start() {
  try {
    const me = await api("GET", "/users/me");
    if (ADMIN_ROLES.has(me.role) && !csrfToken()) {
      // A live session, but this tab has no CSRF token (it was shown once, to the tab that signed in).
      showSignIn("You have a session, but this tab cannot make changes with it. Sign in again here.");
      return;
    }
    enter(me);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showSignIn(error.code === "session_expired" ? "Your session has ended. Sign in again to continue." : undefined);
    } else {
      showView("signin");
      showProblem($("#signin-form .form-problem"), error);
    }
  }
}

async function signIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const problem = $(".form-problem", form);
  clearProblem(problem, form);
  const button = $('button[type="submit"]', form);
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    const answer = await api("POST", "/auth/session", {
      body: { login: form.elements.login.value.trim(), password: form.elements.password.value },
    });
    form.elements.password.value = "";
    if (answer?.csrf_token) sessionStorage.setItem(CSRF_STORAGE_KEY, answer.csrf_token);
    // The full profile (the sign-in answer has a subset): role, display name, email.
    const me = await api("GET", "/users/me");
    announce(`Signed in as ${me.username}.`);
    enter(me);
  } catch (error) {
    showProblem(problem, error, form);
    if (!$('[aria-invalid="true"]', form)) form.elements.password.focus();
  } finally {
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

async function signOut() {
  try {
    await api("DELETE", "/auth/session");
  } catch (error) {
    // 401: already signed out. Anything else: still forget the session here, and say so.
    if (!(error instanceof ApiError && error.status === 401)) showError(error);
  }
  sessionStorage.removeItem(CSRF_STORAGE_KEY);
  $("#signin-form").reset();
  showSignIn();
  announce("Signed out.");
}

// ---------------------------------------------------------------------------------------------
// Sections (hash routing: #analytics, #users, ...)

function route(focusHeading) {
  if (!state.me || !ADMIN_ROLES.has(state.me.role)) return;
  const wanted = location.hash.slice(1);
  if (wanted && !SECTIONS.includes(wanted)) return; // e.g. the skip link's #main
  const name = wanted || state.section || SECTIONS[0];
  state.section = name;
  for (const section of SECTIONS) $(`#section-${section}`).hidden = section !== name;
  for (const link of $$("nav.sections a[data-section]")) {
    if (link.dataset.section === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const heading = $(`#section-${name} h1`);
  document.title = `${heading.textContent} · Parley admin`;
  if (focusHeading) heading.focus();
  if (!state.loaded.has(name)) {
    state.loaded.add(name);
    loaders[name]();
  }
}

// Marks a section busy while `work` runs; errors go to `problemBox` (or the page's alert region).
async function busy(section, work, problemBox) {
  const element = $(`#section-${section}`);
  element.setAttribute("aria-busy", "true");
  try {
    await work();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // sessionLost() took over
    if (problemBox) showProblem(problemBox, error);
    else showError(error);
  } finally {
    element.removeAttribute("aria-busy");
  }
}

// A pager for the API's {results, next, previous} pages. `previous` is null in Parley's cursors, so
// the pager remembers the pages it came through.
class Pager {
  constructor(name, load) {
    this.box = $(`.pager[data-pager="${name}"]`);
    this.load = load; // (url|null) => Promise<page>
    this.history = [];
    this.current = null;
  }
  reset() {
    this.history = [];
    this.current = null;
  }
  render(page) {
    const buttons = [];
    if (this.history.length || page.previous) {
      buttons.push(
        h("button", { type: "button", className: "secondary", dataset: { page: "previous" } }, "← Newer"),
      );
    }
    if (page.next) buttons.push(h("button", { type: "button", className: "secondary", dataset: { page: "next" } }, "Older →"));
    this.box.replaceChildren(...buttons);
    const [prevButton] = $$('[data-page="previous"]', this.box);
    const [nextButton] = $$('[data-page="next"]', this.box);
    prevButton?.addEventListener("click", async () => {
      const target = page.previous ? page.previous : this.history.pop();
      this.current = target ?? null;
      await this.load(this.current);
      ($('[data-page="previous"]', this.box) ?? $('[data-page="next"]', this.box))?.focus();
    });
    nextButton?.addEventListener("click", async () => {
      this.history.push(this.current);
      this.current = page.next;
      await this.load(this.current);
      ($('[data-page="next"]', this.box) ?? $('[data-page="previous"]', this.box))?.focus();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Analytics

const COUNT_CARDS = [
  ["active_users", "Active users"],
  ["messages", "Messages"],
  ["signups", "Sign-ups"],
  ["logins", "Logins"],
  ["conversations", "Conversations"],
  ["uploads", "Uploads"],
  ["searches", "Searches"],
  ["errors", "Server errors"],
  ["requests", "Requests"],
];

function setRange(days) {
  const to = utcDay(new Date());
  $("#analytics-from").value = addDays(to, -(days - 1));
  $("#analytics-to").value = to;
}

async function loadAnalytics() {
  const form = $("#analytics-form");
  const problem = $(".form-problem", form);
  clearProblem(problem, form);
  if (!form.elements.from.value || !form.elements.to.value) setRange(30);
  const query = { from: form.elements.from.value, to: form.elements.to.value };
  await busy(
    "analytics",
    async () => {
      const [summary, daily] = await Promise.all([
        api("GET", "/admin/analytics/summary", { query }),
        api("GET", "/admin/analytics/daily", { query }),
      ]);
      renderSummary(summary);
      renderDaily(daily);
      announce(`Analytics from ${daily.from} to ${daily.to} loaded.`);
    },
    problem,
  );
}

function renderSummary(summary) {
  const cards = COUNT_CARDS.map(([key, label]) =>
    h("div", { className: "card", dataset: { metric: key } }, h("dt", {}, label), h("dd", {}, formatNumber(summary[key]))),
  );
  cards.push(
    h(
      "div",
      { className: "card", dataset: { metric: "p95_latency_ms" } },
      h("dt", {}, "p95 latency"),
      h("dd", {}, summary.p95_latency_ms == null ? "–" : `${summary.p95_latency_ms} ms`),
    ),
  );
  $("#analytics-cards").replaceChildren(...cards);
  const days = daysBetween(summary.from, summary.to).length;
  $("#analytics-range-note").textContent =
    `${summary.from} to ${summary.to} (UTC): ${summary.days_rolled_up} of ${days} days rolled up. ` +
    "Active users are counted once over the whole range.";
}

// The last /daily answer, drawn again when the charts' width changes (chart.js draws at the
// container's pixel width so that its text keeps its size).
let lastDaily = null;
let drawnWidth = 0;

function renderDaily(daily) {
  lastDaily = daily;
  drawnWidth = $("#chart-activity").clientWidth;
  const labels = daysBetween(daily.from, daily.to);
  const byDay = new Map(daily.results.map((row) => [row.date, row]));
  const column = (key) => labels.map((day) => byDay.get(day)?.[key] ?? null);
  const rolled = daily.results.length;
  renderChart($("#chart-activity"), {
    title: "Messages and active users per day",
    description: `${rolled} rolled-up days from ${daily.from} to ${daily.to}; the table below has the values.`,
    labels,
    series: [
      { name: "Messages", type: "bar", values: column("messages"), className: "series-1" },
      { name: "Active users", type: "line", axis: "right", values: column("active_users"), className: "series-2" },
    ],
  });
  renderChart($("#chart-traffic"), {
    title: "Requests and p95 latency per day",
    description: `${rolled} rolled-up days from ${daily.from} to ${daily.to}; the table below has the values.`,
    labels,
    series: [
      { name: "Requests", type: "bar", values: column("requests"), className: "series-3" },
      {
        name: "p95 latency (ms)",
        type: "line",
        axis: "right",
        values: column("p95_latency_ms"),
        className: "series-4",
        format: (v) => `${v} ms`,
      },
    ],
  });
  const tbody = $("#analytics-table tbody");
  if (!daily.results.length) {
    emptyRow(tbody, 12, "No day of this range has been rolled up yet.");
    return;
  }
  tbody.replaceChildren(
    ...daily.results.map((row) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, row.date),
        ...["active_users", "messages", "signups", "logins", "conversations", "uploads", "searches", "errors", "requests"].map(
          (key) => cell(formatNumber(row[key]), "num"),
        ),
        cell(row.p95_latency_ms == null ? "–" : String(row.p95_latency_ms), "num"),
        cell(timeElement(row.computed_at)),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Users

const usersPager = new Pager("users", (url) => loadUsers(url));

function canChange(user) {
  const me = state.me;
  if (!me || user.id === me.id) return false; // nobody changes themself
  if (me.role === "owner") return true;
  return !ADMIN_ROLES.has(user.role); // admins change members and guests only
}

function userLabel(user) {
  return user.display_name && user.display_name !== user.username ? `${user.display_name} (@${user.username})` : `@${user.username}`;
}

async function loadUsers(url) {
  const form = $("#users-form");
  const problem = $(".form-problem", form);
  clearProblem(problem, form);
  await busy(
    "users",
    async () => {
      const page = url
        ? await api("GET", url)
        : await api("GET", "/admin/users", {
            query: { search: form.elements.search.value.trim(), role: form.elements.role.value, active: form.elements.active.value },
          });
      const tbody = $("#users-table tbody");
      if (!page.results.length) emptyRow(tbody, 8, "No user matches.");
      else tbody.replaceChildren(...page.results.map(userRow));
      for (const user of page.results) state.userNames.set(user.id, user.username);
      usersPager.render(page);
      announce(`${page.results.length} user${page.results.length === 1 ? "" : "s"} shown.`);
    },
    problem,
  );
}

function userRow(user) {
  const row = h("tr", { dataset: { userId: user.id, username: user.username } });
  fillUserRow(row, user);
  return row;
}

function fillUserRow(row, user) {
  const editable = canChange(user);
  const roleId = `role-${user.id}`;
  let roleCell;
  if (editable) {
    const allowed = state.me.role === "owner" ? ROLES : ["member", "guest"];
    const select = h(
      "select",
      { id: roleId, name: "role", "aria-label": `Role of ${user.username}` },
      allowed.map((role) => h("option", { value: role, selected: role === user.role }, role)),
    );
    const save = h("button", { type: "button", className: "secondary small", dataset: { action: "save-role" } }, "Change role");
    save.setAttribute("aria-label", `Change the role of ${user.username}`);
    roleCell = cell(h("div", { className: "inline" }, select, save));
  } else {
    roleCell = cell(h("span", { className: `badge role-${user.role}` }, user.role));
  }
  const status = user.is_active ? h("span", { className: "badge ok" }, "Active") : h("span", { className: "badge off" }, "Deactivated");
  let action = null;
  if (editable) {
    action = h(
      "button",
      {
        type: "button",
        className: user.is_active ? "danger small" : "secondary small",
        dataset: { action: user.is_active ? "deactivate" : "reactivate" },
        "aria-label": `${user.is_active ? "Deactivate" : "Reactivate"} ${user.username}`,
      },
      user.is_active ? "Deactivate" : "Reactivate",
    );
  } else if (user.id === state.me.id) {
    action = h("span", { className: "note" }, "You");
  }
  row.replaceChildren(
    cell(String(user.id), "num"),
    cell(h("span", {}, h("span", { className: "name" }, user.display_name || user.username), h("br"), h("span", { className: "note" }, `@${user.username}`))),
    cell(user.email ?? "–"),
    roleCell,
    cell(status),
    cell(timeElement(user.created_at)),
    cell(timeElement(user.last_seen_at)),
    cell(action, "row-actions"),
  );
}

async function updateUser(row, change, describe) {
  const id = Number(row.dataset.userId);
  try {
    const user = await api("PATCH", `/admin/users/${id}`, { body: change });
    const focusedAction = document.activeElement?.dataset?.action;
    fillUserRow(row, user);
    // Keep the keyboard where it was: the same control of the re-drawn row.
    const again =
      $(`[data-action="${focusedAction}"]`, row) ??
      $('[data-action="deactivate"], [data-action="reactivate"]', row) ??
      row.querySelector("select, button");
    again?.focus();
    announce(describe(user));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) showError(error);
  }
}

async function onUsersClick(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const row = button.closest("tr");
  const username = row.dataset.username;
  switch (button.dataset.action) {
    case "save-role": {
      const role = $("select", row).value;
      await updateUser(row, { role }, (user) => `Changed the role of ${user.username} to ${user.role}.`);
      break;
    }
    case "deactivate": {
      const ok = await confirmAction(
        `Deactivate ${username}?`,
        "They are signed out everywhere at once: sessions, refresh tokens and personal tokens are revoked. You can reactivate them later.",
        "Deactivate",
      );
      if (ok) await updateUser(row, { is_active: false }, (user) => `Deactivated ${user.username}.`);
      break;
    }
    case "reactivate":
      await updateUser(row, { is_active: true }, (user) => `Reactivated ${user.username}.`);
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Audit log

const auditPager = new Pager("audit", (url) => loadAudit(url));

async function loadAudit(url) {
  const form = $("#audit-form");
  const problem = $(".form-problem", form);
  clearProblem(problem, form);
  await busy(
    "audit",
    async () => {
      const e = form.elements;
      const page = url
        ? await api("GET", url)
        : await api("GET", "/admin/audit-log", {
            query: {
              action: e.action.value.trim(),
              actor_id: e.actor_id.value,
              target_type: e.target_type.value,
              target_id: e.target_id.value,
            },
          });
      const tbody = $("#audit-table tbody");
      if (!page.results.length) emptyRow(tbody, 6, "No entry matches.");
      else tbody.replaceChildren(...page.results.map(auditRow));
      auditPager.render(page);
      announce(`${page.results.length} audit entr${page.results.length === 1 ? "y" : "ies"} shown.`);
      await nameUsers(page.results);
    },
    problem,
  );
}

function userRef(id) {
  return h("span", { className: "user-ref", dataset: { userRef: id } }, `#${id}`);
}

function auditRow(entry) {
  const target =
    entry.target_type == null
      ? "–"
      : entry.target_type === "user"
        ? h("span", {}, "user ", userRef(entry.target_id))
        : `${entry.target_type} #${entry.target_id}`;
  const details =
    entry.details && typeof entry.details === "object" && Object.keys(entry.details).length
      ? h("code", { className: "details" }, JSON.stringify(entry.details))
      : typeof entry.details === "string" && entry.details
        ? h("code", { className: "details" }, entry.details)
        : "–";
  return h(
    "tr",
    { dataset: { auditId: entry.id, action: entry.action } },
    cell(timeElement(entry.created_at)),
    cell(entry.actor_id == null ? h("span", { className: "note" }, "system") : userRef(entry.actor_id)),
    cell(h("code", {}, entry.action)),
    cell(target),
    cell(entry.ip ?? "–"),
    cell(details),
  );
}

// Replaces "#12" by "@alice" for the users the page mentions (one request per unknown user, at most 50).
async function nameUsers(entries) {
  const ids = new Set();
  for (const entry of entries) {
    if (entry.actor_id != null) ids.add(entry.actor_id);
    if (entry.target_type === "user" && entry.target_id != null) ids.add(entry.target_id);
  }
  const unknown = [...ids].filter((id) => !state.userNames.has(id)).slice(0, 50);
  await Promise.all(
    unknown.map(async (id) => {
      try {
        const user = await api("GET", `/admin/users/${id}`);
        state.userNames.set(id, user.username);
      } catch {
        state.userNames.set(id, null); // deleted or invisible: keep the id
      }
    }),
  );
  for (const ref of $$("#audit-table [data-user-ref]")) {
    const name = state.userNames.get(Number(ref.dataset.userRef));
    if (name) {
      ref.textContent = `@${name}`;
      ref.title = `user #${ref.dataset.userRef}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Jobs

const deadPager = new Pager("dead", (url) => loadDead(url));

async function loadJobs() {
  await busy("jobs", async () => {
    const overview = await api("GET", "/admin/jobs");
    $("#jobs-broker").textContent = `Broker: ${overview.broker}.`;
    const tbody = $("#queues-table tbody");
    if (!overview.queues.length) emptyRow(tbody, 7, "No job in any queue.");
    else
      tbody.replaceChildren(
        ...overview.queues.map((q) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, q.queue),
            cell(formatNumber(q.due), "num"),
            cell(formatNumber(q.scheduled), "num"),
            cell(formatNumber(q.retrying), "num"),
            cell(formatNumber(q.running), "num"),
            cell(formatNumber(q.dead), q.dead ? "num warn" : "num"),
            cell(timeElement(q.oldest_due_at)),
          ),
        ),
      );
    $("#jobs-tasks").replaceChildren(...(overview.tasks ?? []).map((task) => h("li", {}, h("code", {}, task))));
    deadPager.reset();
    await loadDead(null, true);
  });
}

async function loadDead(url, quiet) {
  await busy("jobs", async () => {
    const page = await api("GET", url ?? "/admin/jobs/dead");
    const tbody = $("#dead-table tbody");
    if (!page.results.length) emptyRow(tbody, 7, "No dead job.");
    else tbody.replaceChildren(...page.results.map(deadRow));
    deadPager.render(page);
    if (!quiet) announce(`${page.results.length} dead job${page.results.length === 1 ? "" : "s"} shown.`);
    else announce(`Jobs loaded: ${page.results.length} dead job${page.results.length === 1 ? "" : "s"} shown.`);
  });
}

function deadRow(job) {
  return h(
    "tr",
    { dataset: { jobId: job.id } },
    cell(String(job.id), "num"),
    cell(job.queue),
    cell(h("code", {}, job.task)),
    cell(`${job.attempts} / ${job.max_attempts}`, "num"),
    cell(job.last_error ? h("code", { className: "details" }, job.last_error) : "–"),
    cell(timeElement(job.finished_at)),
    cell(
      h("button", { type: "button", className: "secondary small", dataset: { action: "retry" }, "aria-label": `Retry job ${job.id}` }, "Retry"),
      "row-actions",
    ),
  );
}

async function onDeadClick(event) {
  const button = event.target.closest('button[data-action="retry"]');
  if (!button) return;
  const row = button.closest("tr");
  const id = row.dataset.jobId;
  button.disabled = true;
  try {
    const job = await api("POST", `/admin/jobs/${id}/retry`);
    row.replaceChildren(
      cell(String(job.id), "num"),
      cell(job.queue),
      cell(h("code", {}, job.task)),
      cell(`${job.attempts} / ${job.max_attempts}`, "num"),
      cell(h("span", { className: "badge ok" }, `queued (${job.status})`)),
      cell(timeElement(job.run_at)),
      cell(""),
    );
    $("#section-jobs h1").focus();
    announce(`Job ${job.id} queued again.`);
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof ApiError && error.status === 401)) showError(error);
  }
}

// ---------------------------------------------------------------------------------------------
// IP rules

const rulesPager = new Pager("ip-rules", (url) => loadRules(url));

async function loadRules(url) {
  await busy("ip-rules", async () => {
    const page = await api("GET", url ?? "/admin/ip-rules");
    const tbody = $("#ip-rules-table tbody");
    if (!page.results.length) emptyRow(tbody, 8, "No IP rule: every address may connect.");
    else tbody.replaceChildren(...page.results.map(ruleRow));
    rulesPager.render(page);
    announce(`${page.results.length} IP rule${page.results.length === 1 ? "" : "s"} shown.`);
  });
}

function ruleRow(rule) {
  return h(
    "tr",
    { dataset: { ruleId: rule.id, cidr: rule.cidr } },
    cell(String(rule.id), "num"),
    cell(h("code", {}, rule.cidr)),
    cell(h("span", { className: `badge ${rule.action === "allow" ? "ok" : "off"}` }, rule.action)),
    cell(rule.note || "–"),
    cell(rule.expires_at ? timeElement(rule.expires_at) : "never"),
    cell(rule.active ? "active" : h("span", { className: "note" }, "expired")),
    cell(timeElement(rule.created_at)),
    cell(
      h("button", { type: "button", className: "danger small", dataset: { action: "delete-rule" }, "aria-label": `Delete the rule for ${rule.cidr}` }, "Delete"),
      "row-actions",
    ),
  );
}

async function createRule(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const problem = $(".form-problem", form);
  clearProblem(problem, form);
  const e = form.elements;
  const body = { cidr: e.cidr.value.trim(), action: e.action.value };
  if (e.note.value.trim()) body.note = e.note.value.trim();
  if (e.expires_at.value) {
    const expires = new Date(e.expires_at.value); // datetime-local: the browser's time zone
    if (Number.isNaN(expires.getTime())) {
      showProblem(problem, new ApiError({ title: "Invalid input", errors: { expires_at: ["Enter a date and time."] } }, 400), form);
      return;
    }
    body.expires_at = expires.toISOString();
  }
  const button = $('button[type="submit"]', form);
  button.disabled = true;
  try {
    const rule = await api("POST", "/admin/ip-rules", { body, query: { force: e.force.checked ? "true" : undefined } });
    form.reset();
    rulesPager.reset();
    await loadRules(null);
    announce(`Added a ${rule.action} rule for ${rule.cidr}.`);
    e.cidr.focus();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    showProblem(problem, error, form);
    if (error instanceof ApiError && error.code === "ip_rule_lockout") {
      problem.append(h("p", {}, "Check “Apply even if it refuses my own address” to add it anyway."));
      e.force.focus();
    }
  } finally {
    button.disabled = false;
  }
}

async function onRulesClick(event) {
  const button = event.target.closest('button[data-action="delete-rule"]');
  if (!button) return;
  const row = button.closest("tr");
  const { ruleId, cidr } = row.dataset;
  if (!(await confirmAction(`Delete the rule for ${cidr}?`, "Every replica applies the change at once.", "Delete rule"))) return;
  let force = false;
  for (;;) {
    try {
      await api("DELETE", `/admin/ip-rules/${ruleId}`, { query: { force: force ? "true" : undefined } });
      const next = row.nextElementSibling ?? row.previousElementSibling;
      row.remove();
      if (!$("#ip-rules-table tbody tr")) emptyRow($("#ip-rules-table tbody"), 8, "No IP rule: every address may connect.");
      ($("button", next ?? document.createElement("tr")) ?? $("#ip-rules-title")).focus();
      announce(`Deleted the rule for ${cidr}.`);
      return;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      if (!force && error instanceof ApiError && error.code === "ip_rule_lockout") {
        force = await confirmAction("This would refuse your own address", `${error.problem.detail ?? ""} Delete it anyway?`, "Delete anyway");
        if (force) continue;
        return;
      }
      showError(error);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The confirmation dialog

function confirmAction(title, message, okLabel) {
  const dialog = $("#confirm");
  const opener = document.activeElement;
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = message;
  $("#confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
        resolve(dialog.returnValue === "ok");
      },
      { once: true },
    );
    dialog.showModal();
    $('button[value="cancel"]', dialog).focus(); // the safe choice first
  });
}

// ---------------------------------------------------------------------------------------------
// Wiring

const loaders = {
  analytics: loadAnalytics,
  users: () => {
    usersPager.reset();
    return loadUsers(null);
  },
  audit: () => {
    auditPager.reset();
    return loadAudit(null);
  },
  jobs: loadJobs,
  "ip-rules": () => {
    rulesPager.reset();
    return loadRules(null);
  },
};

function wire() {
  $("#signin-form").addEventListener("submit", signIn);
  for (const button of $$('[data-action="sign-out"]')) button.addEventListener("click", signOut);

  window.addEventListener("hashchange", () => route(true));
  // Clicking the current section's link again reloads it.
  for (const link of $$("nav.sections a[data-section]")) {
    link.addEventListener("click", () => {
      if (link.dataset.section === state.section && location.hash === `#${state.section}`) {
        loaders[state.section]();
      }
    });
  }

  $("#analytics-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadAnalytics();
  });
  for (const button of $$("#analytics-form [data-range]")) {
    button.addEventListener("click", () => {
      setRange(Number(button.dataset.range));
      loadAnalytics();
    });
  }

  $("#users-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loaders.users();
  });
  $("#users-table").addEventListener("click", onUsersClick);

  $("#audit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loaders.audit();
  });

  $('[data-action="jobs-refresh"]').addEventListener("click", loadJobs);
  $("#dead-table").addEventListener("click", onDeadClick);

  $("#ip-rule-form").addEventListener("submit", createRule);
  $("#ip-rules-table").addEventListener("click", onRulesClick);

  new ResizeObserver(() => {
    const width = $("#chart-activity").clientWidth;
    if (lastDaily && width && Math.abs(width - drawnWidth) > 24) renderDaily(lastDaily);
  }).observe($("#section-analytics .charts"));

  // The alert region clears itself when the user moves on.
  document.addEventListener("click", (event) => {
    if (!event.target.closest("#error")) clearProblem($("#error"));
  }, { capture: true });
}

wire();
setRange(30);
start();
