//! The command line: `serve` (default), `migrate`, `token`, `schema`, `catalogue import`,
//! `seed synthetic`, `facts rebuild`.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::domain::actor::{Role, SUBJECT_ACCESS_AUTHORITY};
use crate::http::auth::{Claims, mint};
use crate::http::metrics::Metrics;
use crate::service::{Services, catalogue_import, seed};
use crate::startup::{Application, open_database};
use crate::{db, demo, graphql, synthetic, telemetry};

/// GraphQL API of the Commissioned Rehabilitative Services marketplace.
///
/// Configuration comes from CRS_* environment variables (see README).
#[derive(Debug, Parser)]
#[command(name = "crs-api", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Mint a development token (HS256, from the configured secret, issuer and audience).
    Token(TokenArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Manage the provider and contract catalogue.
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Fill a database with generated data.
    Seed {
        #[command(subcommand)]
        command: SeedCommand,
    },
    /// Manage the outcome report's facts (one row per sent referral, kept by every change).
    Facts {
        #[command(subcommand)]
        command: FactsCommand,
    },
    /// Delete unsent drafts nobody has changed for CRS_DRAFT_RETENTION_DAYS (90 by default),
    /// with every row under them. Sent referrals are never deleted.
    PurgeDrafts {
        /// Count the drafts that would be deleted, and delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the read audit as CSV: who outside probation read which person's data, when.
    ReadAudit(ReadAuditArgs),
}

#[derive(Debug, clap::Args)]
struct ReadAuditArgs {
    /// Only reads of this referral (its id).
    #[arg(long)]
    referral: Option<uuid::Uuid>,
    /// Only reads by this user (the token's `sub`).
    #[arg(long)]
    actor: Option<String>,
    /// From this day (UTC, inclusive).
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Option<chrono::NaiveDate>,
    /// To this day (UTC, inclusive).
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<chrono::NaiveDate>,
    /// At most this many records, oldest first.
    #[arg(long, default_value_t = 10_000)]
    limit: u64,
}

#[derive(Debug, Subcommand)]
enum FactsCommand {
    /// Rewrite the facts of every sent referral from its records: run after adding or
    /// redefining a report measure so existing referrals have it. Safe while the server runs.
    Rebuild,
}

#[derive(Debug, Subcommand)]
enum SeedCommand {
    /// A realistic national data set (all regions, 48 providers, about 170 contracts, staff,
    /// referrals in every status with their delivery records), the same for the same seed,
    /// size and day. The database must have no referrals yet.
    Synthetic(SyntheticArgs),
}

#[derive(Debug, clap::Args)]
struct SyntheticArgs {
    /// How many referrals to make.
    #[arg(long, default_value_t = 100_000)]
    referrals: u64,
    /// The seed: the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The day the data set runs up to (everything happens before it); today by default.
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<chrono::NaiveDate>,
}

#[derive(Debug, Subcommand)]
enum CatalogueCommand {
    /// Import providers, delivery units and contracts from a JSON file (idempotent; all or nothing).
    Import {
        /// The catalogue file, e.g. catalogue/demo.json.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RoleArg {
    Probation,
    Provider,
    Commissioner,
    ReadAll,
    /// A subject access request client (`ROLE_SAR_DATA_ACCESS`).
    SubjectAccess,
}

impl RoleArg {
    /// The authority the token carries.
    fn authority(self) -> &'static str {
        match self {
            RoleArg::Probation => Role::ProbationPractitioner.authority(),
            RoleArg::Provider => Role::ProviderUser.authority(),
            RoleArg::Commissioner => Role::Commissioner.authority(),
            RoleArg::ReadAll => Role::ReadAll.authority(),
            RoleArg::SubjectAccess => SUBJECT_ACCESS_AUTHORITY,
        }
    }
}

#[derive(Debug, clap::Args)]
struct TokenArgs {
    /// The role the token carries.
    #[arg(long, value_enum, required_unless_present = "like")]
    role: Option<RoleArg>,
    /// A user the database has recorded (from their last token, or made by `seed synthetic`):
    /// a token with their id, name, roles and groups.
    #[arg(long, value_name = "USER", conflicts_with_all = ["role", "providers", "contracts", "regions", "name", "email"])]
    like: Option<String>,
    /// The user id (`sub`).
    #[arg(long, default_value = "dev-user")]
    sub: String,
    /// Display name.
    #[arg(long)]
    name: Option<String>,
    /// Email address (the `email` claim).
    #[arg(long)]
    email: Option<String>,
    /// A provider code (INT_SP_ group); repeat for several.
    #[arg(long = "provider")]
    providers: Vec<String>,
    /// A contract reference (INT_CR_ group); repeat for several.
    #[arg(long = "contract")]
    contracts: Vec<String>,
    /// A region code A..L (INT_RG_ group); repeat for several.
    #[arg(long = "region")]
    regions: Vec<String>,
    /// Validity in hours.
    #[arg(long, default_value_t = 12)]
    hours: u64,
}

/// Runs the command line.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("crs-api: {e}");
            return ExitCode::from(2);
        }
    };
    let telemetry = telemetry::init_with_export(
        &settings.log,
        settings.is_production(),
        settings.otlp_endpoint.as_deref(),
    );
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::Token(args) => token(&settings, args).await,
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Catalogue {
            command: CatalogueCommand::Import { file },
        } => import(&settings, file).await,
        Command::Seed {
            command: SeedCommand::Synthetic(args),
        } => seed_synthetic(&settings, args).await,
        Command::Facts {
            command: FactsCommand::Rebuild,
        } => rebuild_facts(&settings).await,
        Command::PurgeDrafts { dry_run } => purge_drafts(&settings, dry_run).await,
        Command::ReadAudit(args) => read_audit(&settings, args).await,
    };
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crs-api: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    let host = settings
        .bind
        .rsplit_once(':')
        .map_or("127.0.0.1", |(host, _)| host);
    let base = format!("http://{host}:{}", app.port());
    tracing::info!(address = %base, "listening");
    if !settings.is_production() {
        print_development_banner(settings, &app, &base).await?;
    }
    app.run_until_stopped().await?;
    Ok(())
}

