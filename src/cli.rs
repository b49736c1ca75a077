//! The command line: `serve` (default), `migrate`, `token`, `schema`, `catalogue import`,
//! `seed synthetic`, `facts rebuild`.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::domain::actor::Role;
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
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Probation => Role::ProbationPractitioner,
            RoleArg::Provider => Role::ProviderUser,
            RoleArg::Commissioner => Role::Commissioner,
            RoleArg::ReadAll => Role::ReadAll,
        }
    }
}

#[derive(Debug, clap::Args)]
struct TokenArgs {
    /// The role the token carries.
    #[arg(long, value_enum)]
    role: RoleArg,
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
    telemetry::init(&settings.log, settings.is_production());
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::Token(args) => token(&settings, args),
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
    };
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
        print_development_banner(settings, &base, app.demo_loaded())?;
    }
    app.run_until_stopped().await?;
    Ok(())
}

fn print_development_banner(
    settings: &Settings,
    base: &str,
    demo_loaded: bool,
) -> anyhow::Result<()> {
    println!();
    println!("crs-api is running (development)");
    println!("  GraphiQL:  {base}/graphql");
    println!("  Health:    {base}/health/ready    Metrics: {base}/metrics");
    if demo_loaded {
        println!("  Loaded the demo providers and contracts (catalogue/demo.json).");
    }
    if let crate::config::JwtKey::Hs256(_) = settings.jwt.key {
        println!();
        println!(
            "Demo tokens (valid {} hours). In GraphiQL open Headers and paste",
            demo::DEMO_TOKEN_TTL_SECONDS / 3600
        );
        println!("  {{\"Authorization\": \"Bearer <token>\"}}");
        for (label, token) in demo::demo_tokens(&settings.jwt)? {
            println!();
            println!("  {label}:");
            println!("  {token}");
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

fn token(settings: &Settings, args: TokenArgs) -> anyhow::Result<()> {
    if settings.is_production() {
        anyhow::bail!(
            "tokens are minted in development only; production tokens come from the identity provider"
        );
    }
    let role: Role = args.role.into();
    let groups = args
        .providers
        .iter()
        .map(|p| format!("INT_SP_{p}"))
        .chain(args.contracts.iter().map(|c| format!("INT_CR_{c}")))
        .chain(args.regions.iter().map(|r| format!("INT_RG_{r}")))
        .collect();
    let claims = Claims {
        sub: args.sub,
        name: args.name,
        email: args.email,
        authorities: vec![role.authority().to_owned()],
        groups,
    };
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
    };
    let bar = ProgressBar::new(args.referrals).with_style(
        ProgressStyle::with_template(
            "{spinner} {msg:<12} [{bar:40}] {pos}/{len} referrals, {per_sec}, {elapsed_precise} (ETA {eta})",
        )?
        .progress_chars("=> "),
    );
    bar.set_message("loading");
    let summary = seed::synthetic(&Services::new(db), options, |progress| match progress {
        seed::SeedProgress::Referrals { written, .. } => bar.set_position(written),
        seed::SeedProgress::Step(step) => bar.set_message(step.to_owned()),
    })
    .await?;
    bar.finish_with_message("done");
    println!(
        "{} referrals ({} rows) with {} providers, {} contracts, {} delivery units and {} staff \
         in {:.1} s (seed {}, up to {})",
        summary.referrals,
        summary.rows,
        summary.providers,
        summary.contracts,
        summary.probation_delivery_units,
        summary.staff,
        summary.seconds,
        options.seed,
        options.as_of
    );
    if let Some(user) = summary.sample_provider_user {
        println!(
            "A caseworker of the busiest provider: {user} (its groups are in app_user.groups)"
        );
    }
    if let Some(user) = summary.sample_practitioner {
        println!("A practitioner: {user}");
    }
    Ok(())
}
