// Parley's responses checked against its own OpenAPI document: ordinary calls of every resource
// family (and its usual problem answers) go through Prism's validating proxy (`prism proxy`, started
// by scripts/api-contract-test in front of a private `parley serve`), which compares each request
// and each response with /api/schema.json and reports what does not match in the `sl-violations`
// header. Any response violation fails the call that produced it; so does a request violation,
// except on the few calls that are malformed on purpose (they test Parley's problem answers).
//
//   PARLEY_TEST_PROXY_URL     the proxy (every call goes through it)
//   PARLEY_TEST_URL           the server itself (its origin, for the session's Origin check)
//   PARLEY_TEST_ADMIN_LOGIN, PARLEY_TEST_ADMIN_PASSWORD   an owner made with `parley createsuperuser`
//
// Run with `node --test contract.test.mjs`. The steps depend on each other (ids, tokens): node runs
// the top-level tests of a file one after the other.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

const PROXY = process.env.PARLEY_TEST_PROXY_URL;
const ORIGIN = process.env.PARLEY_TEST_URL;
const ADMIN_LOGIN = process.env.PARLEY_TEST_ADMIN_LOGIN;
const ADMIN_PASSWORD = process.env.PARLEY_TEST_ADMIN_PASSWORD;
if (!PROXY || !ORIGIN || !ADMIN_LOGIN || !ADMIN_PASSWORD) {
  throw new Error("set PARLEY_TEST_PROXY_URL, PARLEY_TEST_URL, PARLEY_TEST_ADMIN_LOGIN and PARLEY_TEST_ADMIN_PASSWORD");
}
const API = "/api/v1";
const PASSWORD = "correct horse battery staple";
// A 1x1 transparent PNG (the upload's type is sniffed from its content).
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

// --- the call helper -------------------------------------------------------------------------------

const log = []; // {method, path, status, operation, violations}
let operations = []; // {method, template, regex} from the document
const run = Date.now().toString(36); // unique names per run

function operationOf(method, path) {
  const bare = path.split("?")[0];
  const found = operations.find((o) => o.method === method && o.regex.test(bare));
  return found ? `${method} ${found.template}` : `${method} ${bare} (not in the document)`;
}

// call(METHOD, PATH, options) -> {status, headers, body}; asserts the status and that Prism saw no
// violation. Options: auth (an access token, a pat_ token, or a session {cookie, csrf}), json (a
// body), form (a FormData), headers, status (expected; default 200), malformed (the request breaks
// the document on purpose: request violations are expected, response violations still fail).
async function call(method, path, options = {}) {
  const headers = { Accept: "application/json", ...options.headers };
  const { auth } = options;
  if (typeof auth === "string") headers.Authorization = `Bearer ${auth}`;
  if (auth && typeof auth === "object") {
    headers.Cookie = auth.cookie;
    if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
      headers["X-CSRF-Token"] = auth.csrf;
      headers.Origin = ORIGIN;
    }
  }
  let body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["Content-Type"] ??= "application/json";
  } else if (options.form !== undefined) {
    body = options.form;
  } else if (options.raw !== undefined) {
    body = options.raw;
  }
  const response = await fetch(PROXY + path, { method, headers, body, redirect: "manual" });
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  let parsed = text;
  if (/json/.test(type) && !/ndjson/.test(type) && text) parsed = JSON.parse(text);
  const raw = response.headers.get("sl-violations");
  const violations = raw ? JSON.parse(raw) : [];
  // Violations are collected and reported together by the last test, so that one run shows all.
  const counted = violations.filter((v) => v.location?.[0] === "response" || !options.malformed);
  const operation = operationOf(method, path);
  log.push({ method, path, status: response.status, operation, violations: counted });
  const where = `${method} ${path} -> ${response.status}`;
  const expected = options.status ?? 200;
  assert.equal(response.status, expected, `${where} (expected ${expected}): ${text.slice(0, 400)}`);
  return { status: response.status, headers: response.headers, body: parsed };
}

function problem(result, code) {
  assert.equal(result.headers.get("content-type"), "application/problem+json");
  if (code) assert.equal(result.body.code, code);
}

// --- shared state between the steps ---------------------------------------------------------------

