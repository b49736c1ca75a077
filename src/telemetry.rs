//! Logging: JSON lines in production, readable lines in development. Log ids, never personal
//! data. With an OTLP endpoint configured, the same spans (one per request, parented by the
//! caller's `traceparent`) are exported to an OpenTelemetry collector as traces.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// What must be flushed before the process ends.
#[derive(Debug, Default)]
#[must_use = "call shutdown before exiting, or spans still in the batch are lost"]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still waiting and stops the exporter.
    pub fn shutdown(self) {
        if let Some(provider) = self.traces
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!(error = %e, "the trace exporter did not shut down cleanly");
        }
    }
}

fn env_filter(filter: &str) -> EnvFilter {
    EnvFilter::try_new(format!(
        "{filter},sqlx=warn,sea_orm=warn,sea_orm_migration=warn"
    ))
    .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"))
}

/// Installs the global subscriber. `filter` uses `tracing` env-filter syntax; noisy database
/// crates are kept at `warn` unless named.
pub fn init(filter: &str, json: bool) {
    init_with_export(filter, json, None).shutdown();
}

/// [`init`], exporting traces over OTLP/HTTP to `otlp_endpoint` (the collector's base URL)
/// when given. An exporter that cannot be built is logged and left out: logging goes on.
pub fn init_with_export(filter: &str, json: bool, otlp_endpoint: Option<&str>) -> Telemetry {
    let provider = otlp_endpoint.and_then(|endpoint| match tracer_provider(endpoint) {
        Ok(provider) => Some(provider),
        Err(e) => {
            eprintln!("crs-api: traces are not exported: {e}");
            None
        }
    });
    let traces = provider.as_ref().map(|provider| {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        tracing_opentelemetry::layer().with_tracer(provider.tracer("crs-api"))
    });
    let logs_json = json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
    });
    let logs_text = (!json).then(|| {
        tracing_subscriber::fmt::layer()
            .compact()
            .with_writer(std::io::stderr)
    });
    let installed = tracing_subscriber::registry()
        .with(env_filter(filter))
        .with(logs_json)
        .with(logs_text)
        .with(traces)
        .try_init();
    // A subscriber already installed (tests) is fine; then nothing of ours exports.
    match installed {
        Ok(()) => Telemetry { traces: provider },
        Err(_) => {
            if let Some(provider) = provider {
                let _ = provider.shutdown();
            }
            Telemetry::default()
        }
    }
}

fn tracer_provider(
    endpoint: &str,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    // The HTTP client is built with rustls on ring, as the rest of the service's TLS is; it
    // needs the provider installed first (an already installed one is kept).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{endpoint}/v1/traces"))
        .build()?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name("crs-api").build())
        .build())
}
