// GraphQL over HTTP on POST/GET /graphql checked by graphql-http's server audits (the reference
// implementation's conformance suite for the GraphQL-over-HTTP spec). Every MUST passes; the SHOULD
// and MAY audits that do not are printed as "http: ..." lines, and docs/graphql.md ("Conformance")
// says why. Run by scripts/graphql-conformance-test (PARLEY_TEST_URL, PARLEY_TEST_ALICE_TOKEN).
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAudits } from "graphql-http";

const url = `${process.env.PARLEY_TEST_URL}/graphql`;
const token = process.env.PARLEY_TEST_ALICE_TOKEN;

// Every audit's request carries alice's bearer token, as a signed-in client's would.
function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

test("graphql-http server audits", async () => {
  const results = [];
  for (const audit of serverAudits({ url, fetchFn })) {
    let result;
    try {
      result = await audit.fn();
    } catch (error) {
      result = { id: audit.id, name: audit.name, status: "error", reason: `threw: ${error?.message ?? error}` };
    }
    results.push(result);
  }
  const level = (result) => result.name.split(" ", 1)[0];
  const failed = results.filter((r) => r.status !== "ok");
  const mustFailed = failed.filter((r) => level(r) === "MUST");
  for (const r of failed) {
    let body = "";
    try {
      body = r.response ? ` (answered ${r.response.status}: ${(await r.response.text()).slice(0, 200)})` : "";
    } catch {
      // the audit read the body already
    }
    console.log(`http: ${r.status} ${r.id} ${r.name}: ${r.reason}${body}`);
  }
  for (const requirement of ["MUST", "SHOULD", "MAY"]) {
    const all = results.filter((r) => level(r) === requirement);
    const ok = all.filter((r) => r.status === "ok");
    console.log(`http: ${requirement}: ${ok.length}/${all.length} passed`);
  }
  assert.equal(mustFailed.length, 0, `MUST audits failed:\n${mustFailed.map((r) => `${r.name}: ${r.reason}`).join("\n")}`);
});
