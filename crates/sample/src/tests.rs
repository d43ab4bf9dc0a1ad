//! Tests of the sample files. They check that the files are deterministic for a seed
//! and have the real files' shape. They also check that the distributions are plausible
//! and that series end years follow start years.

use super::*;

fn generate(rows: u64, seed: u64) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let spec = SampleSpec {
        movies_rows: rows,
        series_rows: rows / 2,
        seed,
        crlf: true,
    };
    let [m, s] = write_dir(dir.path(), &spec).unwrap();
    assert_eq!(m.rows, rows);
    assert_eq!(s.rows, rows / 2);
    let movies = std::fs::read_to_string(&m.path).unwrap();
    let series = std::fs::read_to_string(&s.path).unwrap();
    assert_eq!(movies.len() as u64, m.bytes);
    (movies, series)
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = generate(2_000, 7);
    let b = generate(2_000, 7);
    let c = generate(2_000, 8);
    assert_eq!(a, b);
    assert_ne!(a.0, c.0);
}

#[test]
fn rows_have_the_real_shape() {
    let (movies, series) = generate(5_000, 1);
    for (text, header, fields) in [(&movies, MOVIES_HEADER, 15), (&series, SERIES_HEADER, 16)] {
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], header);
        assert_eq!(*lines.last().unwrap(), "", "file ends with a line end");
        let rows = &lines[1..lines.len() - 1];
        let mut ids = Vec::new();
        for row in rows {
            assert!(!row.contains('\n') && !row.contains('\r'));
            let f: Vec<&str> = row.split('|').collect();
            assert_eq!(f.len(), fields, "{row}");
            assert!(f[0].starts_with("tt") && f[0].len() >= 9, "{row}");
            ids.push(f[0]);
        }
        assert!(ids.windows(2).all(|w| w[0] <= w[1]), "sorted by id");
        let titles = {
            let mut d = ids.clone();
            d.dedup();
            d.len()
        };
        assert!(rows.len() > titles * 2, "several artist rows per title");
    }
}

#[test]
fn distributions_are_plausible() {
    let (movies, _) = generate(20_000, 3);
    let rows: Vec<Vec<&str>> = movies
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split('|').collect())
        .collect();
    let n = rows.len() as f64;
    let share =
        |pred: &dyn Fn(&Vec<&str>) -> bool| rows.iter().filter(|r| pred(r)).count() as f64 / n;
    let drama = share(&|r| r[5].split(',').any(|g| g == "Drama"));
    assert!((0.3..0.7).contains(&drama), "drama share {drama}");
    let recent = share(&|r| r[3].parse::<u32>().is_ok_and(|y| y >= 2000));
    assert!((0.4..0.75).contains(&recent), "21st-century share {recent}");
    let null_runtime = share(&|r| r[4] == "\\N");
    assert!(
        (0.1..0.4).contains(&null_runtime),
        "null runtime share {null_runtime}"
    );
    assert!(share(&|r| r[9] == "\\N") > 0.2, "characters are often null");
    assert!(share(&|r| r[13].contains(',')) > 0.2, "profession lists");
    assert!(share(&|r| r[14].contains(',')) > 0.3, "known-for lists");
    let ratings: Vec<f64> = rows.iter().map(|r| r[6].parse().unwrap()).collect();
    assert!(ratings.iter().all(|r| (1.0..=10.0).contains(r)));
    let mean = ratings.iter().sum::<f64>() / n;
    assert!((5.5..7.0).contains(&mean), "mean rating {mean}");
    let votes: Vec<u64> = rows.iter().map(|r| r[7].parse().unwrap()).collect();
    assert!(votes.iter().all(|v| *v >= 5));
    assert!(votes.iter().any(|v| *v > 10_000), "a heavy tail of votes");
    for awkward in ["'", ", ", "|\""] {
        assert!(movies.contains(awkward), "titles hold {awkward:?}");
    }
}

#[test]
fn series_end_years_follow_start_years() {
    let (_, series) = generate(4_000, 5);
    let mut ended = 0;
    for row in series.split("\r\n").skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = row.split('|').collect();
        if let (Ok(start), Ok(end)) = (f[3].parse::<u32>(), f[4].parse::<u32>()) {
            assert!(end >= start, "{row}");
            ended += 1;
        }
    }
    assert!(ended > 100);
}
