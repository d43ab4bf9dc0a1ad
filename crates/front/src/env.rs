//! Reads settings the way the CLI reads them. This is for the binaries that have no
//! command line (the Lambdas). It is also for `cinelake run`, which takes every stage's
//! settings from `.env`.

use clap::{Args, Parser};

#[derive(Parser)]
#[command(no_binary_name = true)]
struct FromEnv<T: Args> {
    #[command(flatten)]
    args: T,
}

/// Settings of type `T` from the environment and the given flags (flags win).
pub fn from_env<T: Args>(flags: &[&str]) -> Result<T, clap::Error> {
    Ok(FromEnv::<T>::try_parse_from(flags)?.args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, clap::Args)]
    struct Demo {
        #[arg(long, env = "CINELAKE_TEST_FRONT_A", default_value_t = 1)]
        a: u32,
        #[arg(long, default_value = "x")]
        b: String,
    }

    #[test]
    fn flags_win_and_bad_values_are_refused() {
        let d: Demo = from_env(&["--b", "y"]).unwrap();
        assert_eq!((d.a, d.b.as_str()), (1, "y"));
        let err = from_env::<Demo>(&["--a", "many"]).unwrap_err();
        assert!(err.to_string().contains("many"), "{err}");
    }
}