async fn print_development_banner(
    settings: &Settings,
    app: &Application,
    base: &str,
) -> anyhow::Result<()> {
    println!();
    println!("crs-api is running (development)");
    println!("  GraphiQL:  {base}/graphql  (opens as the demo probation practitioner)");
    println!("  Outcomes:  {base}/reports  (the commissioners' page; sign in with a token below)");
    println!("  Health:    {base}/health/ready    Metrics: {base}/metrics");
    if app.demo_loaded() {
        println!("  Loaded the demo providers and contracts (catalogue/demo.json).");
    }
    if let crate::config::JwtKey::Hs256(_) = settings.jwt.key {
        let services = Services::new(app.db().clone());
        let tokens = demo::working_tokens(&services, &settings.jwt).await?;
        println!();
        println!(
            "Demo tokens (valid {} hours), as the header {{\"Authorization\": \"Bearer <token>\"}}:",
            demo::DEMO_TOKEN_TTL_SECONDS / 3600
        );
        for (label, token) in tokens {
            println!();
            match token {
                Ok(token) => {
                    println!("  {label}:");
                    println!("  {token}");
                }
                Err(refusal) => {
                    println!("  {label}: not printed; this database would refuse it ({refusal})")
                }
            }
        }
    }
    println!();
    Ok(())
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let metrics = Metrics::new()?;
    let db = open_database(settings, &metrics).await?;
    db::migrate(&db).await?;
    println!("migrations applied");
    Ok(())
}

async fn token(settings: &Settings, args: TokenArgs) -> anyhow::Result<()> {
    if settings.is_production() {
        anyhow::bail!(
            "tokens are minted in development only; production tokens come from the identity provider"
        );
    }
    let metrics = Metrics::new()?;
    let database = open_database(settings, &metrics).await;
    let claims = match (&args.like, args.role) {
        (Some(user), _) => {
            let db = database.as_ref().map_err(|e| {
                anyhow::anyhow!(
                    "--like reads the user from the database, which cannot be opened: {e:#}"
                )
            })?;
            let Some((name, email, authorities, groups)) =
                db::users::latest_claims(db, user).await?
            else {
                anyhow::bail!(
                    "no user {user} is recorded in this database (users are recorded when they \
                     first call the API, and by `seed synthetic`)"
                );
            };
            Claims {
                sub: user.clone(),
                name,
                email,
                authorities,
                groups,
            }
        }
        (None, Some(role)) => Claims {
            sub: args.sub,
            name: args.name,
            email: args.email,
            authorities: vec![role.authority().to_owned()],
            groups: args
                .providers
                .iter()
                .map(|p| format!("INT_SP_{p}"))
                .chain(args.contracts.iter().map(|c| format!("INT_CR_{c}")))
                .chain(args.regions.iter().map(|r| format!("INT_RG_{r}")))
                .collect(),
        },
        (None, None) => anyhow::bail!("give --role or --like"),
    };
    // A token the server would refuse is still printed (to test refusals with), with a warning.
    match &database {
        Ok(db) => {
            let principal = crate::domain::actor::Principal::new(
                claims.sub.clone(),
                claims.name.clone(),
                claims.email.clone(),
                claims.authorities.iter().map(String::as_str),
                claims.groups.iter().map(String::as_str),
            );
            if let Err(refusal) =
                crate::service::viewer::check(&Services::new(db.clone()), &principal).await
            {
                eprintln!(
                    "warning: the server would refuse this token on this database: {}",
                    refusal
                );
            }
        }
        Err(_) => eprintln!(
            "warning: the database cannot be opened, so the token was not checked against it"
        ),
    }
    println!(
        "{}",
        mint(&settings.jwt, &claims, args.hours.saturating_mul(3600))?
    );
    Ok(())
}

