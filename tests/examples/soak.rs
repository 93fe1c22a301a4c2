//! The soak binary that `cargo xtask soak` builds and runs: every primitive at once for a
//! while, then a report; the exit code is 0 only if there was no failure.
//!
//! `soak [--seconds N] [--seed S] [--threads T] [--quiesce-ms Q]` (T threads per workload, a
//! quiesce every Q ms, 0 for none); see `threading_tests::soak` for what is checked.

use std::process::ExitCode;
use std::time::Duration;

use threading_tests::soak::{self, Config};

const USAGE: &str = "usage: soak [--seconds N] [--seed S] [--threads T] [--quiesce-ms Q]";

fn parse(args: &[String]) -> Result<Config, String> {
    let mut config = Config::new(Duration::from_secs(60));
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = it.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?;
            v.parse().map_err(|e| format!("{name} {v}: {e}\n{USAGE}"))
        };
        match flag.as_str() {
            "--seconds" => config.duration = Duration::from_secs(value("--seconds")?),
            "--seed" => config.seed = value("--seed")?,
            "--threads" => {
                config.threads = usize::try_from(value("--threads")?).map_err(|e| e.to_string())?;
            }
            // 0: never quiesce (then "max wait" shows the primitives' raw starvation).
            "--quiesce-ms" => {
                config.quiesce_every =
                    Some(value("--quiesce-ms")?).filter(|&ms| ms > 0).map(Duration::from_millis);
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(config)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "soak: {:?}, seed {}, {} threads per workload ...",
        config.duration, config.seed, config.threads
    );
    let report = soak::run(config);
    print!("{report}");
    if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        // Threads stuck in a primitive may still be alive: exit without waiting for them.
        std::process::exit(1);
    }
}
