// The admin console, Swagger UI and GraphiQL in a real browser (Debian's Chromium, puppeteer-core),
// against a running Parley. scripts/browser-test starts a private server and runs this file; by hand:
//
//   PARLEY_TEST_URL=http://127.0.0.1:8000 PARLEY_TEST_ADMIN_LOGIN=admin PARLEY_TEST_ADMIN_PASSWORD=... \
//     node --test tests/browser/admin_console.test.mjs
//
// Optional: PARLEY_CHROMIUM (default /usr/bin/chromium); PARLEY_TEST_SEEDED=1 when today's analytics
// were rolled up with some messages (the charts must then draw bars); PARLEY_TEST_ARTIFACTS, a
// folder for a screenshot of each page on failure.
//
// Every page is watched: a console error, an uncaught exception, a Content-Security-Policy violation
// (the securitypolicyviolation event, forwarded from the page) or a failed same-origin request fails
// the test, except the 401 of the console's session probe before signing in.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import puppeteer from "puppeteer-core";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see the top of ${path.basename(import.meta.url)})`);
  return value;
}

const BASE = env("PARLEY_TEST_URL").replace(/\/+$/, "");
const ADMIN_LOGIN = env("PARLEY_TEST_ADMIN_LOGIN");
const ADMIN_PASSWORD = env("PARLEY_TEST_ADMIN_PASSWORD");
const CHROMIUM = process.env.PARLEY_CHROMIUM || "/usr/bin/chromium";
const SEEDED = process.env.PARLEY_TEST_SEEDED === "1";
const ARTIFACTS = process.env.PARLEY_TEST_ARTIFACTS || "";

const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const DOCS_CSP = CONSOLE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
const GRAPHIQL_CSP = DOCS_CSP.replace("connect-src 'self'", "font-src data:; connect-src 'self'");

const suffix = randomBytes(4).toString("hex");
const member = {
  username: `member_${suffix}`,
  email: `member_${suffix}@example.com`,
  password: `Member-${randomBytes(9).toString("base64url")}`,
  display_name: `Member ${suffix}`,
};
const outsider = {
  username: `guest_${suffix}`,
  email: `guest_${suffix}@example.com`,
  password: `Outsider-${randomBytes(9).toString("base64url")}`,
  display_name: `Outsider ${suffix}`,
};

// ---------------------------------------------------------------------------------------------
// The API from Node (setup and checks), with a bearer token

async function call(method, urlPath, { body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${BASE}${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${urlPath} answered ${response.status}: ${text}`);
  return data;
}

async function adminToken() {
  const answer = await call("POST", "/api/v1/auth/token", { body: { login: ADMIN_LOGIN, password: ADMIN_PASSWORD } });
  return answer.access;
}

// ---------------------------------------------------------------------------------------------
// The browser

let browser;

before(async () => {
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      // Chromium's sandbox refuses to start as root (containers, CI); elsewhere it stays on.
      ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
    ],
  });
});

after(async () => {
  await browser?.close();
});

// A page in a fresh browser context (its own cookies and storage) that records what went wrong.
async function openPage() {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.setViewport({ width: 1280, height: 900 });
  const problems = [];
  const allowed = []; // [{url: RegExp, status}] expected failed responses
  page.problems = problems;
  page.allow = (url, status) => allowed.push({ url, status });

  // Chromium logs every 4xx/5xx answer to a fetch as "Failed to load resource: the server responded
  // with a status of 401 (Unauthorized)", with the resource's URL as the message's location.
  const isAllowed = (text, url) => {
    const status = Number(/status of (\d{3})/.exec(text)?.[1]);
    return allowed.some((a) => a.url.test(url) && a.status === status);
  };

  page.on("console", (message) => {
    const text = message.text();
    const url = message.location()?.url ?? "";
    if (message.type() === "error" || /Content Security Policy|Refused to/i.test(text)) {
      if (/^Failed to load resource/.test(text) && isAllowed(text, url)) return;
      problems.push(`console ${message.type()}: ${text}${url ? ` (${url})` : ""}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("requestfailed", (request) => {
    const failure = request.failure()?.errorText ?? "";
    if (request.url().startsWith(BASE) && failure !== "net::ERR_ABORTED") {
      problems.push(`request failed: ${request.method()} ${request.url()} ${failure}`);
    }
  });
  // Runs before any script of the page (added over the DevTools protocol, so the page's CSP does
  // not apply to it): every CSP violation becomes a console error, which the handler above records.
  await page.evaluateOnNewDocument(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(
        `CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"} ` +
          `at ${event.sourceFile || "?"}:${event.lineNumber || 0} sample=${JSON.stringify(event.sample || "")}`,
      );
    });
  });

  page.closeContext = () => context.close();
  return page;
}

