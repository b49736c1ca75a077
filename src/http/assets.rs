//! `GET /assets/{name}`: the browser files the pages use, embedded in the binary. The libraries
//! come from the npm registry at build time (`build.rs`, pinned by `web/package-lock.json`); the
//! pages' own scripts and styles are the readable files under `web/`.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, web};

/// One embedded file.
struct Asset {
    name: &'static str,
    media_type: &'static str,
    body: &'static [u8],
}

macro_rules! npm_file {
    ($path:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/web/node_modules/", $path))
    };
}

macro_rules! web_file {
    ($path:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path))
    };
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

static ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql.min.js",
        media_type: JAVASCRIPT,
        body: npm_file!("graphiql/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        media_type: CSS,
        body: npm_file!("graphiql/graphiql.min.css"),
    },
    Asset {
        name: "react.production.min.js",
        media_type: JAVASCRIPT,
        body: npm_file!("react/umd/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        media_type: JAVASCRIPT,
        body: npm_file!("react-dom/umd/react-dom.production.min.js"),
    },
    Asset {
        name: "chart.umd.js",
        media_type: JAVASCRIPT,
        body: npm_file!("chart.js/dist/chart.umd.js"),
    },
    Asset {
        name: "graphiql-start.js",
        media_type: JAVASCRIPT,
        body: web_file!("graphiql/graphiql-start.js"),
    },
    Asset {
        name: "reports.js",
        media_type: JAVASCRIPT,
        body: web_file!("reports/reports.js"),
    },
    Asset {
        name: "reports.css",
        media_type: CSS,
        body: web_file!("reports/reports.css"),
    },
];

/// The page scripts and styles may come from this server only; nothing inline runs (the pages
/// pass settings in `application/json` blocks). GraphiQL's editor sets inline styles.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The embedded file `name`; 404 when there is none.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.name == name.as_str()) {
        Some(asset) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, HeaderValue::from_static(asset.media_type)))
            // Names are not versioned: a browser checks again after an hour.
            .insert_header((
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(asset.body),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file"),
    }
}

/// A page of ours: HTML with the policy above.
pub fn page(html: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(html)
}

/// Settings for a page's script, as an `application/json` block that cannot end the element
/// early (`<` is escaped).
pub fn settings_block(id: &str, settings: &serde_json::Value) -> String {
    let json = settings.to_string().replace('<', "\\u003c");
    format!(r#"<script type="application/json" id="{id}">{json}</script>"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_cannot_close_the_script_element() {
        let block = settings_block("s", &serde_json::json!({ "q": "</script><script>x()" }));
        assert_eq!(block.matches("</script>").count(), 1, "{block}");
        let json = block
            .trim_start_matches(r#"<script type="application/json" id="s">"#)
            .trim_end_matches("</script>");
        let back: serde_json::Value = serde_json::from_str(json).expect("json");
        assert_eq!(back["q"], "</script><script>x()");
    }

    #[test]
    fn every_embedded_file_has_content() {
        for asset in ASSETS {
            assert!(asset.body.len() > 100, "{} is empty", asset.name);
        }
    }
}
