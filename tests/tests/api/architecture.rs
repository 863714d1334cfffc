//! The dependency rule, checked: the inner layers never gain an IO or framework dependency, directly or not.

use std::process::Command;

/// The normal (non-dev) dependencies of `package`, transitively, as crate names.
fn dependencies_of(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn assert_free_of(package: &str, forbidden: &[&str]) {
    let dependencies = dependencies_of(package);
    assert!(
        dependencies.iter().any(|d| d == package),
        "cargo tree did not list {package}: {dependencies:?}"
    );
    let hits: Vec<&String> = dependencies
        .iter()
        .filter(|d| {
            forbidden.iter().any(|f| {
                d.as_str() == *f
                    || d.starts_with(&format!("{f}-"))
                    || d.starts_with(&format!("{f}_"))
            })
        })
        .collect();
    assert!(hits.is_empty(), "{package} must not depend on {hits:?}");
}

const IO_AND_FRAMEWORKS: &[&str] = &[
    "diesel",
    "actix",
    "tokio",
    "r2d2",
    "hyper",
    "libsqlite3-sys",
    "pq-sys",
    "serde",
    "serde_json",
    "env_logger",
];

#[test]
fn the_domain_depends_on_no_io_framework_serde_or_logging() {
    let mut forbidden = IO_AND_FRAMEWORKS.to_vec();
    forbidden.push("log");
    assert_free_of("domain", &forbidden);
}

#[test]
fn the_application_depends_on_no_io_or_framework_crate() {
    assert_free_of("application", IO_AND_FRAMEWORKS);
}
