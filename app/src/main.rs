//! `ordersvc`: read the configuration, set up logging, build the application and serve until stopped.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use adapters::inbound::{mint, read_hs256_secret};
use adapters::telemetry::Tracing;
use app::{Application, Command as Subcommand, Config, TokenArgs};

/// How glibc's malloc is tuned, unless the environment already says: how many arenas it may make, and a fixed size
/// from which an allocation is mapped of its own (see [`tune_malloc`]).
const MALLOC_SETTINGS: [(&str, &str); 2] = [
    ("MALLOC_ARENA_MAX", "2"),
    ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072"),
];

fn main() -> ExitCode {
    tune_malloc();
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

/// Two settings of glibc's malloc:
/// - glibc gives a thread that meets contention in malloc an arena of its own, up to eight per core, and each arena
///   keeps the memory freed into it. With a thread per database connection, that held 1.8 MiB of the 16 MiB the
///   benchmark measured at 64 connections; two arenas measured no slower (each thread's own cache serves most small
///   allocations without a lock).
/// - An allocation of 128 KiB or more (a large page of orders is a buffer of about 240 KiB) is mapped of its own and
///   given back to the system when freed. glibc's default raises that threshold each time such a block is freed, so
///   after the first large page those buffers came from the heap and stayed resident: after a burst of the largest
///   pages, `bench/memory.py` found 15 MiB more resident than before it on SQLite, 11 MiB with the threshold fixed.
///
/// glibc reads both only when the process starts, so when the environment lacks one, the process starts once more,
/// in place (same pid, same arguments), with it set; a variable the environment has is left as it is (a
/// `GLIBC_TUNABLES` of the operator's own replaces this one). If that fails, it carries on with glibc's defaults; on
/// another C library the variables mean nothing.
fn tune_malloc() {
    let missing: Vec<(&str, &str)> = MALLOC_SETTINGS
        .into_iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    // The second start finds them all set.
    if missing.is_empty() {
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
    let _failed = command.args(args).envs(missing).exec();
}