const alice = { username: `alice_${run}`, email: `alice_${run}@example.com` };
const bob = { username: `bob_${run}`, email: `bob_${run}@example.com` };
let access, refresh, bobAccess, adminAccess, adminId, session, pat;
let channel, direct, message, reply, toDelete, upload, webhook, incoming, ipRule;

before(async () => {
  const doc = await (await fetch(`${ORIGIN}/api/schema.json`)).json();
  for (const [template, item] of Object.entries(doc.paths)) {
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+");
    for (const method of Object.keys(item)) {
      operations.push({ method: method.toUpperCase(), template, regex: new RegExp(`^${pattern}$`) });
    }
  }
});

after(() => {
  const covered = new Set(log.map((e) => e.operation));
  const missed = operations.map((o) => `${o.method} ${o.template}`).filter((o) => !covered.has(o));
  const count = (side) =>
    log.reduce((n, e) => n + e.violations.filter((v) => (v.location?.[0] === "response") === (side === "response")).length, 0);
  console.log(
    `contract: ${log.length} calls through the proxy, ${covered.size} of ${operations.length} operations; ` +
      `violations: ${count("response")} in responses, ${count("request")} in requests`,
  );
  if (missed.length) console.log(`contract: not called: ${missed.join(", ")}`);
});

// --- operations ------------------------------------------------------------------------------------

test("operations: probes, metrics and the document", async () => {
  assert.equal((await call("GET", "/healthz")).body.status, "ok");
  assert.equal((await call("GET", "/readyz")).body.status, "ready");
  const metrics = await call("GET", "/metrics", { headers: { Accept: "text/plain" } });
  assert.match(metrics.body, /parley_/);
  assert.equal((await call("GET", "/api/schema.json")).body.openapi, "3.1.0");
  problem(await call("GET", "/healthz", { headers: { Accept: "text/html" }, status: 406, malformed: true }), "not_acceptable");
});

// --- accounts --------------------------------------------------------------------------------------

test("accounts: register, JWT token and refresh", async () => {
  for (const user of [alice, bob]) {
    const created = await call("POST", `${API}/auth/register`, {
      json: { ...user, password: PASSWORD, display_name: user.username },
      status: 201,
    });
    user.id = created.body.id;
  }
  problem(
    await call("POST", `${API}/auth/register`, {
      json: { username: `carol_${run}`, email: "not an email", password: "short" },
      status: 400,
      malformed: true,
    }),
    "validation_failed",
  );
  const tokens = await call("POST", `${API}/auth/token`, { json: { login: alice.username, password: PASSWORD } });
  ({ access, refresh } = tokens.body);
  problem(await call("POST", `${API}/auth/token`, { json: { login: alice.username, password: "wrong password!" }, status: 401 }));
  const renewed = await call("POST", `${API}/auth/token/refresh`, { json: { refresh } });
  ({ access, refresh } = renewed.body);
  bobAccess = (await call("POST", `${API}/auth/token`, { json: { login: bob.email, password: PASSWORD } })).body.access;
  adminAccess = (await call("POST", `${API}/auth/token`, { json: { login: ADMIN_LOGIN, password: ADMIN_PASSWORD } })).body
    .access;
  adminId = (await call("GET", `${API}/users/me`, { auth: adminAccess })).body.id;
});

test("accounts: users/me, settings and the directory", async () => {
  const me = await call("GET", `${API}/users/me`, { auth: access });
  assert.equal(me.body.username, alice.username);
  await call("PATCH", `${API}/users/me`, { auth: access, json: { display_name: "Alice" } });
  await call("GET", `${API}/users/me/settings`, { auth: access });
  await call("PATCH", `${API}/users/me/settings`, { auth: access, json: { email_notifications: "mentions" } });
  const directory = await call("GET", `${API}/users?search=${bob.username}&limit=5`, { auth: access });
  assert.equal(directory.body.results[0].id, bob.id);
  await call("GET", `${API}/users/${bob.id}`, { auth: access });
  problem(await call("GET", `${API}/users/me`, { status: 401, malformed: true }), "not_authenticated");
});

