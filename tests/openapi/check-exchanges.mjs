// Every HTTP exchange the integration suites recorded, checked against Parley's OpenAPI document,
// and the document's examples checked for presence and truth.
//
//   node check-exchanges.mjs --document openapi.json --record <dir> [--examples-only]
//                            [--write-examples <file>]
//
// The harness (tests/integration/harness.cpp, record_exchange) appends one JSON line per exchange to
// <dir>/exchanges-<pid>.jsonl when PARLEY_IT_RECORD_DIR is set; ctest sets it for the it.* suites
// and runs this check after them (scripts/api-exchange-check, ctest api.openapi_exchanges).
//
// For each exchange: the operation is found by method and path template (a literal segment wins
// over a parameter: /users/me before /users/{id}); the response object by the exact status, then
// its class (4XX), then `default`, which in this document is the problem answer of errors only, so a
// 1xx-3xx status it does not list is a violation; a declared body must come with one of the declared
// media types, an undeclared one must not come at all; JSON bodies are validated against the schema
// (JSON Schema 2020-12, the dialect of OpenAPI 3.1, $refs resolved against the whole document).
// The request body of a request the server accepted (2xx) is validated against the requestBody
// schema too: a body the server takes and the document refuses is a lie of the document as well.
// Exchanges outside the document by design are skipped by the SKIPPED list below, and counted.
//
// Then every operation must carry an example of each success response body (and of its request
// body when it has one) that validates against its schema (Redocly's no-invalid-media-type-examples
// checks the same in scripts/api-contract-test).
//
// --write-examples <file>: writes (or completes) the examples file src/app/openapi_examples.json
// from the recorded exchanges (the first valid 2xx answer of each operation, normalized: see
// normalize()), keeping the examples already in it; review the diff before committing it.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

// --- arguments -------------------------------------------------------------------------------------

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const documentPath = option("--document");
const recordDir = option("--record");
const examplesOnly = args.includes("--examples-only");
const writeExamples = option("--write-examples");
if (!documentPath || (!recordDir && !examplesOnly)) {
  console.error("usage: node check-exchanges.mjs --document openapi.json --record <dir> [--examples-only] [--write-examples <file>]");
  process.exit(2);
}
const doc = JSON.parse(readFileSync(documentPath, "utf8"));

// --- exchanges outside the document by design ------------------------------------------------------
// Each entry: a test on (method, path) and why the document does not describe it. Anything else that
// matches no operation is a violation, except a 404 for a path the document does not have (tests
// ask for unknown paths on purpose) and 405/OPTIONS on a documented path (the router's own answers,
// the same for every path).
const SKIPPED = [
  // Routes mounted only by the integration tests (tests/integration/test_routes.cpp): not Parley's.
  { match: (m, p) => p.startsWith("/test/"), why: "test-only route (tests/integration/test_routes.cpp)" },
  // Streaming routes mounted only by streaming_test.cpp.
  { match: (m, p) => p.startsWith("/stream/"), why: "test-only route (tests/integration/streaming_test.cpp)" },
  // GraphQL over HTTP has its own contract, the GraphQL schema, and its own conformance suite
  // (tests/graphql, ctest api.graphql_conformance); its OpenAPI entry only says where it is.
  { match: (m, p) => p === "/graphql" || p.startsWith("/graphql/"), why: "GraphQL (tests/graphql conformance suite)" },
  // Pages and scripts for people (the admin console, Swagger UI, GraphiQL): in_openapi = false.
  {
    match: (m, p) => /^\/(admin|api\/docs|graphiql)(\/|$)/.test(p),
    why: "HTML page or asset (in_openapi = false)",
  },
];

