//! Start-up and shutdown: the composition root wires adapters to the core, then serves until a signal.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::HttpServer;
use actix_web::dev::{Server, ServerHandle};
use adapters::persistence::Database;
use adapters::system::{SystemClock, UuidV7Generator};
use anyhow::Context;
use application::{CoreOrderService, LoggingService, OrderService};

use crate::Config;

/// A built service: database migrated, socket bound, not yet serving.
pub struct Application {
    server: Server,
    port: u16,
}

impl Application {
    /// Connects to and migrates the database, wires the service and binds the listener (port 0 picks a free port).
    ///
    /// # Errors
    /// When the database cannot be reached or migrated, or the address cannot be bound.
    pub fn build(config: &Config) -> anyhow::Result<Self> {
        let database = Database::connect(&config.database_url, &config.pool_options())?;
        log::info!(
            "database ready: {} (pool of {})",
            database.backend(),
            config.db_pool_size
        );
        let service = wire(&database);
        let listener = TcpListener::bind(config.http_addr)
            .with_context(|| format!("cannot listen on {}", config.http_addr))?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || adapters::http::app(Arc::clone(&service)))
            .disable_signals()
            .shutdown_timeout(config.shutdown_timeout_secs);
        if let Some(workers) = config.http_workers {
            server = server.workers(usize::from(workers));
        }
        let server = server.listen(listener)?.run();
        log::info!("listening on {}:{port}", config.http_addr.ip());
        Ok(Self { server, port })
    }

    /// The port the service listens on.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (gracefully with `stop(true)`).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish and returns.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        actix_web::rt::spawn(async move {
            let signal = shutdown_signal().await;
            log::info!("{signal} received: finishing in-flight requests, then exiting");
            handle.stop(true).await;
        });
        self.run().await
    }

    /// Serves until stopped through [`Application::handle`]; installs no signal handler (for embedding and tests).
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The composition root: Go kit's `main.go` wiring, as decorators around the core.
fn wire(database: &Database) -> Arc<dyn OrderService> {
    let core = CoreOrderService::new(database.repository(), SystemClock, UuidV7Generator);
    Arc::new(LoggingService::new(core))
}

/// Waits for SIGTERM or SIGINT and names it. actix's own handling would force-stop on SIGINT; both drain here.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                log::error!("cannot install signal handlers; stop the process with SIGKILL");
                std::future::pending().await
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