test("accounts: a browser session with CSRF", async () => {
  const login = await call("POST", `${API}/auth/session`, {
    json: { login: bob.username, password: PASSWORD },
    headers: { Origin: ORIGIN },
  });
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .find((c) => c.startsWith("__Host-parley_session="));
  assert.ok(cookie, "the session cookie is set");
  session = { cookie, csrf: login.body.csrf_token };
  assert.equal((await call("GET", `${API}/users/me`, { auth: session })).body.username, bob.username);
  await call("PATCH", `${API}/users/me`, { auth: session, json: { display_name: "Bob" } });
  problem(
    await call("PATCH", `${API}/users/me`, {
      auth: { cookie: session.cookie, csrf: "forged" },
      json: { display_name: "Mallory" },
      status: 403,
    }),
    "csrf_failed",
  );
});

test("accounts: personal tokens", async () => {
  const created = await call("POST", `${API}/auth/tokens`, {
    auth: access,
    json: { name: "contract test", scopes: ["read"], expires_in_days: 1 },
    status: 201,
  });
  pat = created.body.token;
  assert.match(pat, /^pat_/);
  await call("GET", `${API}/auth/tokens`, { auth: access });
  await call("GET", `${API}/conversations`, { auth: pat });
  // A read token cannot write.
  problem(await call("POST", `${API}/realtime/ticket`, { auth: pat, status: 403 }));
  await call("DELETE", `${API}/auth/tokens/${created.body.id}`, { auth: access, status: 204 });
  problem(await call("GET", `${API}/conversations`, { auth: pat, status: 401 }));
});

// --- conversations ---------------------------------------------------------------------------------

test("conversations: create, list, read, update, members", async () => {
  channel = (
    await call("POST", `${API}/conversations`, {
      auth: access,
      json: { kind: "channel", name: `general-${run}`, topic: "Contract tests", visibility: "public" },
      status: 201,
    })
  ).body;
  direct = (await call("POST", `${API}/conversations`, { auth: access, json: { kind: "direct", member_ids: [bob.id] }, status: 201 }))
    .body;
  const again = await call("POST", `${API}/conversations`, {
    auth: access,
    json: { kind: "direct", member_ids: [bob.id] },
    status: 200,
  });
  assert.equal(again.body.id, direct.id, "one direct conversation per pair");
  const mine = await call("GET", `${API}/conversations?limit=10`, { auth: access });
  assert.ok(mine.body.results.length >= 2);
  await call("GET", `${API}/conversations/browse`, { auth: bobAccess });
  await call("GET", `${API}/conversations/${channel.id}`, { auth: access });
  await call("PATCH", `${API}/conversations/${channel.id}`, { auth: access, json: { topic: "Contract tests, renamed" } });
  await call("POST", `${API}/conversations/${channel.id}/join`, { auth: bobAccess });
  await call("GET", `${API}/conversations/${channel.id}/members`, { auth: access });
  await call("PATCH", `${API}/conversations/${channel.id}/members/${bob.id}`, { auth: access, json: { role: "admin" } });
  await call("POST", `${API}/conversations/${channel.id}/members`, { auth: access, json: { user_ids: [adminId] } });
  problem(await call("GET", `${API}/conversations/999999999`, { auth: access, status: 404 }), "not_found");
});

// --- messages --------------------------------------------------------------------------------------

