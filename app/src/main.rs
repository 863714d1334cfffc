//! `ordersvc`: read the configuration, set up logging, build the application and serve until stopped.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use adapters::inbound::{mint, read_hs256_secret};
use adapters::telemetry::Tracing;
use app::{Application, Command as Subcommand, Config, TokenArgs};

/// How many malloc arenas glibc may make, unless the environment already says.
const MALLOC_ARENA_MAX: (&str, &str) = ("MALLOC_ARENA_MAX", "2");

fn main() -> ExitCode {
    bound_malloc_arenas();
    let config = match Config::from_env_and_args() {
        Ok(config) => config,
        Err(error) if !error.use_stderr() => error.exit(), // --help, --version
        Err(error) => {
            let message = error.to_string();
            let first_line = message.lines().next().unwrap_or("invalid configuration");
            eprintln!("ordersvc: {}", first_line.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    if let Some(Subcommand::Token(args)) = &config.command {
        return token(&config, args);
    }
    // A listener other hosts can reach, without keys, is refused before anything starts.
    if let Err(line) = config.authentication() {
        eprintln!("ordersvc: {line}");
        return ExitCode::from(2);
    }
    let logs = app::logging::init(config.log_format);
    let flush_logs = || logs.iter().for_each(app::logging::LogFlusher::flush);
    // Before the runtime starts: the exporter's blocking HTTP client runs a runtime of its own.
    let tracing = match Tracing::from_env() {
        Ok(tracing) => tracing,
        Err(error) => {
            let cause = std::error::Error::source(&error)
                .map_or_else(String::new, |cause| format!(": {cause}"));
            eprintln!("ordersvc: {error}{cause}");
            flush_logs();
            return ExitCode::from(2);
        }
    };
    match &tracing {
        Some(tracing) => log::info!(
            "tracing on: spans go to {} as {} (OTEL_* settings)",
            tracing.endpoint(),
            tracing.protocol()
        ),
        None => log::info!("tracing off (OTEL_EXPORTER_OTLP_ENDPOINT is unset)"),
    }
    let served = actix_web::rt::System::new().block_on(async {
        let application = Application::build(&config)?;
        application.run_until_stopped().await?;
        anyhow::Ok(())
    });
    // After the runtime stopped, for the same reason: the last spans are sent before the process exits.
    if let Some(tracing) = tracing {
        tracing.shutdown();
    }
    match served {
        Ok(()) => {
            log::info!("stopped");
            flush_logs();
            ExitCode::SUCCESS
        }
        Err(error) => {
            flush_logs();
            // One line, whatever the driver's message looks like (libpq's span several).
            let chain = format!("{error:#}");
            eprintln!(
                "ordersvc: {}",
                chain.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            ExitCode::FAILURE
        }
    }
}

/// `ordersvc token`: prints a token signed with the configured HS256 secret, for the configured issuer and audience.
fn token(config: &Config, args: &TokenArgs) -> ExitCode {
    let minted = config.auth_settings().and_then(|settings| {
        let settings = settings.ok_or(
            "ordersvc token needs AUTH_HS256_SECRET_FILE, AUTH_ISSUER and AUTH_AUDIENCE (or their flags)",
        )?;
        let file = settings
            .hs256_secret_file
            .as_deref()
            .ok_or("ordersvc token signs with the HS256 secret: set AUTH_HS256_SECRET_FILE")?;
        let secret = read_hs256_secret(file).map_err(|error| error.to_string())?;
        mint(&secret, &settings, args.role.into(), &args.sub, args.ttl)
    });
    match minted {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ordersvc: {error}");
            ExitCode::from(2)
        }
    }
}

/// glibc gives a thread that meets contention in malloc an arena of its own, up to eight per core, and each arena
/// keeps the memory freed into it. With a thread per database connection, that held 1.8 MiB of the 16 MiB the
/// benchmark measured at 64 connections; two arenas measured no slower (each thread's own cache serves most small
/// allocations without a lock). glibc reads the limit only when the process starts, so when the environment does
/// not set it, the process starts once more, in place (same pid, same arguments), with it set. If that fails, it
/// carries on with glibc's default; on another C library the variable means nothing.
fn bound_malloc_arenas() {
    let (name, value) = MALLOC_ARENA_MAX;
    if std::env::var_os(name).is_some() {
        return;
    }
    // The executable's own path, not /proc/self/exe: the process keeps its name (`ps`, `pkill ordersvc`).
    let Ok(executable) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut command = Command::new(executable);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    // `exec` returns only when it failed.
    let _failed = command.args(args).env(name, value).exec();
}