// Runs `body` with a fresh page; on failure keeps a screenshot (PARLEY_TEST_ARTIFACTS) and adds what
// the page reported to the error.
async function withPage(t, body) {
  const page = await openPage();
  try {
    await body(page);
  } catch (error) {
    if (ARTIFACTS) {
      try {
        const folder = path.join(ARTIFACTS, "screenshots");
        mkdirSync(folder, { recursive: true });
        const file = path.join(folder, `${t.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 80)}.png`);
        await page.screenshot({ path: file, fullPage: true });
        t.diagnostic(`screenshot: ${file}`);
      } catch {
        // best effort
      }
    }
    if (page.problems.length) error.message += `\nThe page reported:\n${page.problems.join("\n")}`;
    throw error;
  } finally {
    await page.closeContext();
  }
}

function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], `the page reported problems:\n${page.problems.join("\n")}`);
}

async function visible(page, selector) {
  return page.waitForSelector(selector, { visible: true });
}

async function textOf(page, selector) {
  return page.$eval(selector, (element) => element.textContent.trim());
}

async function signIn(page, login, password) {
  // The console probes the session first: 401 without one.
  page.allow(/\/api\/v1\/users\/me$/, 401);
  const response = await page.goto(`${BASE}/admin/`, { waitUntil: "domcontentloaded" });
  assert.equal(response.status(), 200);
  await visible(page, "#signin-form");
  // The sign-in field has the focus, so a keyboard user can type at once.
  await page.waitForFunction(() => document.activeElement?.id === "signin-login");
  await page.type("#signin-login", login);
  await page.type("#signin-password", password);
  await page.keyboard.press("Enter");
}

// Swagger UI's "Try it out" on one operation (no parameters): expand, try, execute; its answer.
async function tryItOut(page, method, apiPath) {
  const block = await page.waitForSelector(
    `xpath///div[contains(@class,'opblock-${method}')][.//*[contains(@class,'opblock-summary-path') and @data-path='${apiPath}']]`,
  );
  await (await block.$(".opblock-summary-control, .opblock-summary")).click();
  await (await block.waitForSelector(".try-out__btn")).click();
  await (await block.waitForSelector(".execute")).click();
  const status = await block.waitForSelector(".live-responses-table tbody .response-col_status");
  return {
    status: (await status.evaluate((e) => e.textContent)).trim(),
    body: await block.$eval(".live-responses-table tbody .response-col_description", (e) => e.textContent),
  };
}

// ---------------------------------------------------------------------------------------------

