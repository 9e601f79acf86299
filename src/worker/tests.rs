//! The reactor natively, as the page drives it: requests in through a stand-in for gloo's
//! scope, replies out, on the CPU backend and a toy dataset.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Context;

use futures::channel::mpsc;
use futures::task::{ArcWake, waker_ref};
use gloo_worker::reactor::{ReactorScope, ReactorScoped};
use lab_engine::weights;
use lab_spec::backend_plan::plan;
use lab_spec::tuning::{Algorithm, SearchEvent, TunerConfig};
use lab_spec::worker::{BackendChoice, BenchModel, DataSource, Reply, Request, WhichWeights};
use lab_spec::{
    Event, ModelCheckpointConfig, ModelSpec, Normalization, StopReason, TrainingConfig,
};

use super::data::tests::{files, toy};
use super::serve;

/// Remembers that the reactor asked to be polled again.
#[derive(Default)]
struct Woken(AtomicBool);

impl ArcWake for Woken {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.store(true, Ordering::SeqCst);
    }
}

/// The page's end: sends requests, polls the reactor as the worker's event loop would, and
/// collects the replies.
struct Page {
    reactor: Pin<Box<dyn Future<Output = ()>>>,
    woken: Arc<Woken>,
    requests: mpsc::UnboundedSender<Request>,
    replies: mpsc::UnboundedReceiver<Reply>,
}

impl Page {
    fn connect() -> Self {
        let (requests, incoming) = mpsc::unbounded();
        let (outgoing, replies) = mpsc::unbounded::<Reply>();
        let to_page = futures::sink::unfold(outgoing, |tx, reply| async move {
            let _ = tx.unbounded_send(reply);
            Ok::<_, Infallible>(tx)
        });
        let scope = ReactorScope::new(incoming, to_page);
        Self {
            reactor: Box::pin(serve(scope)),
            woken: Arc::default(),
            requests,
            replies,
        }
    }

    /// Polls the reactor once (a job computes until it yields); true if it wants more.
    fn step(&mut self) -> bool {
        self.woken.0.store(false, Ordering::SeqCst);
        let waker = waker_ref(&self.woken);
        let done = self
            .reactor
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready();
        !done && self.woken.0.load(Ordering::SeqCst)
    }

    /// Polls until the reactor waits for the next request.
    fn run_until_idle(&mut self) {
        while self.step() {}
    }

    fn send(&self, request: Request) {
        self.requests
            .unbounded_send(request)
            .expect("the reactor listens");
    }

    fn received(&mut self) -> Vec<Reply> {
        std::iter::from_fn(|| self.replies.try_recv().ok()).collect()
    }

    /// Sends `request` and returns every reply until the worker is idle.
    fn ask(&mut self, request: Request) -> Vec<Reply> {
        self.send(request);
        self.run_until_idle();
        self.received()
    }

    /// A worker on the CPU with a toy dataset loaded.
    fn ready() -> Self {
        let mut page = Self::connect();
        page.ask(Request::Init {
            plan: plan(BackendChoice::Cpu, None),
        });
        let source = DataSource::Files(
            files(&toy(30), &toy(10))
                .into_iter()
                .map(serde_bytes::ByteBuf::from)
                .collect(),
        );
        let replies = page.ask(Request::LoadData { source });
        assert!(matches!(replies[..], [Reply::DataReady(_)]), "{replies:?}");
        page
    }
}

fn small_run(epochs: usize) -> TrainingConfig {
    let mut config = TrainingConfig::new(ModelSpec::baseline());
    config.batch_size = 16;
    config.epochs = epochs;
    config
}

fn run_events(replies: &[Reply], id: u32) -> Vec<&Event> {
    replies
        .iter()
        .filter_map(|r| match r {
            Reply::Run { run, event } if *run == id => Some(event),
            _ => None,
        })
        .collect()
}

