// Starts GraphiQL on this origin's /graphql (docs/operations.md, "GraphiQL"; docs/graphql.md). A file of
// its own because the page's Content-Security-Policy allows no inline script.
//
// Requests go three ways, as in Swagger UI at /api/docs/ (web/api-docs/init.js):
//   - with a browser session (the admin console's): the cookie goes along by itself (same-origin
//     credentials); GraphQL's POST is an unsafe method, so the X-CSRF-Token header is added from the
//     __Host-parley_csrf cookie when the server set one, else from the csrf_token a sign-in answered in
//     this tab (sessionStorage "parley.csrf", like the admin console keeps it);
//   - with {"Authorization": "Bearer <token>"} in GraphiQL's Headers editor (a JWT access token or a
//     pat_ token); GraphiQL keeps the headers in this origin's localStorage (shouldPersistHeaders);
//   - anonymously (the schema is public; most fields then answer UNAUTHENTICATED).
// Queries and mutations are POSTed as JSON with Accept: application/graphql-response+json,
// application/json. Subscriptions go over the graphql-transport-ws WebSocket at ws(s)://<host>/graphql
// (graphql-ws is inside GraphiQL's bundle); the Headers editor's headers become the connection_init
// payload, so {"Authorization": "Bearer ..."} authenticates the socket too.
(function () {
  "use strict";

  var CSRF_COOKIE = "__Host-parley_csrf";
  var CSRF_STORAGE_KEY = "parley.csrf";
  var ACCEPT = "application/graphql-response+json, application/json";

  function readCookie(name) {
    var pairs = document.cookie.split(";");
    for (var i = 0; i < pairs.length; i++) {
      var index = pairs[i].indexOf("=");
      if (index < 0) continue;
      if (pairs[i].slice(0, index).trim() === name) return decodeURIComponent(pairs[i].slice(index + 1).trim());
    }
    return null;
  }

  function storedToken() {
    try {
      return window.sessionStorage.getItem(CSRF_STORAGE_KEY);
    } catch (e) {
      return null;
    }
  }

  function hasHeader(headers, name) {
    var wanted = name.toLowerCase();
    return Object.keys(headers || {}).some(function (key) {
      return key.toLowerCase() === wanted;
    });
  }

  // The endpoint sits next to this page's folder: /graphiql/ -> /graphql (also behind a proxy that
  // mounts Parley under a path prefix).
  var endpoint = new URL("../graphql", window.location.href);
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  // GraphiQL's fetcher calls this with a plain headers object: the content type and the editor's headers.
  function parleyFetch(url, init) {
    var headers = Object.assign({}, init.headers);
    if (!hasHeader(headers, "Accept")) headers.Accept = ACCEPT;
    var token = readCookie(CSRF_COOKIE) || storedToken();
    if (token && !hasHeader(headers, "X-CSRF-Token")) headers["X-CSRF-Token"] = token;
    return window.fetch(url, Object.assign({}, init, { headers: headers, credentials: "same-origin" }));
  }

  var fetcher = GraphiQL.createFetcher({
    url: endpoint.href,
    subscriptionUrl: socket.href,
    fetch: parleyFetch,
    // Parley answers JSON, never multipart/mixed (@defer and @stream are not supported).
    enableIncrementalDelivery: false,
  });

  var defaultQuery = [
    "# Parley's GraphQL API (docs/graphql.md).",
    "# Signed in to the admin console in this browser?",
    "# Queries go with that session. Otherwise open",
    "# Headers below and enter",
    '#   {"Authorization": "Bearer <token>"}',
    "# with an access token (POST /api/v1/auth/token)",
    "# or a pat_ token. Docs (left) lists the schema.",
    "",
    "query Me {",
    "  me {",
    "    username",
    "  }",
    "}",
    "",
  ].join("\n");

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      headerEditorEnabled: true,
      shouldPersistHeaders: true,
    }),
  );
})();