describe("admin console", () => {
  let token;
  let memberUser;

  before(async () => {
    token = await adminToken();
    for (const user of [member, outsider]) await call("POST", "/api/v1/auth/register", { body: user });
    const page = await call("GET", `/api/v1/admin/users?search=${member.username}`, { token });
    memberUser = page.results.find((u) => u.username === member.username);
    assert.ok(memberUser, "the registered member is listed");
    assert.equal(memberUser.role, "member");
  });

  test("is served with its Content-Security-Policy", async () => {
    for (const file of ["", "app.js", "app.css", "chart.js"]) {
      const response = await fetch(`${BASE}/admin/${file}`);
      assert.equal(response.status, 200, `/admin/${file}`);
      assert.equal(response.headers.get("content-security-policy"), CONSOLE_CSP, `/admin/${file}`);
    }
    assert.match((await fetch(`${BASE}/admin/app.js`)).headers.get("content-type"), /javascript/);
    const html = await (await fetch(`${BASE}/admin/`)).text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, "no inline script");
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, "no inline event handler");
    assert.doesNotMatch(html, /\sstyle\s*=/i, "no style attribute");
  });

  test("a member who signs in is told it is for admins only", (t) =>
    withPage(t, async (page) => {
      await signIn(page, outsider.username, outsider.password);
      await visible(page, "#view-forbidden");
      assert.equal(await textOf(page, "#forbidden-title"), "Admins only");
      assert.equal(await textOf(page, "#forbidden-role"), "member");
      assert.equal(await page.evaluate(() => document.activeElement?.id), "forbidden-title");
      assert.ok(await page.$eval("#view-console", (e) => e.hidden), "the console stays hidden");
      await page.click("#view-forbidden [data-action='sign-out']");
      await visible(page, "#signin-form");
      assertNoProblems(page);
    }));

  test("an admin signs in, reads the analytics, changes a role, deactivates a user and reads the audit log", (t) =>
    withPage(t, async (page) => {
      await signIn(page, ADMIN_LOGIN, ADMIN_PASSWORD);

      // Signed in: the session cookie is a __Host- cookie, which needs a secure context
      // (http://127.0.0.1 is one).
      await visible(page, "#view-console");
      const cookies = await page.browserContext().cookies();
      const session = cookies.find((c) => c.name === "__Host-parley_session");
      assert.ok(session, `the browser kept __Host-parley_session (cookies: ${cookies.map((c) => c.name).join(", ")})`);
      assert.ok(session.httpOnly && session.secure, "the session cookie is HttpOnly and Secure");
      const csrfCookie = cookies.some((c) => c.name === "__Host-parley_csrf");
      t.diagnostic(`CSRF token from ${csrfCookie ? "the __Host-parley_csrf cookie" : "the sign-in answer (no CSRF cookie set)"}`);
      assert.match(await textOf(page, "#whoami-name"), new RegExp(ADMIN_LOGIN));
      assert.match(await textOf(page, "#whoami-role"), /^(owner|admin)$/);

      // Analytics, the first section: cards, two SVG charts, the table fallback.
      await visible(page, "#section-analytics");
      await page.waitForFunction(() => document.activeElement?.id === "analytics-title");
      await page.waitForSelector("#chart-activity svg.chart[role='img'] title");
      await page.waitForSelector("#chart-traffic svg.chart");
      await page.waitForSelector("#analytics-cards [data-metric='messages'] dd");
      assert.equal(await page.$$eval("#section-analytics svg.chart", (list) => list.length), 2);
      if (SEEDED) {
        await page.waitForSelector("#chart-activity .chart-bars rect");
        await page.waitForSelector("#chart-traffic .chart-bars rect");
        const messages = Number((await textOf(page, "#analytics-cards [data-metric='messages'] dd")).replace(/\D/g, ""));
        assert.ok(messages > 0, `the seeded messages are counted (${messages})`);
        const rows = await page.$$eval("#analytics-table tbody tr th", (list) => list.map((e) => e.textContent));
        assert.ok(rows.includes(new Date().toISOString().slice(0, 10)), `today is in the table: ${rows}`);
      }

      // Users, by keyboard: the nav link, then Enter; the focus moves to the section's heading.
      await page.focus("nav.sections a[data-section='users']");
      await page.keyboard.press("Enter");
      await visible(page, "#section-users");
      await page.waitForFunction(() => document.activeElement?.id === "users-title");
      assert.equal(
        await page.$eval("nav.sections a[data-section='users']", (a) => a.getAttribute("aria-current")),
        "page",
      );
      await page.waitForSelector(`#users-table tr[data-username="${ADMIN_LOGIN}"]`);
      const memberRow = `#users-table tr[data-username="${member.username}"]`;
      await page.waitForSelector(memberRow);
      assert.match(await textOf(page, `#users-table tr[data-username="${ADMIN_LOGIN}"]`), /You/);

      // Change the member's role to admin through the UI.
      await page.select(`${memberRow} select[name='role']`, "admin");
      await page.click(`${memberRow} [data-action='save-role']`);
      await page.waitForFunction(
        (name) => document.querySelector("#status")?.textContent.includes(`Changed the role of ${name} to admin`),
        {},
        member.username,
      );
      assert.equal(await page.$eval(`${memberRow} select[name='role']`, (s) => s.value), "admin");
      let changed = await call("GET", `/api/v1/admin/users/${memberUser.id}`, { token });
      assert.equal(changed.role, "admin", "the API agrees");

      // Deactivate them: a confirmation dialog first.
      await page.click(`${memberRow} [data-action='deactivate']`);
      await visible(page, "dialog#confirm[open]");
      assert.match(await textOf(page, "#confirm-title"), new RegExp(`Deactivate ${member.username}`));
      await page.click("#confirm-ok");
      await page.waitForSelector(`${memberRow} [data-action='reactivate']`);
      assert.match(await textOf(page, memberRow), /Deactivated/);
      changed = await call("GET", `/api/v1/admin/users/${memberUser.id}`, { token });
      assert.equal(changed.is_active, false, "the API agrees");

      // The audit log lists both changes, with the actor's and the target's names.
      await page.click("nav.sections a[data-section='audit']");
      await visible(page, "#section-audit");
      await page.waitForSelector("#audit-table tr[data-action='user.role_changed']");
      await page.waitForSelector("#audit-table tr[data-action='user.deactivated']");
      await page.waitForFunction(
        (name) =>
          [...document.querySelectorAll("#audit-table tr[data-action='user.deactivated'] [data-user-ref]")].some(
            (e) => e.textContent === `@${name}`,
          ),
        {},
        member.username,
      );
      // Filter by action.
      await page.type("#audit-action", "user.role_changed");
      await page.click("#audit-form button[type='submit']");
      await page.waitForFunction(() => !document.querySelector("#audit-table tr[data-action='user.deactivated']"));
      // A filter the API refuses (a target type without a target id): its problem, readably.
      page.allow(/\/api\/v1\/admin\/audit-log\?/, 400);
      await page.select("#audit-target-type", "user");
      await page.click("#audit-form button[type='submit']");
      await page.waitForSelector("#audit-form .form-problem.shown");
      assert.match(await textOf(page, "#audit-form .form-problem"), /target_id|Target/i);

      // Jobs and IP rules load.
      await page.click("nav.sections a[data-section='jobs']");
      await visible(page, "#section-jobs");
      await page.waitForFunction(() => /Broker: \S+/.test(document.querySelector("#jobs-broker")?.textContent ?? ""));
      await page.waitForSelector("#dead-table tbody tr");

      await page.click("nav.sections a[data-section='ip-rules']");
      await visible(page, "#section-ip-rules");
      await page.waitForSelector("#ip-rules-table tbody tr");
      await page.type("#ip-rule-cidr", "198.51.100.0/24");
      await page.select("#ip-rule-action", "deny");
      await page.type("#ip-rule-note", "browser test");
      await page.click("#ip-rule-form button[type='submit']");
      await page.waitForSelector('#ip-rules-table tr[data-cidr="198.51.100.0/24"]');
      // An invalid network: the field error appears under the field.
      page.allow(/\/api\/v1\/admin\/ip-rules(\?.*)?$/, 400);
      await page.type("#ip-rule-cidr", "not-a-network");
      await page.click("#ip-rule-form button[type='submit']");
      await page.waitForSelector("#ip-rule-cidr[aria-invalid='true']");
      await page.$eval("#ip-rule-cidr", (input) => (input.value = ""));
      // Delete the rule again.
      await page.click('#ip-rules-table tr[data-cidr="198.51.100.0/24"] [data-action="delete-rule"]');
      await visible(page, "dialog#confirm[open]");
      await page.click("#confirm-ok");
      await page.waitForFunction(() => !document.querySelector('#ip-rules-table tr[data-cidr="198.51.100.0/24"]'));

      // Sign out.
      await page.click("#whoami [data-action='sign-out']");
      await visible(page, "#signin-form");
      const after = await page.browserContext().cookies();
      assert.ok(!after.some((c) => c.name === "__Host-parley_session" && c.value), "the session cookie is gone");

      assertNoProblems(page);
    }));
});