async fn import(settings: &Settings, file: PathBuf) -> anyhow::Result<()> {
    let metrics = Metrics::new()?;
    let db = open_database(settings, &metrics).await?;
    if settings.database.migrate_on_start {
        db::migrate(&db).await?;
    }
    let summary = catalogue_import::import_file(&Services::new(db), &file).await?;
    for (kind, tally) in [
        ("providers", summary.providers),
        ("probation delivery units", summary.probation_delivery_units),
        ("contracts", summary.contracts),
    ] {
        println!(
            "{kind}: {} created, {} updated, {} unchanged",
            tally.created, tally.updated, tally.unchanged
        );
    }
    Ok(())
}

async fn rebuild_facts(settings: &Settings) -> anyhow::Result<()> {
    let metrics = Metrics::new()?;
    let db = open_database(settings, &metrics).await?;
    if settings.database.migrate_on_start {
        db::migrate(&db).await?;
    }
    let rewritten = crate::service::outcome_report::rebuild(&db).await?;
    println!("outcome report facts rebuilt for {rewritten} sent referrals");
    Ok(())
}

async fn purge_drafts(settings: &Settings, dry_run: bool) -> anyhow::Result<()> {
    use crate::service::retention::{DraftRetention, purge_drafts};
    let metrics = Metrics::new()?;
    let db = open_database(settings, &metrics).await?;
    if settings.database.migrate_on_start {
        db::migrate(&db).await?;
    }
    let retention = DraftRetention {
        keep_for: settings.retention.drafts,
    };
    let outcome = purge_drafts(&db, retention, chrono::Utc::now(), dry_run).await?;
    let days = settings.retention.drafts.as_secs() / 86_400;
    if dry_run {
        println!(
            "{} drafts not changed for {days} days (since {}) would be deleted; nothing was deleted",
            outcome.drafts,
            outcome.cutoff.format("%Y-%m-%d %H:%M UTC")
        );
    } else {
        println!(
            "{} drafts not changed for {days} days (since {}) deleted",
            outcome.drafts,
            outcome.cutoff.format("%Y-%m-%d %H:%M UTC")
        );
    }
    Ok(())
}

async fn read_audit(settings: &Settings, args: ReadAuditArgs) -> anyhow::Result<()> {
    use crate::domain::read_audit::AuditQuery;
    let metrics = Metrics::new()?;
    let db = open_database(settings, &metrics).await?;
    if settings.database.migrate_on_start {
        db::migrate(&db).await?;
    }
    let day_start = |day: chrono::NaiveDate| day.and_time(chrono::NaiveTime::MIN).and_utc();
    let query = AuditQuery {
        referral_id: args.referral,
        actor_id: args.actor,
        from: args.from.map(day_start),
        to: args.to.and_then(|day| day.succ_opt()).map(day_start),
        limit: args.limit,
    };
    let records = crate::service::read_audit::find(&db, &query).await?;
    let mut out = csv::Writer::from_writer(std::io::stdout());
    out.write_record([
        "at (UTC)",
        "actor",
        "role",
        "organisation",
        "referral id",
        "operation",
        "request id",
    ])?;
    for record in records {
        out.write_record([
            record
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            record.actor_id,
            record.actor_role.to_owned(),
            record.organisation.unwrap_or_default(),
            record.referral_id.to_string(),
            record.operation,
            record
                .request_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

async fn seed_synthetic(settings: &Settings, args: SyntheticArgs) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    let metrics = Metrics::new()?;
    let db = open_database(settings, &metrics).await?;
    db::migrate(&db).await?;
    let options = synthetic::Options {
        referrals: args.referrals,
        seed: args.seed,
        as_of: args
            .as_of
            .unwrap_or_else(|| crate::domain::catalogue::uk_date(chrono::Utc::now())),
        regions: synthetic::ALL_REGIONS,
    };
    let bar = ProgressBar::new(args.referrals).with_style(
        ProgressStyle::with_template(
            "{spinner} {msg:<12} [{bar:40}] {pos}/{len} referrals, {rate}, {elapsed_precise} (ETA {eta})",
        )?
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        )
        .progress_chars("=> "),
    );
    bar.set_message("loading");
    let summary = seed::synthetic(&Services::new(db), options, |progress| match progress {
        seed::SeedProgress::Referrals { written, .. } => bar.set_position(written),
        seed::SeedProgress::Step(step) => bar.set_message(step.to_owned()),
    })
    .await?;
    // The bar is cleared so the summary starts on a line of its own.
    bar.finish_and_clear();
    println!(
        "Loaded {} referrals ({} rows) with {} providers, {} contracts, {} delivery units and {} \
         staff in {:.1} s, {:.0} referrals/s (seed {}, up to {}).",
        summary.referrals,
        summary.rows,
        summary.providers,
        summary.contracts,
        summary.probation_delivery_units,
        summary.staff,
        summary.seconds,
        summary.referrals as f64 / summary.seconds.max(0.001),
        options.seed,
        options.as_of
    );
    println!("Tokens for users of this data set:");
    if let Some(user) = summary.sample_provider_user {
        println!("  a caseworker of the busiest provider:  crs-api token --like {user}");
    }
    if let Some(user) = summary.sample_practitioner {
        println!("  a probation practitioner:              crs-api token --like {user}");
    }
    println!(
        "  a commissioner of London:              crs-api token --role commissioner --region J"
    );
    Ok(())
}