test("messages: send, replay, thread, page, edit, history, delete", async () => {
  const url = `${API}/conversations/${channel.id}/messages`;
  message = (await call("POST", url, { auth: access, json: { body: `**Hello** @${bob.username} ${run}`, client_msg_id: `c-${run}` }, status: 201 }))
    .body;
  const replayed = await call("POST", url, { auth: access, json: { body: "ignored", client_msg_id: `c-${run}` }, status: 201 });
  assert.equal(replayed.headers.get("idempotent-replayed"), "true");
  reply = (await call("POST", url, { auth: bobAccess, json: { body: "in a thread", parent_id: message.id }, status: 201 })).body;
  await call("POST", url, { auth: bobAccess, json: { body: `Hi ${alice.username}` }, status: 201 });
  toDelete = (await call("POST", url, { auth: access, json: { body: "a mistake" }, status: 201 })).body;
  const page = await call("GET", `${url}?limit=2`, { auth: access });
  assert.equal(page.body.results.length, 2);
  assert.ok(page.body.previous, "an older page");
  await call("GET", page.body.previous, { auth: access });
  await call("GET", `${url}?parent_id=${message.id}`, { auth: access });
  await call("GET", `${url}?around=${message.id}&limit=3`, { auth: access });
  await call("GET", `${API}/messages/${message.id}`, { auth: bobAccess });
  await call("PATCH", `${API}/messages/${message.id}`, { auth: access, json: { body: `**Hello** everyone ${run}` } });
  await call("GET", `${API}/messages/${message.id}/history`, { auth: access });
  await call("DELETE", `${API}/messages/${toDelete.id}`, { auth: access, status: 204 });
  problem(await call("PATCH", `${API}/messages/${message.id}`, { auth: bobAccess, json: { body: "not mine" }, status: 403 }));
  problem(await call("POST", url, { auth: access, json: { body: 42 }, status: 400, malformed: true }), "validation_failed");
  problem(
    await call("POST", url, { auth: access, raw: "body=hi", headers: { "Content-Type": "text/plain" }, status: 415, malformed: true }),
    "unsupported_media_type",
  );
});

test("messages: reactions, read markers, unread, search, export", async () => {
  await call("PUT", `${API}/messages/${message.id}/reactions/thumbsup`, { auth: bobAccess, status: 204 });
  await call("PUT", `${API}/messages/${message.id}/reactions/tada`, { auth: bobAccess, status: 204 });
  await call("DELETE", `${API}/messages/${message.id}/reactions/tada`, { auth: bobAccess, status: 204 });
  const unread = await call("GET", `${API}/unread`, { auth: bobAccess });
  assert.equal(typeof unread.body.total, "number");
  await call("POST", `${API}/conversations/${channel.id}/read`, { auth: bobAccess, json: { up_to_message_id: reply.id } });
  const found = await call("GET", `${API}/search?q=${run}`, { auth: access });
  assert.ok(found.body.results.length >= 1);
  const exported = await call("GET", `${API}/conversations/${channel.id}/export`, {
    auth: access,
    headers: { Accept: "application/x-ndjson" },
  });
  assert.ok(exported.body.trim().split("\n").length >= 2);
});

// --- uploads and real time -------------------------------------------------------------------------

test("uploads: upload, attach, download", async () => {
  const form = new FormData();
  form.append("file", new Blob([PNG], { type: "image/png" }), "pixel.png");
  upload = (await call("POST", `${API}/uploads`, { auth: access, form, status: 201 })).body;
  await call("POST", `${API}/conversations/${channel.id}/messages`, {
    auth: access,
    json: { body: "a picture", attachment_ids: [upload.id] },
    status: 201,
  });
  const file = await call("GET", `${API}/uploads/${upload.id}/${upload.filename}`, { auth: bobAccess, headers: { Accept: "*/*" } });
  assert.equal(file.headers.get("content-type"), upload.content_type);
});

test("real time: a WebSocket ticket and the long poll", async () => {
  const ticket = await call("POST", `${API}/realtime/ticket`, { auth: access, status: 201 });
  assert.ok(ticket.body.ticket);
  const events = await call("GET", `${API}/events?last_event_id=0&timeout=0`, { auth: access });
  assert.ok(Array.isArray(events.body.events));
});

// --- webhooks --------------------------------------------------------------------------------------

test("webhooks: outgoing and incoming", async () => {
  webhook = (
    await call("POST", `${API}/webhooks`, {
      auth: access,
      json: { url: "https://hooks.example.com/parley", events: ["message.created"], conversation_id: channel.id, description: "CI" },
      status: 201,
    })
  ).body;
  await call("GET", `${API}/webhooks`, { auth: access });
  await call("GET", `${API}/webhooks/${webhook.id}`, { auth: access });
  await call("PATCH", `${API}/webhooks/${webhook.id}`, { auth: access, json: { is_active: false } });
  await call("GET", `${API}/webhooks/${webhook.id}/deliveries`, { auth: access });
  await call("DELETE", `${API}/webhooks/${webhook.id}`, { auth: access, status: 204 });

  incoming = (
    await call("POST", `${API}/conversations/${channel.id}/incoming-webhooks`, { auth: access, json: { name: "CI" }, status: 201 })
  ).body;
  await call("GET", `${API}/conversations/${channel.id}/incoming-webhooks`, { auth: access });
  const hookPath = new URL(incoming.url).pathname;
  await call("POST", hookPath, { json: { text: "Build **passed**" }, status: 201 });
  await call("DELETE", `${API}/conversations/${channel.id}/incoming-webhooks/${incoming.id}`, { auth: access, status: 204 });
  problem(await call("POST", hookPath, { json: { text: "revoked" }, status: 404 }));
});