describe("Swagger UI", () => {
  test("is served with its Content-Security-Policy", async () => {
    const response = await fetch(`${BASE}/api/docs/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-security-policy"), DOCS_CSP);
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, "no inline script");
    for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "init.js"]) {
      assert.equal((await fetch(`${BASE}/api/docs/${file}`)).status, 200, file);
    }
  });

  test("renders the live OpenAPI document and runs a call with the browser session", (t) =>
    withPage(t, async (page) => {
      // Sign in through the console first: Swagger UI's calls then go with the session.
      await signIn(page, ADMIN_LOGIN, ADMIN_PASSWORD);
      await visible(page, "#view-console");

      const response = await page.goto(`${BASE}/api/docs`, { waitUntil: "domcontentloaded" });
      assert.equal(response.status(), 200);
      assert.equal(new URL(page.url()).pathname, "/api/docs/");
      await page.waitForSelector("#swagger-ui .opblock", { timeout: 30_000 });
      const operations = await page.$$eval("#swagger-ui .opblock", (list) => list.length);
      assert.ok(operations > 20, `Swagger UI lists the operations (${operations})`);
      const title = await textOf(page, "#swagger-ui .info .title");
      t.diagnostic(`Swagger UI: "${title}", ${operations} operations`);

      // Try it out: GET /api/v1/users/me answers 200 with the session cookie.
      let answer = await tryItOut(page, "get", "/api/v1/users/me");
      assert.match(answer.status, /^200/, `GET /api/v1/users/me answered ${answer.status}`);
      assert.match(answer.body, new RegExp(`"username":\\s*"${ADMIN_LOGIN}"`));

      // An unsafe method with the session: it passes the CSRF check only with the X-CSRF-Token
      // init.js adds (403 csrf_failed without it).
      answer = await tryItOut(page, "post", "/api/v1/realtime/ticket");
      assert.match(answer.status, /^201/, `POST /api/v1/realtime/ticket answered ${answer.status}: ${answer.body}`);
      assert.match(answer.body, /ticket/);

      assertNoProblems(page);
    }));
});

// ---------------------------------------------------------------------------------------------
// GraphiQL (web/graphiql, served at /graphiql/): the page loads without a console error or a CSP
// violation, the editor renders, and queries run against /graphql with the browser session (init.js
// adds X-CSRF-Token) and with a bearer token typed into the Headers editor.

// The CodeMirror 5 editor inside `selector` (GraphiQL 3's editors are CodeMirror 5 instances).
async function setEditor(page, selector, text) {
  await page.waitForSelector(`${selector} .CodeMirror`);
  await page.$eval(`${selector} .CodeMirror`, (element, value) => element.CodeMirror.setValue(value), text);
  // GraphiQL parses the edited document (its operation name and kind) after a debounce: running
  // before that sends the previous operation name, or POSTs a subscription instead of opening the socket.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}

// Runs the query editor's operation; the result pane's text once it is non-empty and not the previous.
async function runQuery(page) {
  const before = await page.$eval(".graphiql-response .CodeMirror", (e) => e.CodeMirror.getValue());
  await page.click(".graphiql-execute-button");
  const handle = await page.waitForFunction(
    (previous) => {
      const value = document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue() ?? "";
      return value.trim() && value !== previous ? value : false;
    },
    {},
    before,
  );
  return JSON.parse(await handle.jsonValue());
}

describe("GraphiQL", () => {
  test("is served with its Content-Security-Policy", async () => {
    const bare = await fetch(`${BASE}/graphiql`, { redirect: "manual" });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get("location"), "/graphiql/");
    const response = await fetch(`${BASE}/graphiql/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-security-policy"), GRAPHIQL_CSP);
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, "no inline script");
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, "no inline event handler");
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, "nothing from another origin");
    for (const file of [
      "react.production.min.js",
      "react-dom.production.min.js",
      "graphiql.min.js",
      "graphiql.min.css",
      "init.js",
      "parley.css",
      "favicon.svg",
    ]) {
      const answer = await fetch(`${BASE}/graphiql/${file}`);
      assert.equal(answer.status, 200, file);
      assert.equal(answer.headers.get("content-security-policy"), GRAPHIQL_CSP, file);
    }
  });

  test("renders the editor and runs a query with the browser session", (t) =>
    withPage(t, async (page) => {
      // Signed in through the console: GraphiQL's POSTs go with the session cookie and need the
      // X-CSRF-Token init.js adds.
      await signIn(page, ADMIN_LOGIN, ADMIN_PASSWORD);
      await visible(page, "#view-console");

      const response = await page.goto(`${BASE}/graphiql`, { waitUntil: "domcontentloaded" });
      assert.equal(response.status(), 200);
      assert.equal(new URL(page.url()).pathname, "/graphiql/");
      await visible(page, ".graphiql-container .graphiql-query-editor .CodeMirror");
      await visible(page, ".graphiql-execute-button");
      // The schema arrives by introspection: the documentation explorer lists the root types.
      await page.click("button[aria-label='Show Documentation Explorer']");
      await page.waitForFunction(
        () => /Query/.test(document.querySelector(".graphiql-doc-explorer")?.textContent ?? ""),
        { timeout: 30_000 },
      );

      await setEditor(page, ".graphiql-query-editor", "{ me { username } }");
      const result = await runQuery(page);
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.equal(result.data?.me?.username, ADMIN_LOGIN);

      // The settings dialog (it inserts a <style> element: the policy's 'unsafe-inline' styles).
      await page.click("button[aria-label='Open settings dialog']");
      await visible(page, ".graphiql-dialog");
      await page.keyboard.press("Escape");

      assertNoProblems(page);
    }));

  test("runs a query with a bearer token from the Headers editor", (t) =>
    withPage(t, async (page) => {
      const token = await adminToken();
      await page.goto(`${BASE}/graphiql/`, { waitUntil: "domcontentloaded" });
      await visible(page, ".graphiql-container .graphiql-query-editor .CodeMirror");

      // Without credentials `me` is refused: the error shows in the result pane.
      await setEditor(page, ".graphiql-query-editor", "query Me { me { username } }");
      let result = await runQuery(page);
      assert.ok(result.errors?.length, `an error without credentials: ${JSON.stringify(result)}`);

      await page.click(".graphiql-editor-tools button[data-name='headers']");
      const headers = JSON.stringify({ Authorization: `Bearer ${token}` });
      await setEditor(page, ".graphiql-editor-tool .graphiql-editor:not(.hidden)", headers);
      result = await runQuery(page);
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.equal(result.data?.me?.username, ADMIN_LOGIN);
      const shown = await page.$eval(".graphiql-response .CodeMirror", (e) => e.textContent);
      assert.match(shown, new RegExp(`"username": "${ADMIN_LOGIN}"`), "the answer is in the result pane");

      // A subscription over graphql-transport-ws (ws://<host>/graphql), authenticated by the same
      // header in connection_init: messages posted through REST show up in the result pane.
      const conversations = await call("GET", "/api/v1/conversations", { token });
      const conversation = (conversations.results ?? conversations)[0];
      assert.ok(conversation, "the admin is in a conversation");
      const body = `GraphiQL subscription ${randomBytes(4).toString("hex")}`;
      const subscription = "subscription Created { messageCreated { body sender { username } } }";
      await setEditor(page, ".graphiql-query-editor", subscription);
      await page.click(".graphiql-execute-button");
      let delivered = false;
      for (let attempt = 0; attempt < 20 && !delivered; attempt++) {
        // The socket opens and subscribes asynchronously: post until one message arrives.
        await call("POST", `/api/v1/conversations/${conversation.id}/messages`, { token, body: { body } });
        delivered = await page
          .waitForFunction(
            (text) => document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue().includes(text),
            { timeout: 1_000 },
            body,
          )
          .then(() => true)
          .catch(() => false);
      }
      assert.ok(delivered, "a message posted through REST arrived in the subscription's result pane");
      const event = JSON.parse(await page.$eval(".graphiql-response .CodeMirror", (e) => e.CodeMirror.getValue()));
      assert.equal(event.data?.messageCreated?.sender?.username, ADMIN_LOGIN);
      await page.click(".graphiql-execute-button"); // stops the subscription

      assertNoProblems(page);
    }));
});
