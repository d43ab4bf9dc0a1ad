//! The stages in order, as `cinelake demo` and `cinelake run` drive them.
//!
//! Each stage prints its own report. The run ends with one line per stage and its
//! time.

use std::future::Future;
use std::time::Instant;

use cinelake_catalog::Table;
use cinelake_ingest::Summary;
use cinelake_ingest::cli::IngestArgs;
use cinelake_query::cli::{DashboardArgs, ViewsArgs};
use cinelake_query::dashboard::DashboardReport;
use cinelake_refined::RefinedRun;
use cinelake_refined::cli::RefinedArgs;
use cinelake_tmdb::Credentials;
use cinelake_trusted::TableReport;
use cinelake_trusted::cli::TrustedArgs;
use cinelake_upload::cli::UploadArgs;
use cinelake_upload::{FileOutcome, UploadReport};

/// Every stage's options, for one run of the whole pipeline.
pub struct Stages {
    /// `None` leaves Raw's CSV files as they are.
    pub upload: Option<UploadArgs>,
    pub ingest: IngestArgs,
    /// `None`: from the environment or SSM, as `cinelake ingest` finds them.
    pub tmdb_credentials: Option<Credentials>,
    pub trusted: TrustedArgs,
    pub refined: RefinedArgs,
    pub views: ViewsArgs,
    /// `None` writes no dashboard.
    pub dashboard: Option<DashboardArgs>,
}

impl Stages {
    /// Runs the stages in order; the first failure stops the run (what earlier stages
    /// stored stays).
    pub async fn run(self, steps: &mut Steps) -> anyhow::Result<()> {
        if let Some(upload) = &self.upload {
            steps
                .step(
                    "1 upload",
                    cinelake_upload::cli::execute(upload),
                    describe_upload,
                )
                .await?;
        }
        let ingest = async {
            match self.tmdb_credentials {
                Some(c) => cinelake_ingest::cli::execute_with(&self.ingest, c).await,
                None => cinelake_ingest::cli::execute(&self.ingest).await,
            }
        };
        let summary = steps.step("2 tmdb-ingest", ingest, describe_ingest).await?;
        if summary.remaining > 0 {
            println!(
                "note: {} films remain for TMDB; the next run fetches them (trusted takes what Raw holds now)",
                summary.remaining
            );
        }
        steps
            .step(
                "3 trusted",
                cinelake_trusted::cli::execute(&self.trusted),
                |r| describe_trusted(r),
            )
            .await?;
        steps
            .step(
                "4 refined",
                cinelake_refined::cli::execute(&self.refined),
                describe_refined,
            )
            .await?;
        steps
            .step("views", cinelake_query::cli::views(&self.views), |v| {
                describe_views(v)
            })
            .await?;
        if let Some(board) = &self.dashboard {
            steps
                .step(
                    "dashboard",
                    cinelake_query::cli::dashboard(board),
                    describe_dashboard,
                )
                .await?;
        }
        Ok(())
    }
}

pub struct Steps {
    done: Vec<(String, String, f64)>,
}

impl Steps {
    pub fn new() -> Self {
        Steps { done: Vec::new() }
    }

    /// Runs one stage under a heading and remembers what it did.
    pub async fn step<T, F>(
        &mut self,
        name: &str,
        work: F,
        describe: impl Fn(&T) -> String,
    ) -> anyhow::Result<T>
    where
        F: Future<Output = anyhow::Result<T>>,
    {
        println!("\n== {name}");
        let started = Instant::now();
        // Boxed: the stages' futures nest too deep for the compiler's layout otherwise.
        let out = Box::pin(work)
            .await
            .map_err(|e| e.context(format!("stage {name} failed")))?;
        self.done.push((
            name.to_string(),
            describe(&out),
            started.elapsed().as_secs_f64(),
        ));
        Ok(out)
    }

    pub fn print_summary(&self) {
        println!("\n== what each stage did");
        let width = self.done.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
        for (name, what, secs) in &self.done {
            println!("{name:<width$}  {secs:>6.1} s  {what}");
        }
    }
}

pub fn describe_upload(r: &UploadReport) -> String {
    r.files
        .iter()
        .map(|f| {
            let how = match f.outcome {
                FileOutcome::Uploaded { .. } => "uploaded",
                FileOutcome::AlreadyPresent => "already in Raw",
                FileOutcome::DryRun => "checked only",
            };
            format!("{} {} rows {how}", f.kind, f.data_rows)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn describe_ingest(s: &Summary) -> String {
    match &s.busy_holder {
        Some(holder) => format!("skipped: run {holder} holds the lease"),
        None => format!(
            "{} films selected: {} fetched, {} not on TMDB, {} failed, {} remaining ({} requests)",
            s.selected, s.fetched, s.not_found, s.failed, s.remaining, s.requests
        ),
    }
}

/// Each table or collection converted, then the collections left unchanged counted per
/// table (after a year of monthly runs, listing them would fill the line).
pub fn describe_trusted(reports: &[TableReport]) -> String {
    let mut parts: Vec<String> = reports
        .iter()
        .filter(|r| !r.unchanged)
        .map(|r| format!("{} {} rows ({} rejected)", r.table, r.rows_out, r.rejected))
        .collect();
    let mut unchanged: Vec<(&str, usize)> = Vec::new();
    for r in reports.iter().filter(|r| r.unchanged) {
        let table = r.table.split(' ').next().unwrap_or(&r.table);
        match unchanged.iter_mut().find(|(t, _)| *t == table) {
            Some((_, n)) => *n += 1,
            None => unchanged.push((table, 1)),
        }
    }
    for (table, n) in unchanged {
        let what = if n == 1 { "collection" } else { "collections" };
        parts.push(format!("{table} {n} {what} unchanged (not read)"));
    }
    parts.join(", ")
}

pub fn describe_refined(run: &RefinedRun) -> String {
    let fact = run
        .tables
        .iter()
        .find(|r| r.table.rsplit('.').next() == Some(Table::FactFilm.name()))
        .map_or(0, |r| r.rows);
    format!(
        "{} tables, fact_film {fact} films ({} left out by the rule)",
        run.tables.len(),
        run.set_aside.films_left_out
    )
}

pub fn describe_views(views: &[String]) -> String {
    format!("{} views: {}", views.len(), views.join(", "))
}

pub fn describe_dashboard(r: &DashboardReport) -> String {
    format!("{} ({:.1} MB)", r.path.display(), r.bytes as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(table: &str, rows_out: u64, unchanged: bool) -> TableReport {
        TableReport {
            table: table.to_string(),
            source: vec![],
            rows_in: rows_out,
            rows_out,
            rejected: 0,
            nulled: 0,
            location: String::new(),
            rejects_key: None,
            unchanged,
            rows_from: None,
        }
    }

    #[test]
    fn trusted_lists_what_it_converted_and_counts_what_it_left() {
        let reports = [
            report("t.movies", 10, false),
            report("t.tmdb_movies dt=2026-01-01", 0, true),
            report("t.tmdb_movies dt=2026-02-01", 0, true),
            report("t.tmdb_movies dt=2026-03-01", 4, false),
        ];
        assert_eq!(
            describe_trusted(&reports),
            "t.movies 10 rows (0 rejected), t.tmdb_movies dt=2026-03-01 4 rows (0 rejected), \
             t.tmdb_movies 2 collections unchanged (not read)"
        );
    }
}
