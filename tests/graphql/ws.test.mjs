// graphql-transport-ws on /graphql driven by graphql-ws's client (the protocol's reference
// implementation) over the `ws` package: a subscription receives a message sent with REST, a query
// runs over the socket, a bad token is refused with 4403. Run by scripts/graphql-conformance-test
// (PARLEY_TEST_URL, PARLEY_TEST_ALICE_TOKEN, PARLEY_TEST_BOB_TOKEN, PARLEY_TEST_CONVERSATION).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const base = process.env.PARLEY_TEST_URL;
const wsUrl = `${base.replace(/^http/, "ws")}/graphql`;
const alice = process.env.PARLEY_TEST_ALICE_TOKEN;
const bob = process.env.PARLEY_TEST_BOB_TOKEN;
const conversation = process.env.PARLEY_TEST_CONVERSATION;

function client(authorization, extra = {}) {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization },
    retryAttempts: 0,
    lazy: true,
    ...extra,
  });
}

// The first `count` results of an operation, or its error; rejects after `ms`.
function take(c, payload, count, ms = 10_000) {
  const results = [];
  let dispose;
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms with ${results.length} results`)), ms);
    dispose = c.subscribe(payload, {
      next: (value) => {
        results.push(value);
        if (results.length === count) {
          clearTimeout(timer);
          resolve(results);
        }
      },
      error: (error) => {
        clearTimeout(timer);
        reject(error);
      },
      complete: () => {
        clearTimeout(timer);
        resolve(results);
      },
    });
  });
  return { done, dispose: () => dispose() };
}

async function send(token, body) {
  const response = await fetch(`${base}/api/v1/conversations/${conversation}/messages`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ body }),
  });
  const json = await response.json();
  assert.equal(response.status, 201, JSON.stringify(json));
  return json;
}

test("a query over the socket", async () => {
  const c = client(`Bearer ${alice}`);
  try {
    const [result] = await take(c, { query: "{ me { username } }" }, 1).done;
    assert.deepEqual(result, { data: { me: { username: "alice" } } });
  } finally {
    await c.dispose();
  }
});

test("messageCreated delivers a message sent with REST", async () => {
  let acknowledged;
  const ack = new Promise((resolve) => (acknowledged = resolve));
  const c = client(`Bearer ${alice}`, { on: { connected: () => acknowledged() } });
  try {
    const subscription = take(c, { query: "subscription { messageCreated { id body sender { username } } }" }, 1);
    await ack;
    // The subscription starts on the server once its `subscribe` is read; a query sent after it on
    // the same socket and answered tells that it was read. Then bob writes, with REST.
    const [me] = await take(c, { query: "{ me { username } }" }, 1).done;
    assert.equal(me.data.me.username, "alice");
    const sent = await send(bob, "Hello from REST to a GraphQL subscription");
    const [event] = await subscription.done;
    assert.deepEqual(event, {
      data: { messageCreated: { id: String(sent.id), body: sent.body, sender: { username: "bob" } } },
    });
    subscription.dispose();
    console.log(`websocket: messageCreated delivered message ${sent.id} (sent by bob with POST /api/v1/conversations/${conversation}/messages)`);
  } finally {
    await c.dispose();
  }
});

test("a bad token is refused with close code 4403", async () => {
  let closed;
  const closedEvent = new Promise((resolve) => (closed = resolve));
  const c = client("Bearer not-a-token", { on: { closed: (event) => closed(event) } });
  try {
    await assert.rejects(take(c, { query: "{ me { username } }" }, 1).done, (error) => {
      assert.equal(error?.code, 4403, `closed with ${error?.code} ${error?.reason}`);
      return true;
    });
    const event = await closedEvent;
    assert.equal(event.code, 4403);
    console.log(`websocket: a bad token is closed with ${event.code} (${event.reason})`);
  } finally {
    await c.dispose();
  }
});