// --- administration --------------------------------------------------------------------------------

test("administration: users, audit log, IP rules, jobs, analytics", async () => {
  await call("GET", `${API}/admin/users?limit=5`, { auth: adminAccess });
  await call("GET", `${API}/admin/users/${bob.id}`, { auth: adminAccess });
  await call("PATCH", `${API}/admin/users/${bob.id}`, { auth: adminAccess, json: { role: "guest" } });
  await call("GET", `${API}/admin/audit-log?limit=5`, { auth: adminAccess });
  ipRule = (
    await call("POST", `${API}/admin/ip-rules`, {
      auth: adminAccess,
      json: { cidr: "203.0.113.0/24", action: "deny", note: "contract test" },
      status: 201,
    })
  ).body;
  await call("GET", `${API}/admin/ip-rules`, { auth: adminAccess });
  await call("GET", `${API}/admin/ip-rules/${ipRule.id}`, { auth: adminAccess });
  await call("DELETE", `${API}/admin/ip-rules/${ipRule.id}`, { auth: adminAccess, status: 204 });
  await call("GET", `${API}/admin/jobs`, { auth: adminAccess });
  await call("GET", `${API}/admin/jobs/dead`, { auth: adminAccess });
  problem(await call("POST", `${API}/admin/jobs/999999999/retry`, { auth: adminAccess, status: 404 }), "not_found");
  const today = new Date().toISOString().slice(0, 10);
  await call("GET", `${API}/admin/analytics/daily?from=${today}&to=${today}`, { auth: adminAccess });
  await call("GET", `${API}/admin/analytics/summary?from=${today}&to=${today}`, { auth: adminAccess });
  problem(await call("GET", `${API}/admin/users`, { auth: access, status: 403 }), "permission_denied");
});

// --- endings ---------------------------------------------------------------------------------------

test("endings: leave, archive, password reset, log out", async () => {
  await call("POST", `${API}/conversations/${channel.id}/leave`, { auth: bobAccess, status: 204 });
  await call("DELETE", `${API}/conversations/${channel.id}/members/${adminId}`, { auth: access, status: 204 });
  await call("DELETE", `${API}/conversations/${channel.id}`, { auth: access, status: 204 });
  await call("POST", `${API}/auth/password/reset`, { json: { email: alice.email }, status: 202 });
  problem(
    await call("POST", `${API}/auth/password/reset/confirm`, {
      json: { token: "not-a-reset-token", password: "another long passphrase" },
      status: 400,
    }),
    "validation_failed",
  );
  // No OpenID provider is configured here: an unknown one is a 404 problem.
  problem(await call("GET", `${API}/auth/oidc/nowhere/login`, { status: 404 }), "not_found");
  problem(await call("GET", `${API}/auth/oidc/nowhere/callback?code=x&state=y`, { status: 404 }), "not_found");
  await call("DELETE", `${API}/auth/session`, { auth: session, status: 204 });
  await call("POST", `${API}/auth/logout`, { auth: access, json: { refresh }, status: 204 });
  problem(await call("POST", `${API}/auth/token/refresh`, { json: { refresh }, status: 401 }));
});

// --- the verdict -----------------------------------------------------------------------------------

test("no call broke the document", () => {
  const lines = [];
  for (const e of log) {
    for (const v of e.violations) {
      lines.push(`${e.operation} -> ${e.status} [${e.method} ${e.path}]: ${v.location.join(".")}: ${v.message}`);
    }
  }
  assert.equal(lines.length, 0, `${lines.length} violations of the document:\n${lines.join("\n")}`);
});
