// The outcomes page: asks for the caller's bearer token once per browser tab (kept in
// sessionStorage), reads `me` and `outcomeReport` from the GraphQL API with it, and shows a table,
// four charts (Chart.js) and a link to the same report as CSV. Withheld cells stay withheld: the
// API never sends their figures.
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("reports-settings").textContent);
  var TOKEN_KEY = "crs-api.reports.token";

  var DIMENSIONS = [
    ["PROBATION_DELIVERY_UNIT", "Probation delivery unit"],
    ["PCC_AREA", "PCC area"],
    ["REGION", "Region"],
    ["PROVIDER", "Provider"],
    ["CONTRACT", "Contract"],
    ["CONTRACT_TYPE", "Contract type"],
    ["SERVICE_CATEGORY", "Service category"],
    ["COMPLEXITY", "Complexity"],
    ["MONTH", "Month sent"],
    ["QUARTER", "Quarter sent"],
    ["GENDER", "Gender"],
    ["ETHNICITY", "Ethnic group"],
    ["ETHNIC_CATEGORY", "Ethnic category"],
    ["AGE_BAND", "Age band"],
    ["LOCATION_TYPE", "Custody or community"]
  ];

  // The table's columns: field, heading, kind.
  var MEASURES = [
    ["referralsSent", "Referrals sent", "count"],
    ["open", "Open", "count"],
    ["completed", "Completed", "count"],
    ["cancelled", "Cancelled", "count"],
    ["prematurelyEnded", "Ended early", "count"],
    ["attendanceRate", "Attendance", "rate"],
    ["attritionRate", "Attrition", "rate"],
    ["achievementRate", "Outcomes achieved", "rate"],
    ["concludedByDeadlineRate", "Delivered by deadline", "rate"],
    ["medianDaysToAssessment", "Median days to assessment", "days"]
  ];

  var ROW_FIELDS = "suppressed dimensions { dimension value label } " + MEASURES.map(function (m) {
    return m[0];
  }).join(" ") + " outcomesAchieved outcomesPartiallyAchieved outcomesNotAchieved";
  var REPORT_FIELDS = "{ suppressionThreshold groupBy rows { " + ROW_FIELDS + " } totals { " +
    ROW_FIELDS + " } }";
  // What the charts draw (no totals), so the whole page is one request within the field limit.
  var CHART_FIELDS = "{ suppressionThreshold rows { suppressed dimensions { value label } " +
    "referralsSent attendanceRate attritionRate outcomesAchieved outcomesPartiallyAchieved " +
    "outcomesNotAchieved } }";
  var REPORT_QUERY =
    "query OutcomesPage($filter: OutcomeReportFilter, $groupBy: [ReportDimension!]!) {\n" +
    "  table: outcomeReport(filter: $filter, groupBy: $groupBy) " + REPORT_FIELDS + "\n" +
    "  byPdu: outcomeReport(filter: $filter, groupBy: [PROBATION_DELIVERY_UNIT]) " + CHART_FIELDS + "\n" +
    "  byCategory: outcomeReport(filter: $filter, groupBy: [SERVICE_CATEGORY]) " + CHART_FIELDS + "\n" +
    "  byMonth: outcomeReport(filter: $filter, groupBy: [MONTH]) " + CHART_FIELDS + "\n" +
    "  byEthnicity: outcomeReport(filter: $filter, groupBy: [ETHNICITY]) " + CHART_FIELDS + "\n" +
    "}";
  var ME_QUERY = "query Me { me { id name roles regions { code name } contracts { reference } } }";

  // The Government Statistical Service's accessible palette.
  var COLOURS = { blue: "#12436D", turquoise: "#28A197", pink: "#801650", orange: "#F46A25" };

  var charts = [];
  var byId = function (id) { return document.getElementById(id); };

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function showError(message) {
    byId("error-message").textContent = message;
    byId("error-summary").hidden = false;
    byId("error-summary").focus();
  }

  function clearError() { byId("error-summary").hidden = true; }

  function Refused(message) { this.message = message; }

  // The token of this tab; none when an authenticating proxy in front adds it.
  function authorization() {
    var token = sessionStorage.getItem(TOKEN_KEY);
    return token ? { "Authorization": "Bearer " + token } : {};
  }

  function graphql(query, variables) {
    return fetch(settings.endpoint, {
      method: "POST",
      headers: Object.assign({
        "Content-Type": "application/json",
        "Accept": "application/graphql-response+json, application/json"
      }, authorization()),
      body: JSON.stringify({ query: query, variables: variables || {} })
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        var messages = body && body.errors ? body.errors.map(function (e) { return e.message; }) : [];
        if (response.status === 401) {
          throw new Refused(messages[0] || "The token was refused.");
        }
        if (messages.length) { throw new Error(messages.join(" ")); }
        if (!body || !body.data) { throw new Error("The server answered " + response.status + "."); }
        return body.data;
      });
    });
  }

  // ---- Signing in and out ----

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    byId("report").hidden = true;
    byId("signed-in").hidden = true;
    byId("sign-in").hidden = false;
    if (message) { showError(message); } else { clearError(); }
    byId("token").value = "";
    byId("token").focus();
  }

  // Signed in with the tab's token, or by a proxy in front; otherwise the sign-in form.
  function start() {
    var own = Boolean(sessionStorage.getItem(TOKEN_KEY));
    graphql(ME_QUERY).then(function (data) {
      var me = data.me;
      byId("signed-in-as").textContent = "Signed in as " + (me.name || me.id);
      byId("signed-in").hidden = false;
      byId("sign-out").hidden = !own;
      byId("sign-in").hidden = true;
      byId("report").hidden = false;
      clearError();
      fillFilters(me);
      showReport();
    }).catch(function (error) {
      if (!own) {
        signOut();
      } else if (error instanceof Refused) {
        signOut("The token was refused: " + error.message + " Paste a current token.");
      } else {
        // The server could not be reached or failed: the token is kept for another try.
        showError(error.message);
      }
    });
  }

  byId("sign-in-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var token = byId("token").value.trim().replace(/^Bearer\s+/i, "");
    if (!token) { showError("Enter your access token."); byId("token").focus(); return; }
    sessionStorage.setItem(TOKEN_KEY, token);
    start();
  });

  if (settings.demoToken) {
    byId("demo-sign-in").hidden = false;
    byId("demo-sign-in").addEventListener("click", function () {
      sessionStorage.setItem(TOKEN_KEY, settings.demoToken);
      start();
    });
  }

  byId("sign-out").addEventListener("click", function () { signOut(); });

  // ---- Filters ----

  function options(select, choices) {
    select.textContent = "";
    choices.forEach(function (choice) {
      select.appendChild(element("option", { value: choice[0] }, choice[1]));
    });
  }

  function fillFilters(me) {
    var regions = me.regions.map(function (r) { return [r.code, r.name]; });
    byId("region-group").hidden = regions.length === 0;
    options(byId("region"), (regions.length > 1 ? [["", "All my regions"]] : []).concat(regions));
    var contracts = me.contracts.map(function (c) { return [c.reference, c.reference]; });
    byId("contract-group").hidden = contracts.length === 0;
    options(byId("contract"), [["", "All my contracts"]].concat(contracts));
    options(byId("group-by"), DIMENSIONS);
    options(byId("then-by"), [["", "Nothing else"]].concat(DIMENSIONS));
  }

  function chosen() {
    var filter = {};
    var region = byId("region").value;
    var contract = byId("contract").value;
    if (!byId("region-group").hidden && region) { filter.regionCodes = [region]; }
    if (!byId("contract-group").hidden && contract) { filter.contractReferences = [contract]; }
    if (byId("sent-from").value) { filter.sentFrom = byId("sent-from").value; }
    if (byId("sent-to").value) { filter.sentTo = byId("sent-to").value; }
    var groupBy = [byId("group-by").value];
    var thenBy = byId("then-by").value;
    if (thenBy && thenBy !== groupBy[0]) { groupBy.push(thenBy); }
    return { filter: filter, groupBy: groupBy };
  }

  byId("report-form").addEventListener("submit", function (event) {
    event.preventDefault();
    showReport();
  });

  // ---- The report ----

  function dimensionName(code) {
    var found = DIMENSIONS.filter(function (d) { return d[0] === code; })[0];
    return found ? found[1] : code;
  }

  function formatted(value, kind) {
    if (value === null || value === undefined) { return null; }
    if (kind === "rate") { return (value * 100).toFixed(1) + "%"; }
    return Number(value).toLocaleString("en-GB");
  }

  // A cell: the figure, "withheld" where a suppressed row has none, "–" where there is nothing
  // to measure.
  function cell(tag, row, measure) {
    var value = row[measure[0]];
    var text = formatted(value, measure[2]);
    var td = element(tag, { "class": "number", "data-field": measure[0],
      "data-value": value === null || value === undefined ? "" : String(value) });
    if (text === null) {
      if (row.suppressed) {
        td.className = "number withheld";
        td.textContent = "withheld";
      } else {
        td.textContent = "–";
        td.setAttribute("aria-label", "none");
      }
    } else {
      td.textContent = text;
    }
    return td;
  }

  function renderTable(report) {
    var table = byId("report-table");
    table.textContent = "";
    var names = report.groupBy.map(dimensionName);
    table.appendChild(element("caption", {}, "Sent referrals by " + names.join(" and then by ").toLowerCase()));
    var head = element("thead");
    var headRow = element("tr");
    names.forEach(function (name) { headRow.appendChild(element("th", { scope: "col" }, name)); });
    MEASURES.forEach(function (m) {
      headRow.appendChild(element("th", { scope: "col", "class": "number" }, m[1]));
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = element("tbody");
    report.rows.forEach(function (row) {
      var tr = element("tr", { "data-key": row.dimensions.map(function (d) { return d.value; }).join("|") });
      row.dimensions.forEach(function (d, i) {
        tr.appendChild(element(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : {}, d.label));
      });
      MEASURES.forEach(function (m) { tr.appendChild(cell("td", row, m)); });
      body.appendChild(tr);
    });
    table.appendChild(body);
    var foot = element("tfoot");
    var total = element("tr", { "data-key": "" });
    total.appendChild(element("th", { scope: "row", colspan: String(names.length) }, "All referrals counted"));
    MEASURES.forEach(function (m) { total.appendChild(cell("td", report.totals, m)); });
    foot.appendChild(total);
    table.appendChild(foot);
    byId("table-title").textContent = "By " + names.join(" and ").toLowerCase();
  }

  function csvAddress(choice) {
    var query = new URLSearchParams();
    query.set("groupBy", choice.groupBy.join(","));
    Object.keys(choice.filter).forEach(function (key) {
      var value = choice.filter[key];
      query.set(key, Array.isArray(value) ? value.join(",") : value);
    });
    return "/reports/outcomes.csv?" + query.toString();
  }

  // The CSV needs the token too, so the link downloads it with fetch.
  byId("csv-link").addEventListener("click", function (event) {
    event.preventDefault();
    var address = byId("csv-link").getAttribute("href");
    fetch(address, { headers: authorization() })
      .then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            var errors = body.errors || [];
            throw new Error(errors.length ? errors[0].message : "The download failed (" + response.status + ").");
          });
        }
        var disposition = response.headers.get("Content-Disposition") || "";
        var name = (/filename="?([^";]+)"?/.exec(disposition) || [null, "outcomes.csv"])[1];
        return response.blob().then(function (blob) {
          var link = element("a", { href: URL.createObjectURL(blob), download: name });
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
        });
      })
      .catch(function (error) { showError(error.message); });
  });

  // ---- Charts ----

  function label(row) {
    return row.dimensions.map(function (d) { return d.label; }).join(", ");
  }

  function percent(value) { return value === null || value === undefined ? null : Math.round(value * 1000) / 10; }

  // Names the groups a chart has no figure for because it is withheld.
  function withheldNote(figure, report, fields) {
    var withheld = report.rows.filter(function (r) {
      return r.suppressed && fields.some(function (f) { return r[f] === null; });
    }).map(label);
    figure.querySelector(".chart-withheld").textContent = withheld.length
      ? "Withheld here (a count under " + report.suppressionThreshold + ", or one that would reveal " +
        "one): " + withheld.join(", ") + "."
      : "Nothing withheld.";
  }

  function chart(id, config, description, report) {
    var figure = byId(id);
    var canvas = figure.querySelector("canvas");
    canvas.setAttribute("aria-label", description + " The figures are in the table above when grouped the same way.");
    withheldNote(figure, report, config.data.datasets.map(function (d) { return d.field; }));
    config.options = Object.assign({
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { position: "bottom" } }
    }, config.options || {});
    charts.push(new window.Chart(canvas, config));
  }

  function rateChart(id, report, description) {
    var rows = report.rows;
    chart(id, {
      type: "bar",
      data: {
        labels: rows.map(label),
        datasets: [
          { label: "Attendance (%)", backgroundColor: COLOURS.blue, field: "attendanceRate",
            data: rows.map(function (r) { return percent(r.attendanceRate); }) },
          { label: "Attrition (%)", backgroundColor: COLOURS.orange, field: "attritionRate",
            data: rows.map(function (r) { return percent(r.attritionRate); }) }
        ]
      },
      options: { scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } } }
    }, description, report);
  }

  function renderCharts(data) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    rateChart("chart-pdu", data.byPdu, "Bar chart of attendance and attrition rates by probation delivery unit.");
    var categories = data.byCategory.rows;
    chart("chart-category", {
      type: "bar",
      data: {
        labels: categories.map(label),
        datasets: [
          { label: "Achieved", backgroundColor: COLOURS.turquoise, field: "outcomesAchieved",
            data: categories.map(function (r) { return r.outcomesAchieved; }) },
          { label: "Partially achieved", backgroundColor: COLOURS.blue, field: "outcomesPartiallyAchieved",
            data: categories.map(function (r) { return r.outcomesPartiallyAchieved; }) },
          { label: "Not achieved", backgroundColor: COLOURS.pink, field: "outcomesNotAchieved",
            data: categories.map(function (r) { return r.outcomesNotAchieved; }) }
        ]
      },
      options: { indexAxis: "y", scales: { x: { stacked: true }, y: { stacked: true } } }
    }, "Stacked bar chart of desired outcomes achieved, partially achieved and not achieved by service category.",
    data.byCategory);
    var months = data.byMonth.rows;
    chart("chart-month", {
      type: "line",
      data: {
        labels: months.map(label),
        datasets: [
          { label: "Referrals sent", borderColor: COLOURS.blue, backgroundColor: COLOURS.blue, field: "referralsSent",
            yAxisID: "y", data: months.map(function (r) { return r.referralsSent; }) },
          { label: "Attendance (%)", borderColor: COLOURS.orange, backgroundColor: COLOURS.orange, field: "attendanceRate",
            yAxisID: "rate", data: months.map(function (r) { return percent(r.attendanceRate); }) }
        ]
      },
      options: { scales: {
        y: { min: 0, title: { display: true, text: "referrals" } },
        rate: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false },
          title: { display: true, text: "%" } }
      } }
    }, "Line chart of referrals sent and the attendance rate by month sent.", data.byMonth);
    rateChart("chart-ethnicity", data.byEthnicity, "Bar chart of attendance and attrition rates by ethnic group.");
  }

  function showReport() {
    var choice = chosen();
    clearError();
    graphql(REPORT_QUERY, choice).then(function (data) {
      byId("withheld-legend").textContent = "“withheld”: a figure of a group with fewer than " +
        data.table.suppressionThreshold + " referrals, or one that would reveal such a group, is " +
        "not shown. “–”: nothing to measure. Rates are of the referrals counted in the row.";
      renderTable(data.table);
      byId("csv-link").setAttribute("href", csvAddress(choice));
      byId("results").hidden = false;
      renderCharts(data);
      document.body.setAttribute("data-report-ready", "true");
    }).catch(function (error) {
      if (error instanceof Refused) {
        signOut("The token was refused: " + error.message + " Paste a current token.");
      } else {
        showError(error.message);
      }
    });
  }

  start();
})();
