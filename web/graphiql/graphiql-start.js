// Starts GraphiQL with the settings the server put in the page: the endpoint, the example
// operation, its variables and, in development, the demo practitioner's Authorization header.
// Nothing is kept in the browser's storage, so every visit opens on the example with a fresh
// token (an edited header or query is kept only while the page is open).
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("graphiql-settings").textContent);

  var kept = new Map();
  var storage = {
    getItem: function (key) { return kept.has(key) ? kept.get(key) : null; },
    setItem: function (key, value) { kept.set(key, String(value)); },
    removeItem: function (key) { kept.delete(key); },
    clear: function () { kept.clear(); },
    get length() { return kept.size; }
  };

  var socket = new URL(settings.endpoint, window.location.href);
  socket.protocol = socket.protocol === "https:" ? "wss:" : "ws:";
  var headers = settings.headers ? JSON.parse(settings.headers) : {};
  var fetcher = GraphiQL.createFetcher({
    url: settings.endpoint,
    subscriptionUrl: socket.href,
    // The WebSocket carries the token in its first message.
    wsConnectionParams: headers
  });

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      storage: storage,
      defaultQuery: settings.query,
      defaultHeaders: settings.headers,
      variables: settings.variables,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: settings.headers ? "headers" : true
    })
  );
})();