#[test]
fn the_worker_starts_and_loads_the_data() {
    let mut page = Page::connect();
    // What the page plans in a browser without WebGPU.
    let without_webgpu = plan(BackendChoice::Auto, Some(Err("no navigator.gpu".into())));
    let replies = page.ask(Request::Init {
        plan: without_webgpu,
    });
    assert_eq!(
        replies,
        vec![
            Reply::Alive,
            Reply::Ready {
                backend: "cpu".into(),
                adapter: None,
                note: Some("WebGPU unavailable: no navigator.gpu; training on the CPU".into()),
            }
        ]
    );
    assert_eq!(
        page.ask(Request::Train {
            run: 1,
            config: small_run(1)
        }),
        vec![Reply::RunFailed {
            run: 1,
            message: "the data is not loaded yet".into()
        }]
    );
    assert!(matches!(
        &page.ask(Request::LoadData {
            source: DataSource::Files(Vec::new())
        })[..],
        [Reply::DataFailed { message }] if message.starts_with("pick the four files")
    ));
    // Nothing to preview before the data is there.
    assert!(
        page.ask(Request::Preview {
            index: 0,
            normalization: Normalization::Scale
        })
        .is_empty()
    );
}

#[test]
fn a_run_streams_its_events_then_its_test_report_and_keeps_its_drill_downs() {
    let mut page = Page::ready();
    let mut config = small_run(2);
    config.callbacks.model_checkpoint = Some(ModelCheckpointConfig::default());
    let replies = page.ask(Request::Train { run: 4, config });
    let events = run_events(&replies, 4);
    assert!(matches!(
        events.first(),
        Some(Event::Started { epochs: 2, .. })
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Finished(s) if s.reason == StopReason::Completed))
    );
    assert!(
        matches!(events.last(), Some(Event::Evaluated(r)) if r.confusion_matrix.iter().flatten().sum::<usize>() == 100)
    );
    assert_eq!(events.len(), replies.len(), "only run events: {replies:?}");

    let replies = page.ask(Request::EvaluateCheckpoint { run: 4 });
    assert!(
        matches!(replies[..], [Reply::Checkpoint { run: 4, .. }]),
        "{replies:?}"
    );
    let replies = page.ask(Request::Misclassified {
        run: 4,
        actual: 3,
        predicted: 5,
    });
    assert!(
        matches!(&replies[..], [Reply::Images { run: 4, actual: 3, predicted: 5, images, .. }] if images.len() <= 10),
        "{replies:?}"
    );
    let replies = page.ask(Request::Preview {
        index: 7,
        normalization: Normalization::Standardize,
    });
    assert!(
        matches!(&replies[..], [Reply::Preview { raw, normalized }] if raw.len() == normalized.len())
    );

    let mut without = small_run(1);
    without.validation_split = 0.0;
    page.ask(Request::Train {
        run: 5,
        config: without,
    });
    assert_eq!(
        page.ask(Request::EvaluateCheckpoint { run: 5 }),
        vec![Reply::RunFailed {
            run: 5,
            message: "this run kept no checkpoint (turn ModelCheckpoint on)".into()
        }]
    );
    assert_eq!(
        page.ask(Request::EvaluateCheckpoint { run: 9 }),
        vec![Reply::RunFailed {
            run: 9,
            message: "no finished run with that number".into()
        }]
    );
}

#[test]
fn an_invalid_run_or_search_fails_with_its_field_named() {
    let mut page = Page::ready();
    let mut config = small_run(1);
    config.batch_size = 0;
    let replies = page.ask(Request::Train { run: 2, config });
    assert!(
        matches!(&replies[..], [Reply::RunFailed { run: 2, message }] if message.starts_with("invalid config: ") && message.contains("batch_size")),
        "{replies:?}"
    );
    let mut search = TunerConfig::seed_004();
    search.batch_size = 0;
    let replies = page.ask(Request::Tune {
        search: 3,
        config: search,
    });
    assert!(
        matches!(&replies[..], [Reply::SearchFailed { search: 3, message }] if message.starts_with("invalid search: ")),
        "{replies:?}"
    );
}

#[test]
fn a_search_streams_search_events() {
    let mut page = Page::ready();
    let mut config = TunerConfig::seed_004();
    config.algorithm = Algorithm::RandomSearch {
        max_trials: 2,
        epochs: 1,
    };
    config.batch_size = 32;
    let replies = page.ask(Request::Tune { search: 6, config });
    let events: Vec<&SearchEvent> = replies
        .iter()
        .map(|r| match r {
            Reply::Search { search: 6, event } => event,
            other => panic!("not a search event: {other:?}"),
        })
        .collect();
    assert!(matches!(events.first(), Some(SearchEvent::TrialStarted(_))));
    assert!(matches!(events.last(), Some(SearchEvent::SearchFinished(s)) if s.trials == 2));
}

