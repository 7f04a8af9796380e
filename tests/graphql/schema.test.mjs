// Parley's schema as graphql-js (the reference implementation) sees it: the SDL printed by
// `parley graphql-schema` and the schema a client rebuilds from getIntrospectionQuery() against
// POST /graphql must be valid and the same. Run by scripts/graphql-conformance-test, which sets
// PARLEY_TEST_URL, PARLEY_TEST_SDL (the printed SDL) and PARLEY_TEST_ALICE_TOKEN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildClientSchema,
  buildSchema,
  findBreakingChanges,
  findDangerousChanges,
  getIntrospectionQuery,
  Kind,
  parse,
  printSchema,
  validate,
  validateSchema,
} from "graphql";

const url = `${process.env.PARLEY_TEST_URL}/graphql`;
const token = process.env.PARLEY_TEST_ALICE_TOKEN;
const artifacts = process.env.PARLEY_TEST_ARTIFACTS;

async function introspect(options, headers = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json",
      ...headers,
    },
    body: JSON.stringify({ query: getIntrospectionQuery(options), operationName: "IntrospectionQuery" }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.errors, undefined, `introspection errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const messages = (errors) => errors.map((e) => e.message).join("\n");
const changes = (list) => list.map((c) => `${c.type}: ${c.description}`).join("\n");

const sdl = readFileSync(process.env.PARLEY_TEST_SDL, "utf8");
let printed; // the printed SDL, built by graphql-js
let introspected; // the same schema rebuilt from the introspection result (every option)

// graphql-js 16.15 defines two built-in directives newer than the October 2021 spec that Parley
// implements: @oneOf (input objects) and @deprecated on directive definitions. buildSchema adds
// them to the SDL's schema; the server's introspection rightly lists the 2021 ones.
const newerThan2021 = new Set([
  "DIRECTIVE_REMOVED: oneOf was removed.",
  "DIRECTIVE_LOCATION_REMOVED: DIRECTIVE_DEFINITION was removed from deprecated.",
]);

test("the printed SDL builds and is a valid schema", () => {
  printed = buildSchema(sdl); // throws on a syntax error or an SDL validation error
  assert.deepEqual(messages(validateSchema(printed)), "");
});

test("getIntrospectionQuery() runs and buildClientSchema accepts the result", async () => {
  const data = await introspect(undefined, { Authorization: `Bearer ${token}` });
  const schema = buildClientSchema(data);
  assert.deepEqual(messages(validateSchema(schema)), "");
  const types = Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith("__"));
  const count = (type) => Object.keys(type.getFields()).length;
  console.log(`schema: ${types.length} types, ${count(schema.getQueryType())} queries, ` +
    `${count(schema.getMutationType())} mutations, ${count(schema.getSubscriptionType())} subscriptions`);
});

test("every option of getIntrospectionQuery, anonymously", async () => {
  const data = await introspect({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
  });
  if (artifacts) writeFileSync(join(artifacts, "introspection.json"), JSON.stringify(data, null, 2));
  introspected = buildClientSchema(data);
  assert.deepEqual(messages(validateSchema(introspected)), "");
});

test("the SDL and the introspected schema print the same", () => {
  assert.ok(printed && introspected, "the two schemas were built");
  assert.equal(printSchema(introspected), printSchema(printed));
});

test("no breaking or dangerous change between them, either way", () => {
  assert.ok(printed && introspected, "the two schemas were built");
  const breaking = findBreakingChanges(printed, introspected).filter((c) => {
    const known = newerThan2021.has(`${c.type}: ${c.description}`);
    if (known) console.log(`schema: graphql-js's built-in directives are newer than the 2021 spec: ${c.description}`);
    return !known;
  });
  assert.equal(changes(breaking), "");
  assert.equal(changes(findBreakingChanges(introspected, printed)), "");
  assert.equal(changes(findDangerousChanges(printed, introspected)), "");
  assert.equal(changes(findDangerousChanges(introspected, printed)), "");
});

test("the examples of docs/graphql.md are valid against the schema", () => {
  assert.ok(printed, "the SDL was built");
  const markdown = readFileSync(new URL("../../docs/graphql.md", import.meta.url), "utf8");
  const blocks = [...markdown.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]);
  assert.ok(blocks.length > 0, "docs/graphql.md has graphql examples");
  const invalid = [];
  let operations = 0;
  for (const block of blocks) {
    // A block may show several documents one after the other: each operation is checked on its own,
    // with the block's fragments.
    const document = parse(block);
    const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
    for (const operation of document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
      operations += 1;
      const errors = validate(printed, { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] });
      if (errors.length > 0) invalid.push(`${block.split("\n", 1)[0]} ...: ${messages(errors)}`);
    }
  }
  console.log(`schema: docs/graphql.md's ${operations} example operations validate`);
  assert.equal(invalid.join("\n"), "");
});
