// Opens the server's pages in headless Chromium as a person would and prints what they showed
// as one JSON object; screenshots go to the directory given. Used by tests/api/pages.rs.
//
//   node pages.mjs <base URL> <commissioner token> <screenshot directory>
//
// GraphiQL: the page renders, the Docs explorer shows the schema, the prefilled MyDrafts runs,
// then SendReferral. The outcomes page: the token is entered in the sign-in form, the default
// report (by probation delivery unit) is shown, and its table cells and charts are read back.
import { chromium } from "playwright-core";

const [base, commissionerToken, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const result = { graphiql: {}, reports: {}, consoleErrors: [], failedRequests: [] };
const timeout = 30000;

function watch(page) {
  page.on("console", (message) => {
    if (message.type() === "error") result.consoleErrors.push(message.text());
  });
  page.on("requestfailed", (request) => result.failedRequests.push(request.url()));
  // Nothing may be fetched from anywhere but the server.
  page.route("**/*", (route) =>
    route.request().url().startsWith(base) || route.request().url().startsWith("data:")
      ? route.continue()
      : route.abort());
}

async function runOperation(page, name, expected) {
  await page.locator(".graphiql-execute-button").click();
  // With two operations in the editor GraphiQL asks which one to run.
  await page.getByRole("menuitem", { name, exact: true }).click({ timeout });
  await page.locator(".result-window").getByText(expected).first().waitFor({ timeout });
  return page.locator(".result-window").innerText();
}

try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });

  // GraphiQL.
  const graphiql = await context.newPage();
  watch(graphiql);
  await graphiql.goto(`${base}/graphql`);
  await graphiql.locator(".graphiql-container").waitFor({ timeout });
  await graphiql.getByRole("button", { name: /documentation explorer/i }).first().click();
  await graphiql.locator(".graphiql-doc-explorer").getByText("Query", { exact: true }).first()
    .waitFor({ timeout });
  result.graphiql.docs = await graphiql.locator(".graphiql-doc-explorer").innerText();
  result.graphiql.drafts = await runOperation(graphiql, "MyDrafts", "totalCount");
  await graphiql.screenshot({ path: `${shots}/graphiql.png` });
  result.graphiql.send = await runOperation(graphiql, "SendReferral", "sentAt");
  await graphiql.screenshot({ path: `${shots}/graphiql-send.png` });

  // The outcomes page.
  const reports = await context.newPage();
  watch(reports);
  await reports.goto(`${base}/reports`);
  await reports.getByLabel("Access token").fill(commissionerToken);
  await reports.getByRole("button", { name: "Continue" }).click();
  await reports.locator("body[data-report-ready=true]").waitFor({ timeout });
  result.reports.signedInAs = await reports.locator("#signed-in-as").innerText();
  result.reports.caption = await reports.locator("#report-table caption").innerText();
  result.reports.legend = await reports.locator("#withheld-legend").innerText();
  result.reports.csvLink = await reports.locator("#csv-link").getAttribute("href");
  result.reports.rows = await reports.locator("#report-table tbody tr, #report-table tfoot tr")
    .evaluateAll((rows) => rows.map((row) => ({
      key: row.getAttribute("data-key"),
      label: row.querySelector("th").innerText,
      cells: Object.fromEntries([...row.querySelectorAll("td[data-field]")].map((td) =>
        [td.getAttribute("data-field"), { value: td.getAttribute("data-value"), text: td.innerText }])),
    })));
  result.reports.charts = await reports.locator("figure.chart").evaluateAll((figures) =>
    figures.map((figure) => {
      const canvas = figure.querySelector("canvas");
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
      return {
        id: figure.id,
        caption: figure.querySelector("figcaption").innerText,
        label: canvas.getAttribute("aria-label"),
        painted,
        withheld: figure.querySelector(".chart-withheld").innerText,
      };
    }));
  await reports.screenshot({ path: `${shots}/reports.png`, fullPage: true });
  // Opened again in the same tab: signed in without asking (the token is kept for the tab),
  // and the first Tab reaches the skip link.
  await reports.goto(`${base}/reports`);
  await reports.locator("body[data-report-ready=true]").waitFor({ timeout });
  result.reports.signedInAgain = await reports.locator("#signed-in-as").innerText();
  await reports.keyboard.press("Tab");
  result.reports.firstTab = await reports.evaluate(() => document.activeElement.textContent.trim());
} catch (error) {
  result.error = String(error && error.stack ? error.stack : error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