#[test]
fn stop_ends_a_run_between_batches_while_it_trains() {
    let mut page = Page::ready();
    page.send(Request::Train {
        run: 8,
        config: small_run(1000),
    });
    // Let the run train until it yields to the event loop, with some batches reported.
    let mut replies = Vec::new();
    while !replies.iter().any(|r| {
        matches!(
            r,
            Reply::Run {
                event: Event::Batch(_),
                ..
            }
        )
    }) {
        assert!(page.step(), "the run ended before a batch was reported");
        replies.extend(page.received());
    }
    page.send(Request::Stop);
    page.run_until_idle();
    replies.extend(page.received());
    let finished = run_events(&replies, 8)
        .into_iter()
        .find_map(|e| match e {
            Event::Finished(summary) => Some(summary.clone()),
            _ => None,
        })
        .expect("the run finished");
    assert_eq!(finished.reason, StopReason::UserStop);
    assert!(finished.stopped_epoch < 1000);
    assert!(matches!(
        run_events(&replies, 8).last(),
        Some(Event::Evaluated(_))
    ));

    // The next run starts with the flag lowered.
    let replies = page.ask(Request::Train {
        run: 9,
        config: small_run(1),
    });
    assert!(
        run_events(&replies, 9)
            .iter()
            .any(|e| matches!(e, Event::Finished(s) if s.reason == StopReason::Completed))
    );
}

#[test]
fn a_benchmark_reports_the_cpu_backend_it_ran_on() {
    let mut page = Page::ready();
    let replies = page.ask(Request::Bench {
        model: BenchModel::Mlp,
        batch: 8,
        steps: 3,
    });
    assert!(
        matches!(&replies[..], [Reply::Bench(b)] if b.backend == "cpu (ndarray)" && b.batch == 8 && b.location == "browser"),
        "{replies:?}"
    );
}