// --- the document's operations ---------------------------------------------------------------------

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const operations = []; // {method, template, regex, literals, op, pointer}
const escapePointer = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");
for (const [template, item] of Object.entries(doc.paths ?? {})) {
  const segments = template.split("/").slice(1);
  const pattern = segments
    .map((s) => (/^\{[^}]+\}$/.test(s) ? "[^/]+" : s.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
    .join("/");
  for (const method of Object.keys(item).filter((k) => METHODS.includes(k))) {
    operations.push({
      method: method.toUpperCase(),
      template,
      regex: new RegExp(`^/${pattern}$`),
      literals: segments.filter((s) => !s.startsWith("{")).length,
      op: item[method],
      pointer: `/paths/${escapePointer(template)}/${method}`,
      name: `${method.toUpperCase()} ${template}`,
    });
  }
}
// Literal segments first: /api/v1/users/me is not /api/v1/users/{id}.
operations.sort((a, b) => b.literals - a.literals);

// Objects are closed where the document lists their properties and says nothing of others: a field
// the server sends and the document does not declare is one a generated client cannot see (Redocly's
// no-invalid-media-type-examples reads the examples the same way). Open objects say so explicitly
// (additionalProperties: true, or a schema for the values).
function closeObjects(node) {
  if (Array.isArray(node)) return node.forEach(closeObjects);
  if (!node || typeof node !== "object") return;
  if (node.properties && typeof node.properties === "object" && !("additionalProperties" in node) && !("unevaluatedProperties" in node))
    node.unevaluatedProperties = false;
  for (const [key, value] of Object.entries(node)) if (key !== "example" && key !== "examples") closeObjects(value);
}
const strictDoc = structuredClone(doc);
closeObjects(strictDoc.paths);
closeObjects(strictDoc.components);
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema(strictDoc, "openapi.json");
const validators = new Map();
function validatorAt(pointer) {
  let v = validators.get(pointer);
  if (!v) {
    v = ajv.compile({ $ref: `openapi.json#${pointer}` });
    validators.set(pointer, v);
  }
  return v;
}
const describe = (errors) =>
  errors
    .slice(0, 3)
    .map((e) => `${e.instancePath || "(body)"} ${e.message}${e.params?.additionalProperty ?? e.params?.unevaluatedProperty ? ` (${e.params.additionalProperty ?? e.params.unevaluatedProperty})` : ""}`)
    .join("; ");

function resolve(object) {
  // A response or requestBody may be a $ref to components.
  let o = object;
  let pointer = null;
  while (o && o.$ref) {
    pointer = o.$ref.slice(1);
    o = pointer.split("/").slice(1).reduce((x, k) => x?.[k.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
  }
  return { object: o, pointer };
}

function mediaOf(contentType) {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

// The key of `content` that covers `type` (exact, then type/*, then */*).
function contentKey(content, type) {
  if (!content) return undefined;
  const keys = Object.keys(content);
  return (
    keys.find((k) => k.toLowerCase() === type) ??
    keys.find((k) => k.endsWith("/*") && type.startsWith(k.slice(0, -1).toLowerCase())) ??
    keys.find((k) => k === "*/*")
  );
}

const isJson = (type) => type === "application/json" || type.endsWith("+json");

// --- the exchanges ---------------------------------------------------------------------------------

const exchanges = [];
if (recordDir && existsSync(recordDir)) {
  for (const file of readdirSync(recordDir).filter((f) => f.endsWith(".jsonl")).sort()) {
    for (const line of readFileSync(join(recordDir, file), "utf8").split("\n")) {
      if (line.trim()) exchanges.push(JSON.parse(line));
    }
  }
}

const violations = new Map(); // key -> {count, sample}
function violation(exchange, operationName, message) {
  const key = `${operationName} -> ${exchange.status}: ${message}`;
  const v = violations.get(key) ?? { count: 0, sample: exchange };
  v.count += 1;
  violations.set(key, v);
}
const skipped = new Map(); // why -> count
const skip = (why) => skipped.set(why, (skipped.get(why) ?? 0) + 1);
const covered = new Map(); // operation name -> count of validated exchanges
const responsesSeen = new Set(); // "OP status"
let validated = 0;
let bodiesValidated = 0;
let requestsValidated = 0;
const exampleCandidates = new Map(); // operation name -> {status, type, body, request}

for (const exchange of exchanges) {
  const method = exchange.method.toUpperCase();
  const path = exchange.target.split("?")[0].split("#")[0];
  const reason = SKIPPED.find((s) => s.match(method, path));
  if (reason) {
    skip(reason.why);
    continue;
  }
  // HEAD is answered by the GET route, without a body.
  const lookup = method === "HEAD" ? "GET" : method;
  const onPath = operations.filter((o) => o.regex.test(path));
  const operation = onPath.find((o) => o.method === lookup && o.literals === Math.max(...onPath.filter((x) => x.method === lookup).map((x) => x.literals)));
  if (!operation) {
    if (onPath.length === 0 && exchange.status === 404) skip("unknown path answered 404");
    else if (onPath.length > 0 && (exchange.status === 405 || method === "OPTIONS")) skip("method the path has not: 405, or OPTIONS");
    else violation(exchange, `${method} ${path}`, onPath.length ? "method not in the document" : "path not in the document");
    continue;
  }
  validated += 1;
  covered.set(operation.name, (covered.get(operation.name) ?? 0) + 1);
  const status = String(exchange.status);
  const responses = operation.op.responses ?? {};
  const key = status in responses ? status : `${status[0]}XX` in responses ? `${status[0]}XX` : "default" in responses ? "default" : undefined;
  if (key === undefined || (key === "default" && exchange.status < 400)) {
    violation(exchange, operation.name, `status ${status} is not declared`);
    continue;
  }
  responsesSeen.add(`${operation.name} ${key}`);
  const { object: response, pointer: responsePointer } = resolve(responses[key]);
  const basePointer = responsePointer ?? `${operation.pointer}/responses/${escapePointer(key)}`;
  const type = mediaOf(exchange.content_type);
  const hasBody = exchange.body_bytes > 0;
  if (!response.content) {
    if (hasBody) violation(exchange, operation.name, `a body (${type || "no Content-Type"}) where the document declares none`);
  } else if (!hasBody) {
    // An empty body with a declared media type is a body of zero bytes (an empty file), not a missing one.
    const emptyOfDeclaredType = type !== "" && !isJson(type) && contentKey(response.content, type) !== undefined;
    if (method !== "HEAD" && !emptyOfDeclaredType) violation(exchange, operation.name, "no body where the document declares one");
  } else {
    const ck = contentKey(response.content, type);
    if (ck === undefined) {
      violation(exchange, operation.name, `media type ${type || "(none)"} not declared (${Object.keys(response.content).join(", ")})`);
    } else if (isJson(type) && exchange.body !== undefined && response.content[ck].schema) {
      let body;
      try {
        body = JSON.parse(exchange.body);
      } catch {
        violation(exchange, operation.name, "the body is not JSON");
        body = undefined;
      }
      if (body !== undefined) {
        const validate = validatorAt(`${basePointer}/content/${escapePointer(ck)}/schema`);
        bodiesValidated += 1;
        if (!validate(body)) violation(exchange, operation.name, describe(validate.errors));
        else if (exchange.status < 300 && !exampleCandidates.has(operation.name))
          exampleCandidates.set(operation.name, { status, type: ck, body });
      }
    }
  }
  // The request body of an accepted request.
  if (exchange.status < 300 && exchange.request_body !== undefined && operation.op.requestBody) {
    const { object: requestBody, pointer: rbPointer } = resolve(operation.op.requestBody);
    const rtype = mediaOf(exchange.request_content_type);
    const ck = contentKey(requestBody.content, rtype);
    if (ck === undefined) {
      violation(exchange, operation.name, `request media type ${rtype} not declared`);
    } else if (requestBody.content[ck].schema) {
      let body;
      try {
        body = JSON.parse(exchange.request_body);
      } catch {
        body = undefined;
      }
      if (body !== undefined) {
        const validate = validatorAt(`${rbPointer ?? `${operation.pointer}/requestBody`}/content/${escapePointer(ck)}/schema`);
        requestsValidated += 1;
        if (!validate(body)) violation(exchange, operation.name, `accepted request body: ${describe(validate.errors)}`);
        else {
          const candidate = exampleCandidates.get(operation.name);
          if (candidate && candidate.request === undefined) candidate.request = body;
        }
      }
    }
  }
}

// --- examples --------------------------------------------------------------------------------------

// The success responses examples are required for: every declared 2xx with content.
function successResponses(operation) {
  const out = [];
  for (const [status, r] of Object.entries(operation.op.responses ?? {})) {
    if (!/^2/.test(status)) continue;
    const { object } = resolve(r);
    if (object?.content) out.push({ status, content: object.content });
  }
  return out;
}
const missingExamples = [];
const falseExamples = [];
let examplesChecked = 0;
function checkExamples(where, content, pointer) {
  for (const [type, media] of Object.entries(content)) {
    const values = media.examples ? Object.values(media.examples).map((e) => e.value) : "example" in media ? [media.example] : [];
    if (values.length === 0) {
      missingExamples.push(`${where} (${type})`);
      continue;
    }
    if (!media.schema) continue;
    const validate = validatorAt(`${pointer}/content/${escapePointer(type)}/schema`);
    for (const value of values) {
      examplesChecked += 1;
      if (!validate(value)) falseExamples.push(`${where} (${type}): ${describe(validate.errors)}`);
    }
  }
}
for (const operation of operations) {
  for (const success of successResponses(operation))
    checkExamples(`${operation.name} ${success.status}`, success.content, `${operation.pointer}/responses/${success.status}`);
  if (operation.op.requestBody) {
    const { object, pointer } = resolve(operation.op.requestBody);
    if (object?.content) checkExamples(`${operation.name} request`, object.content, pointer ?? `${operation.pointer}/requestBody`);
  }
}

// --- the examples file ----------------------------------------------------------------------------

// Recorded values made stable and neutral: timestamps to one instant, secrets to placeholders of the
// same shape, the test run's random suffixes removed. Ids stay (small integers).
function normalize(value, key = "") {
  if (Array.isArray(value)) return value.slice(0, 2).map((v) => normalize(v, key));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]));
  }
  if (typeof value !== "string") return value;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return "2026-01-15T09:30:00Z";
  if (/^pat_/.test(value)) return "pat_EXAMPLEexampleEXAMPLEexample";
  if (/^eyJ/.test(value)) return "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
  if (/(token|secret|csrf|password)/i.test(key) && value.length >= 16) return "EXAMPLE-" + key.replace(/[^a-z]/gi, "").toUpperCase();
  return value.replace(/_[a-z0-9]{6,}\b/g, "").replace(/-[0-9a-f]{8,}\b/g, "");
}
if (writeExamples) {
  const existing = existsSync(writeExamples) ? JSON.parse(readFileSync(writeExamples, "utf8")) : {};
  let added = 0;
  for (const operation of operations) {
    const entry = existing[operation.name] ?? {};
    const candidate = exampleCandidates.get(operation.name);
    if (successResponses(operation).length && !entry.response && candidate) {
      entry.response = normalize(candidate.body);
      added += 1;
    }
    if (operation.op.requestBody && !entry.request && candidate?.request !== undefined) {
      entry.request = normalize(candidate.request);
      added += 1;
    }
    if (Object.keys(entry).length) existing[operation.name] = entry;
  }
  const sorted = Object.fromEntries(Object.entries(existing).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(writeExamples, JSON.stringify(sorted, null, 2) + "\n");
  console.log(`check-exchanges: ${added} examples added to ${writeExamples}`);
}

// --- report ----------------------------------------------------------------------------------------

let failed = false;
if (!examplesOnly && exchanges.length === 0) {
  // Nothing recorded is a broken setup (PARLEY_IT_RECORD_DIR not reaching the suites), not a pass.
  console.log(`check-exchanges: no exchanges recorded in ${recordDir}`);
  failed = true;
}
if (!examplesOnly) {
  const skippedText = [...skipped].map(([why, n]) => `${n} ${why}`).join("; ");
  console.log(
    `check-exchanges: ${exchanges.length} exchanges recorded; ${validated} validated against ${covered.size} of ${operations.length} operations ` +
      `(${responsesSeen.size} distinct responses, ${bodiesValidated} response bodies and ${requestsValidated} accepted request bodies against their schemas)` +
      (skippedText ? `; skipped: ${skippedText}` : ""),
  );
  const notCalled = operations.filter((o) => !covered.has(o.name)).map((o) => o.name);
  if (notCalled.length) console.log(`check-exchanges: operations no integration test calls: ${notCalled.join(", ")}`);
  if (violations.size) {
    failed = true;
    let total = 0;
    for (const [key, { count, sample }] of violations) {
      total += count;
      console.log(`VIOLATION ${key} (x${count}; e.g. ${sample.test ?? "?"}: ${sample.method} ${sample.target}${sample.body ? ` body ${sample.body.slice(0, 300)}` : ""})`);
    }
    console.log(`check-exchanges: ${total} violations (${violations.size} distinct)`);
  } else {
    console.log("check-exchanges: 0 violations");
  }
}
console.log(`check-exchanges: ${examplesChecked} examples validated against their schemas; ${missingExamples.length} missing, ${falseExamples.length} invalid`);
for (const m of missingExamples) console.log(`NO EXAMPLE ${m}`);
for (const f of falseExamples) console.log(`FALSE EXAMPLE ${f}`);
if (missingExamples.length || falseExamples.length) failed = true;
process.exit(failed ? 1 : 0);
