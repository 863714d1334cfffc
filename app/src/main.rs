//! `ordersvc`: read the configuration, set up logging, build the application and serve until stopped.

use std::process::ExitCode;

use app::{Application, Config};

fn main() -> ExitCode {
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
    app::logging::init(config.log_format);
    let served = actix_web::rt::System::new().block_on(async {
        let application = Application::build(&config)?;
        application.run_until_stopped().await?;
        anyhow::Ok(())
    });
    match served {
        Ok(()) => {
            log::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
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