/// The summary of run `id`'s `Finished` event.
fn finished(replies: &[Reply], id: u32) -> lab_spec::RunSummary {
    run_events(replies, id)
        .into_iter()
        .find_map(|e| match e {
            Event::Finished(summary) => Some(summary.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("run {id} did not finish: {replies:?}"))
}

#[test]
fn a_stop_sent_right_after_train_stops_that_run_before_its_job_gets_going() {
    let mut page = Page::ready();
    // Both arrive before the run's job is first polled (on WebGPU it would still be waiting
    // for the warm-up then): the Stop is for this run.
    page.send(Request::Train {
        run: 3,
        config: small_run(3),
    });
    page.send(Request::Stop);
    page.run_until_idle();
    let replies = page.received();
    let summary = finished(&replies, 3);
    assert_eq!(summary.reason, StopReason::UserStop);
    assert!(summary.stopped_epoch <= 1, "{summary:?}");
    assert!(matches!(
        run_events(&replies, 3).last(),
        Some(Event::Evaluated(_))
    ));

    // A Stop sent before a run (nothing was running) is not for the next one.
    page.ask(Request::Stop);
    let replies = page.ask(Request::Train {
        run: 4,
        config: small_run(2),
    });
    let summary = finished(&replies, 4);
    assert_eq!(
        (summary.reason, summary.stopped_epoch),
        (StopReason::Completed, 2)
    );
}

#[test]
fn a_stop_sent_right_after_a_search_ends_it_before_its_first_trial() {
    let mut page = Page::ready();
    let mut config = TunerConfig::seed_004();
    config.algorithm = Algorithm::RandomSearch {
        max_trials: 3,
        epochs: 2,
    };
    config.batch_size = 32;
    page.send(Request::Tune { search: 5, config });
    page.send(Request::Stop);
    page.run_until_idle();
    let replies = page.received();
    assert!(
        matches!(
            &replies[..],
            [Reply::Search { search: 5, event: SearchEvent::SearchFinished(s) }]
                if s.reason == "stopped" && s.epochs_trained == 0
        ),
        "{replies:?}"
    );
}

#[test]
fn the_oldest_checkpoints_are_dropped_and_asking_for_one_says_so() {
    let mut page = Page::ready();
    let runs = super::run_store::WEIGHTS_RUNS as u32 + 1;
    for run in 1..=runs {
        let mut config = small_run(1);
        config.callbacks.model_checkpoint = Some(ModelCheckpointConfig::default());
        let replies = page.ask(Request::Train { run, config });
        assert!(
            matches!(run_events(&replies, run).last(), Some(Event::Evaluated(_))),
            "{replies:?}"
        );
    }
    // The first run's checkpoint made room for the newest's; its predictions are kept.
    let replies = page.ask(Request::EvaluateCheckpoint { run: 1 });
    assert!(
        matches!(&replies[..], [Reply::RunFailed { run: 1, message }]
            if message.starts_with("this run's best checkpoint is no longer kept: the lab keeps the best checkpoints of the newest 20 runs (256 MB at most)")),
        "{replies:?}"
    );
    assert!(matches!(
        page.ask(Request::EvaluateCheckpoint { run: 2 })[..],
        [Reply::Checkpoint { run: 2, .. }]
    ));
    assert!(matches!(
        &page.ask(Request::Misclassified {
            run: 1,
            actual: 3,
            predicted: 5
        })[..],
        [Reply::Images { run: 1, .. }]
    ));
}

/// The one reply of a weights request.
fn weights_bytes(page: &mut Page, run: u32, which: WhichWeights) -> Vec<u8> {
    match &page.ask(Request::Weights { run, which })[..] {
        [
            Reply::Weights {
                run: r,
                which: w,
                bytes,
            },
        ] if *r == run && *w == which => bytes.to_vec(),
        other => panic!("no weights for run {run}: {other:?}"),
    }
}

fn load(page: &mut Page, run: u32, config: &TrainingConfig, bytes: Vec<u8>) -> Vec<Reply> {
    page.ask(Request::LoadWeights {
        run,
        config: config.clone(),
        bytes: serde_bytes::ByteBuf::from(bytes),
    })
}

#[test]
fn a_runs_weights_download_with_its_config_and_load_back_to_the_same_test_report() {
    let mut page = Page::ready();
    let mut config = small_run(2);
    config.normalization = Normalization::Standardize;
    config.callbacks.model_checkpoint = Some(ModelCheckpointConfig::default());
    let replies = page.ask(Request::Train {
        run: 4,
        config: config.clone(),
    });
    let Some(Event::Evaluated(trained)) = run_events(&replies, 4).last().cloned().cloned() else {
        panic!("run 4 was not evaluated: {replies:?}");
    };
    let final_bytes = weights_bytes(&mut page, 4, WhichWeights::Final);
    assert_eq!(
        weights::config_of(&final_bytes).unwrap(),
        Some(config.clone())
    );

    // Loaded into the same architecture: the same test report, kept as run 10.
    let replies = load(&mut page, 10, &config, final_bytes.clone());
    assert_eq!(
        replies,
        vec![Reply::Loaded {
            run: 10,
            report: trained.clone()
        }]
    );
    assert!(matches!(
        &page.ask(Request::Misclassified {
            run: 10,
            actual: 3,
            predicted: 5
        })[..],
        [Reply::Images { run: 10, .. }]
    ));
    assert_eq!(
        weights::config_of(&weights_bytes(&mut page, 10, WhichWeights::Final)).unwrap(),
        Some(config.clone())
    );
    assert_eq!(
        page.ask(Request::Weights {
            run: 10,
            which: WhichWeights::Best
        }),
        vec![Reply::WeightsUnavailable {
            run: 10,
            which: WhichWeights::Best,
            message: "this run kept no checkpoint (turn ModelCheckpoint on)".into()
        }]
    );

    // The best checkpoint, written with the config, evaluates as "Use the best checkpoint".
    let best = weights_bytes(&mut page, 4, WhichWeights::Best);
    assert_eq!(weights::config_of(&best).unwrap(), Some(config.clone()));
    let Some(Reply::Checkpoint { report, .. }) = page
        .ask(Request::EvaluateCheckpoint { run: 4 })
        .into_iter()
        .next()
    else {
        panic!("the checkpoint was not evaluated");
    };
    assert_eq!(
        load(&mut page, 11, &config, best),
        vec![Reply::Loaded { run: 11, report }]
    );

    // Nothing for a run the worker never had.
    assert_eq!(
        page.ask(Request::Weights {
            run: 99,
            which: WhichWeights::Final
        }),
        vec![Reply::WeightsUnavailable {
            run: 99,
            which: WhichWeights::Final,
            message: "no finished run with that number".into()
        }]
    );
}

#[test]
fn weights_that_do_not_fit_or_are_no_weights_file_say_so_and_keep_nothing() {
    let mut page = Page::ready();
    let config = small_run(1);
    page.ask(Request::Train {
        run: 1,
        config: config.clone(),
    });
    let bytes = weights_bytes(&mut page, 1, WhichWeights::Final);

    let mut other = small_run(1);
    other.model = ModelSpec::mlp(&[64]);
    let replies = load(&mut page, 2, &other, bytes);
    assert!(
        matches!(&replies[..], [Reply::LoadFailed { run: 2, message }]
            if message.starts_with("the weights do not fit this model: layer 0 is ")
                && message.contains("in the file but")),
        "{replies:?}"
    );
    let replies = load(&mut page, 3, &config, b"hello, not weights".to_vec());
    assert!(
        matches!(&replies[..], [Reply::LoadFailed { run: 3, message }]
            if message.contains("not a safetensors file")),
        "{replies:?}"
    );
    // Neither was kept.
    for run in [2, 3] {
        assert!(matches!(
            &page.ask(Request::Weights { run, which: WhichWeights::Final })[..],
            [Reply::WeightsUnavailable { message, .. }] if message == "no finished run with that number"
        ));
    }
}

#[test]
fn predictions_come_in_pages_with_probabilities_and_can_be_only_the_mistakes() {
    let mut page = Page::ready();
    let replies = page.ask(Request::Train {
        run: 5,
        config: small_run(1),
    });
    let Some(Event::Evaluated(report)) = run_events(&replies, 5).last().cloned().cloned() else {
        panic!("run 5 was not evaluated: {replies:?}");
    };
    let ask = |page: &mut Page, offset, count, only_mistakes| match page
        .ask(Request::Predictions {
            run: 5,
            offset,
            count,
            only_mistakes,
        })
        .pop()
    {
        Some(Reply::Predictions {
            run: 5,
            items,
            total,
            ..
        }) => (items, total),
        other => panic!("no predictions: {other:?}"),
    };
    let (items, total) = ask(&mut page, 0, 24, false);
    assert_eq!((items.len(), total), (24, 100));
    assert_eq!(
        items.iter().map(|p| p.index).collect::<Vec<_>>(),
        (0..24).collect::<Vec<_>>()
    );
    for p in &items {
        assert_eq!(p.image.len(), 784);
        assert!((0.1..=1.0).contains(&p.probability), "{p:?}");
    }
    let correct = items.iter().filter(|p| p.predicted == p.true_class).count();
    let mistakes = 100
        - report
            .confusion_matrix
            .iter()
            .enumerate()
            .map(|(i, row)| row[i])
            .sum::<usize>();
    let (wrong, wrong_total) = ask(&mut page, 0, 1000, true);
    assert_eq!(wrong_total, mistakes);
    assert_eq!(wrong.len(), mistakes);
    assert!(wrong.iter().all(|p| p.predicted != p.true_class));
    assert_eq!(
        wrong.iter().filter(|p| p.index < 24).count(),
        24 - correct,
        "the mistakes are the same either way"
    );
    // The next page starts where the first ended.
    let (next, _) = ask(&mut page, 24, 24, false);
    assert_eq!(next.first().map(|p| p.index), Some(24));

    assert_eq!(
        page.ask(Request::Predictions {
            run: 9,
            offset: 0,
            count: 24,
            only_mistakes: false
        }),
        vec![Reply::PredictionsUnavailable {
            run: 9,
            message: "no finished run with that number".into()
        }]
    );
}
