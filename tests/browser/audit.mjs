// Runs the graphql-http conformance audit (the GraphQL over HTTP spec's MUST, SHOULD and MAY
// checks) against the server and prints each result as JSON. Every request carries the token
// given, as the API needs one. Used by tests/api/graphql_http.rs.
//
//   node audit.mjs <GraphQL URL> <token>
import { serverAudits } from "graphql-http";

const [url, token] = process.argv.slice(2);
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const results = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  results.push({ id: audit.id, name: audit.name, status: result.status, reason: result.reason ?? null });
}
console.log(JSON.stringify(results));
