//! Work shared out between one thread per core, results kept in input order.
//!
//! Polars parallelises inside one operation. The jobs also have independent pieces,
//! such as files, chunks of a file or columns of a row group. Each piece is worked on
//! by one thread.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Arc, Mutex};

/// The threads to use: one per core.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` over every item, on up to [`threads`] threads taking the next item as they free
/// up; the results come back in the order of `items`. A panic in `f` is raised here.
pub fn map_ordered<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads().min(items.len()))
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        for w in workers {
            let done = w.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            for (i, r) in done {
                slots[i] = Some(r);
            }
        }
    });
    // Every index below items.len() was taken by exactly one worker.
    slots.into_iter().flatten().collect()
}

/// `work` over each item `next` produces, on one thread per core. Each result is given
/// to `take` in the order the items came.
///
/// A thread takes the next item as soon as it is free. Waves of [`map_ordered`] would
/// wait for the slowest item of each wave. `next` runs on a thread of its own, and
/// `take` on the caller's. At any time, at most one item per core, and one more, are
/// between `next` and `take`. The one more is read while the cores work. This bounds
/// memory whatever the number of items.
///
/// Stops at the first error of `next` or of `take`, and returns it. Before an error of
/// `next` is returned, the items before it are taken. A panic in any of them is raised
/// here, once the threads have stopped.
pub fn pipeline<T: Send, R: Send, E: Send>(
    mut next: impl FnMut() -> Result<Option<T>, E> + Send,
    work: impl Fn(T) -> R + Sync,
    mut take: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    let workers = threads();
    let in_flight = workers + 1;
    std::thread::scope(|s| {
        let (item_tx, item_rx) = sync_channel::<(usize, T)>(workers);
        let item_rx = Arc::new(Mutex::new(item_rx));
        // A panic in `work` comes back as a result, so that the others are not left
        // waiting for an item that will never be taken.
        let (done_tx, done_rx) = channel::<(usize, std::thread::Result<R>)>();
        // A token per item allowed in flight; `take` hands one back per item taken.
        let (token_tx, token_rx) = sync_channel::<()>(in_flight);
        for _ in 0..in_flight {
            let _ = token_tx.send(());
        }
        for _ in 0..workers {
            let (item_rx, done_tx, work) = (item_rx.clone(), done_tx.clone(), &work);
            s.spawn(move || {
                loop {
                    // The lock is held only while waiting, never while working.
                    let item = item_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((i, item)) = item else { break };
                    let r = std::panic::catch_unwind(AssertUnwindSafe(|| work(item)));
                    if done_tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        // Only the workers hold these now: when they stop, the producer's sends fail.
        drop((item_rx, done_tx));
        let producer = s.spawn(move || {
            for i in 0.. {
                if token_rx.recv().is_err() {
                    break;
                }
                match next()? {
                    Some(item) => {
                        if item_tx.send((i, item)).is_err() {
                            break;
                        }
                    }
                    None => break,
                }
            }
            Ok(())
        });
        let taken = {
            let mut waiting = BTreeMap::new();
            let mut want = 0usize;
            let mut result = Ok(());
            let mut panicked = None;
            'results: for (i, r) in done_rx {
                waiting.insert(i, r);
                while let Some(r) = waiting.remove(&want) {
                    let r = match r {
                        Ok(r) => r,
                        Err(payload) => {
                            panicked = Some(payload);
                            break 'results;
                        }
                    };
                    if let Err(e) = take(r) {
                        result = Err(e);
                        break 'results;
                    }
                    want += 1;
                    let _ = token_tx.send(());
                }
            }
            // Dropping the receivers here (the loop owns done_rx) stops the workers and
            // the producer after an error of `take`.
            drop(token_tx);
            (result, panicked)
        };
        let produced = producer
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        if let (_, Some(payload)) = taken {
            std::panic::resume_unwind(payload);
        }
        taken.0.and(produced)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_input_order() {
        let items: Vec<u64> = (0..1000).collect();
        let out = map_ordered(&items, |&i| {
            if i % 7 == 0 {
                std::thread::sleep(std::time::Duration::from_micros(50));
            }
            i * 2
        });
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(map_ordered(&[] as &[u8], |_| 1).is_empty());
    }

    #[test]
    fn a_pipeline_takes_every_result_in_order() {
        let mut produced = 0u64;
        let mut taken = Vec::new();
        let r: Result<(), String> = pipeline(
            || {
                produced += 1;
                Ok((produced <= 500).then_some(produced))
            },
            |i| {
                if i % 7 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                i * 2
            },
            |r| {
                taken.push(r);
                Ok(())
            },
        );
        assert_eq!(r, Ok(()));
        assert_eq!(taken, (1..=500).map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn a_pipeline_holds_one_item_per_core_and_one_more() {
        let alive = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let mut n = 0;
        let r: Result<(), ()> = pipeline(
            || {
                n += 1;
                let now = alive.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                Ok((n <= 200).then_some(n))
            },
            |i| i,
            |_| {
                alive.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            },
        );
        assert_eq!(r, Ok(()));
        // The call of `next` that finds the end counts as one more.
        assert!(most.load(Ordering::SeqCst) <= threads() + 2, "{most:?}");
    }

    #[test]
    fn a_pipeline_stops_at_the_first_error() {
        // Of `next`: the items before it are taken, then its error returned.
        let mut n = 0;
        let mut taken = Vec::new();
        let r = pipeline(
            || {
                n += 1;
                if n == 50 {
                    Err(format!("read {n}"))
                } else {
                    Ok(Some(n))
                }
            },
            |i| i,
            |i| {
                taken.push(i);
                Ok(())
            },
        );
        assert_eq!(r, Err("read 50".to_string()));
        assert_eq!(taken, (1..50).collect::<Vec<_>>());
        // Of `take`: nothing after it is taken, and an endless producer stops.
        let mut m = 0u64;
        let mut after = 0;
        let r = pipeline(
            || {
                m += 1;
                Ok(Some(m))
            },
            |i| i,
            |i| {
                if i == 10 {
                    return Err(format!("write {i}"));
                }
                after += usize::from(i > 10);
                Ok(())
            },
        );
        assert_eq!(r, Err("write 10".to_string()));
        assert_eq!(after, 0);
    }

    #[test]
    #[should_panic(expected = "chunk 0")]
    fn a_panic_in_the_work_of_a_pipeline_reaches_the_caller() {
        // Item 0 panics while later items wait: the caller gets the panic, not a hang.
        let mut n = 0;
        let _: Result<(), ()> = pipeline(
            || {
                n += 1;
                Ok((n <= 100).then_some(n - 1))
            },
            |i| {
                if i == 0 {
                    panic!("chunk {i}");
                }
                i
            },
            |_| Ok(()),
        );
    }

    #[test]
    #[should_panic(expected = "item 3")]
    fn a_panic_reaches_the_caller() {
        map_ordered(&[1, 2, 3, 4], |&i| {
            if i == 3 {
                panic!("item {i}");
            }
            i
        });
    }
}
