//! `nexus`: the manager from the command line, for cron and shell scripts.
//!
//! ```text
//! nexus sync    [--config nexus.toml] [--database URL] [--store NAME]... [--json] [--quiet]
//! nexus check   [--config nexus.toml] [--store NAME]... [--json]
//! nexus health  [--config nexus.toml] [--json]
//! nexus alerts  [--config nexus.toml] [--json]
//! nexus stores  [--config nexus.toml]
//! ```
//!
//! `sync` prints progress on stderr and the report on stdout; the exit status is 0 when
//! every store synced, 1 when one failed, 2 for a usage or configuration error. Credentials
//! come from the environment variables the file names (`env:NAME`).

use std::process::ExitCode;
use std::sync::Arc;

use nexus_core::manager::{Manager, ManagerOptions};

struct Args {
    command: String,
    config: String,
    database: Option<String>,
    stores: Vec<String>,
    json: bool,
    quiet: bool,
}

const USAGE: &str = "usage: nexus <sync|check|health|alerts|stores> [--config FILE] [--database URL] [--store NAME]... [--json] [--quiet]";

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or_else(|| USAGE.to_owned())?;
    if command == "--help" || command == "-h" {
        return Err(USAGE.to_owned());
    }
    let mut a = Args {
        command,
        config: "nexus.toml".into(),
        database: None,
        stores: vec![],
        json: false,
        quiet: false,
    };
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--config" | "-c" => a.config = value("--config")?,
            "--database" | "-d" => a.database = Some(value("--database")?),
            "--store" | "-s" => a.stores.push(value("--store")?),
            "--json" => a.json = true,
            "--quiet" | "-q" => a.quiet = true,
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    Ok(a)
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

async fn run(a: Args) -> Result<bool, nexus_core::Error> {
    let manager = Manager::from_toml(
        &a.config,
        ManagerOptions {
            database: a.database.clone(),
            ..ManagerOptions::default()
        },
    )
    .await?;
    let stores: Vec<&str> = a.stores.iter().map(String::as_str).collect();
    let some = (!stores.is_empty()).then_some(stores.as_slice());
    match a.command.as_str() {
        "sync" => {
            let quiet = a.quiet;
            let progress: Arc<dyn Fn(&nexus_core::sync::Progress) + Send + Sync> =
                Arc::new(move |p| {
                    if !quiet {
                        eprintln!(
                            "{} {} page {} fetched {}{} written {} quarantined {}{}",
                            p.store,
                            p.entity.plural(),
                            p.pages,
                            p.fetched,
                            p.total.map(|t| format!("/{t}")).unwrap_or_default(),
                            p.written,
                            p.quarantined,
                            if p.done { " done" } else { "" }
                        );
                    }
                });
            let report = manager.sync(some, Some(progress)).await?;
            if a.json {
                println!("{}", json(&report));
            } else {
                print!("{}", report.to_text());
            }
            Ok(report.ok())
        }
        "check" => {
            let results = manager.check(some).await?;
            if a.json {
                println!("{}", json(&results));
            } else {
                for r in &results {
                    match &r.error {
                        None => println!("{:<20} ok ({:.2}s)", r.store, r.seconds),
                        Some(e) => println!("{:<20} FAILED {}: {}", r.store, e.code, e.message),
                    }
                }
            }
            Ok(results.iter().all(|r| r.ok))
        }
        "health" => {
            let h = manager.health().await?;
            if a.json {
                println!("{}", json(&h));
            } else {
                for s in &h.stores {
                    println!(
                        "{:<20} {:<9} quality {} quarantine {} {}",
                        s.store,
                        format!("{:?}", s.status).to_lowercase(),
                        s.quality_grade.as_deref().unwrap_or("-"),
                        s.quarantined,
                        s.reasons.join("; ")
                    );
                }
            }
            Ok(h.status != nexus_core::health::Status::Failing)
        }
        "alerts" => {
            let alerts = manager.alerts().await?;
            if a.json {
                println!("{}", json(&alerts));
            } else {
                for al in &alerts {
                    println!("{:?} {} {}: {}", al.severity, al.store, al.rule, al.message);
                }
            }
            Ok(alerts.is_empty())
        }
        "stores" => {
            for s in manager.stores() {
                println!("{:<20} {:<12} {}", s.name, s.platform.as_str(), s.url);
            }
            Ok(true)
        }
        other => Err(nexus_core::Error::InvalidArgument {
            name: "command",
            message: format!("unknown command {other:?}; {USAGE}"),
        }),
    }
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nexus: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("nexus: {e}");
            ExitCode::from(2)
        }
    }
}
