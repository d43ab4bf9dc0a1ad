//! The stages in order, as `cinelake demo` and `cinelake run` drive them: each stage
//! prints its own report, and the run ends with one line per stage and its time.

use std::future::Future;
use std::time::Instant;

use cinelake_ingest::Summary;
use cinelake_query::cli::DashboardReport;
use cinelake_refined::RefinedReport;
use cinelake_trusted::TableReport;
use cinelake_upload::{FileOutcome, UploadReport};

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

pub fn describe_trusted(reports: &[TableReport]) -> String {
    reports
        .iter()
        .map(|r| format!("{} {} rows ({} rejected)", r.table, r.rows_out, r.rejected))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn describe_refined(reports: &[RefinedReport]) -> String {
    let fact = reports
        .iter()
        .find(|r| r.table.rsplit('.').next() == Some("fact_film"))
        .map_or(0, |r| r.rows);
    format!("{} tables, fact_film {fact} films", reports.len())
}

pub fn describe_views(views: &[String]) -> String {
    format!("{} views: {}", views.len(), views.join(", "))
}

pub fn describe_dashboard(r: &DashboardReport) -> String {
    format!("{} ({:.1} MB)", r.path.display(), r.bytes as f64 / 1e6)
}
