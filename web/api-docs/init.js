// Starts Swagger UI on Parley's live OpenAPI document (docs/operations.md, "API docs"). A file of its
// own because the page's Content-Security-Policy allows no inline script.
//
// "Try it out" works three ways:
//   - with a browser session (the admin console's, or POST /api/v1/auth/session tried here): the
//     cookie goes along by itself; unsafe methods need X-CSRF-Token, which the request interceptor
//     adds from the __Host-parley_csrf cookie when the server set one, else from the csrf_token a
//     sign-in answered in this tab (kept in sessionStorage, like the admin console does);
//   - with "Authorize" and a bearer token (JWT access token or pat_ token), kept across reloads
//     (persistAuthorization: in this origin's localStorage);
//   - anonymously, for the public routes.
(function () {
  "use strict";

  var CSRF_COOKIE = "__Host-parley_csrf";
  var CSRF_STORAGE_KEY = "parley.csrf";
  var SAFE_METHODS = { GET: true, HEAD: true, OPTIONS: true };

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

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  // The document sits next to this page's folder: /api/docs/ -> /api/schema.json (also behind a
  // proxy that mounts Parley under a path prefix).
  var schemaUrl = new URL("../schema.json", window.location.href).href;

  window.ui = SwaggerUIBundle({
    url: schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    filter: true,
    tryItOutEnabled: false,
    validatorUrl: null, // the default validator badge loads an image from validator.swagger.io
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      var method = String(request.method || "GET").toUpperCase();
      if (!SAFE_METHODS[method] && sameOrigin(request.url)) {
        request.headers = request.headers || {};
        var token = readCookie(CSRF_COOKIE) || storedToken();
        if (token && !hasHeader(request.headers, "X-CSRF-Token")) request.headers["X-CSRF-Token"] = token;
      }
      request.credentials = "same-origin";
      return request;
    },
    responseInterceptor: function (response) {
      // A sign-in tried here answers the session's CSRF token once: keep it for later calls.
      try {
        if (response.ok && /\/api\/v1\/auth\/session$/.test(new URL(response.url, window.location.href).pathname)) {
          var body = response.obj || (typeof response.text === "string" ? JSON.parse(response.text) : null);
          if (body && typeof body.csrf_token === "string") window.sessionStorage.setItem(CSRF_STORAGE_KEY, body.csrf_token);
        }
      } catch (e) {
        // not JSON, or no storage: nothing to keep
      }
      return response;
    },
  });
})();
