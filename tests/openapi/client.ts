// A small TypeScript client of Parley written the way a user would write one: types generated from
// /api/schema.json by openapi-typescript, calls made with openapi-fetch. A compile-time check only:
// scripts/api-contract-test generates "parley-api" from the live document and runs
// `tsc --noEmit --strict` on this file, so a change of the document that breaks ordinary client
// code (a field renamed, a body or a path parameter retyped, a response left untyped) fails the
// test. Nothing here runs.
//
//   npx openapi-typescript http://127.0.0.1:8000/api/schema.json -o parley-api.d.ts
import createClient from "openapi-fetch";
import type { components, paths } from "parley-api";

type Problem = components["schemas"]["Problem"];
type Message = paths["/api/v1/messages/{id}"]["get"]["responses"][200]["content"]["application/json"];
type Conversation = paths["/api/v1/conversations/{id}"]["get"]["responses"][200]["content"]["application/json"];

// A problem answer, as people should read it: the stable code first, then the field errors.
export function describe(problem: Problem): string {
  const fields = Object.entries(problem.errors ?? {}).map(([field, messages]) => `${field}: ${messages.join(" ")}`);
  return [`${problem.code} (${problem.status}): ${problem.detail}`, ...fields].join("\n");
}

// Message fields that may be null are typed so: the compiler makes the client handle it.
export function line(message: Message): string {
  const edited = message.edited_at === null ? "" : ` (edited ${new Date(message.edited_at).toISOString()})`;
  const thread = message.parent_id === null ? "" : ` in reply to #${message.parent_id}`;
  const reactions = message.reactions.map((r) => `${r.emoji}×${r.count}${r.me ? "*" : ""}`).join(" ");
  return `#${message.id} ${message.sender.username}${thread}: ${message.body}${edited} ${reactions}`.trim();
}

export function title(conversation: Conversation): string {
  const last = conversation.last_message === null ? "no messages" : conversation.last_message.preview;
  return `${conversation.name ?? conversation.kind} (${conversation.unread_count} unread): ${last}`;
}

export async function session(baseUrl: string, username: string, email: string, password: string) {
  const anonymous = createClient<paths>({ baseUrl });

  // Register, then exchange the password for a token pair.
  const registered = await anonymous.POST("/api/v1/auth/register", {
    body: { username, email, password, display_name: username },
  });
  if (registered.error) throw new Error(describe(registered.error));
  const userId: number = registered.data.id;

  const tokens = await anonymous.POST("/api/v1/auth/token", { body: { login: username, password } });
  if (tokens.error) throw new Error(describe(tokens.error));
  const access: string = tokens.data.access;
  const refresh: string = tokens.data.refresh;
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${access}` } });

  // Create a channel and send a message with an idempotency key.
  const created = await api.POST("/api/v1/conversations", {
    body: { kind: "channel", name: "general", visibility: "public" },
  });
  if (created.error) throw new Error(describe(created.error));
  const conversationId: number = created.data.id;

  const sent = await api.POST("/api/v1/conversations/{id}/messages", {
    params: { path: { id: conversationId } },
    body: { body: "**Hello** @channel", client_msg_id: "c-1" },
  });
  if (sent.error) throw new Error(describe(sent.error));
  const first: Message = sent.data;

  // Read a page of the conversation, then follow `previous` (a relative URL, or null at the end).
  const page = await api.GET("/api/v1/conversations/{id}/messages", {
    params: { path: { id: conversationId }, query: { limit: 20 } },
  });
  if (page.error) throw new Error(describe(page.error));
  const lines: string[] = page.data.results.map(line);
  const older: string | null = page.data.previous;

  const conversation = await api.GET("/api/v1/conversations/{id}", { params: { path: { id: conversationId } } });
  if (conversation.error) throw new Error(describe(conversation.error));

  // Search: `q` is required, the filters are not.
  const found = await api.GET("/api/v1/search", { params: { query: { q: "hello", conversation_id: conversationId } } });
  if (found.error) throw new Error(describe(found.error));
  const snippets: string[] = found.data.results.map((r) => `${r.snippet} (${r.rank.toFixed(2)})`);

  return { userId, access, refresh, first, lines, older, snippets, title: title(conversation.data) };
}
