//! The training worker: the body of the gloo reactor `protocol::TrainingWorker`; it holds the
//! backend and the decoded data, runs the engine and streams replies to the page. It runs in
//! a dedicated Web Worker, so nothing here blocks the page.
//!
//! [`serve`] reads the requests as they come, even while jobs run: `Stop` raises the stop
//! flag at once (a run or a search ends after its current batch, as the event sink yields to
//! the event loop every ~30 ms); every other request starts a job ([`jobs`]). A `Train` or
//! `Tune` lowers the flag as it is read, not when its job gets going: a Stop sent after it
//! stops it in every phase, also while its job still waits for the WebGPU warm-up. The jobs run
//! concurrently inside the reactor's future and post their replies to one [`Outbox`], which
//! the reactor forwards to the page.
//!
//! The files: `backend.rs` (WebGPU or CPU, loop options), `warm_up.rs`, `data.rs`,
//! `download.rs` and `origin.rs` (the data, cached only from the worker's own origin),
//! `jobs.rs`, `sink.rs` (events and replies), `state.rs`, `run_store.rs` (what finished runs
//! leave — predictions, final weights, best checkpoints —, within a budget), `activations.rs`
//! (what a run's weights see of one test image), `memory.rs` (the memory line logged after each run), `console.rs`.

mod activations;
mod backend;
mod console;
mod data;
#[cfg(target_arch = "wasm32")]
mod download;
#[cfg(any(target_arch = "wasm32", test))]
mod fetch_error;
mod imdb;
mod jobs;
mod memory;
#[cfg(any(target_arch = "wasm32", test))]
mod origin;
mod run_store;
mod sink;
mod state;
#[cfg(test)]
mod tests;
mod warm_up;

use std::rc::Rc;

use futures::future::{self, Either};
use futures::stream::FuturesUnordered;
use futures::{SinkExt, Stream, StreamExt};
use gloo_worker::reactor::ReactorScope;
use lab_spec::worker::{Reply, Request};

use self::sink::Outbox;
use self::state::State;

/// The reactor's body: one per page (the page connects once).
pub async fn serve(scope: ReactorScope<Request, Reply>) {
    let (mut to_page, requests) = scope.split();
    let (outbox, mut replies) = Outbox::channel();
    outbox.post(Reply::Alive);
    let forward = async move {
        while let Some(reply) = replies.next().await {
            if to_page.send(reply).await.is_err() {
                break;
            }
        }
    };
    let state = Rc::new(State::default());
    // When the page goes, the requests end; the jobs and the outbox are dropped with
    // `handle_requests`, which ends `forward`.
    future::join(forward, handle_requests(requests, state, outbox)).await;
}

/// Reads requests until the page goes: Stop at once, every other request as a job that runs
/// alongside the others.
async fn handle_requests(
    requests: impl Stream<Item = Request> + Unpin,
    state: Rc<State>,
    outbox: Outbox,
) {
    let mut requests = requests.fuse();
    let mut jobs = FuturesUnordered::new();
    loop {
        let next = if jobs.is_empty() {
            requests.next().await
        } else {
            match future::select(requests.next(), jobs.next()).await {
                Either::Left((request, _)) => request,
                // A job ended: keep reading.
                Either::Right(_) => continue,
            }
        };
        let Some(request) = next else { break };
        match request {
            Request::Stop => state.stop.raise(),
            request => {
                if matches!(request, Request::Train { .. } | Request::Tune { .. }) {
                    // A new run or search: an earlier Stop is not for it, a later one is.
                    state.stop.lower();
                }
                jobs.push(handle(request, state.clone(), outbox.clone()))
            }
        }
    }
}

/// One request's job; a job that fails says so in the reply its request expects.
async fn handle(request: Request, state: Rc<State>, outbox: Outbox) {
    let (state, outbox) = (&*state, &outbox);
    match request {
        Request::Init { plan } => match backend::start(plan).await {
            Ok((backend, ready)) => {
                *state.backend.borrow_mut() = Some(backend.clone());
                outbox.post(ready);
                // Refutable only when both backends are built in (`--all-features`).
                #[cfg(feature = "webgpu-worker")]
                #[allow(irrefutable_let_patterns)]
                if let backend::Backend::WebGpu(device) = backend {
                    warm_up::warm_up(device, &state.warm_up).await;
                }
            }
            // The page replaces this worker with the CPU one.
            Err(needs_cpu) => outbox.post(needs_cpu),
        },
        Request::LoadData { source } => match data::load(source, outbox).await {
            Ok((loaded, from_cache)) => {
                let summary = data::summary(&loaded, from_cache);
                *state.data.borrow_mut() = Some(Rc::new(loaded));
                outbox.post(Reply::DataReady(summary));
            }
            Err(message) => outbox.post(Reply::DataFailed { message }),
        },
        Request::Train { run, config } => {
            if let Err(message) = jobs::train(state, outbox, run, config).await {
                outbox.post(Reply::RunFailed { run, message });
            }
            let (kept, bytes) = state.runs.borrow().checkpoints_kept();
            memory::log_memory(run, kept, bytes);
        }
        Request::Tune { search, config } => {
            if let Err(message) = jobs::tune(state, outbox, search, config).await {
                outbox.post(Reply::SearchFailed { search, message });
            }
        }
        Request::EvaluateCheckpoint { run } => {
            if let Err(message) = jobs::evaluate_checkpoint(state, outbox, run).await {
                outbox.post(Reply::RunFailed { run, message });
            }
        }
        Request::Misclassified {
            run,
            actual,
            predicted,
        } => jobs::misclassified(state, outbox, run, actual, predicted),
        Request::Preview {
            index,
            normalization,
        } => jobs::preview(state, outbox, index, normalization),
        Request::Bench {
            model,
            batch,
            steps,
        } => {
            if let Err(message) = jobs::bench(state, outbox, model, batch, steps).await {
                outbox.post(Reply::RunFailed { run: 0, message });
            }
        }
        Request::Weights { run, which } => jobs::send_weights(state, outbox, run, which).await,
        Request::LoadWeights { run, config, bytes } => {
            let loaded = jobs::load_weights(state, outbox, run, config, bytes.into_vec());
            if let Err(message) = loaded.await {
                outbox.post(Reply::LoadFailed { run, message });
            }
        }
        Request::Predictions {
            run,
            offset,
            count,
            only_mistakes,
        } => {
            let page = jobs::predictions(state, outbox, run, offset, count, only_mistakes);
            if let Err(message) = page.await {
                outbox.post(Reply::PredictionsUnavailable { run, message });
            }
        }
        Request::RestoreRun {
            run,
            config,
            final_weights,
            checkpoint,
        } => {
            let bytes = final_weights.into_vec();
            let restored = jobs::restore_run(state, outbox, run, config, bytes, checkpoint);
            if let Err(message) = restored.await {
                outbox.post(Reply::RestoreFailed { run, message });
            }
        }
        Request::Activations { run, which, index } => {
            activations::send(state, outbox, run, which, index).await
        }
        Request::LoadImdb { base } => {
            let loaded = state.imdb.borrow().clone();
            let reply = match loaded {
                Some(data) => {
                    let origin = data::Origin {
                        from_cache: true,
                        source: data::describe_base(&base),
                    };
                    Reply::ImdbReady(imdb::summary(&data, origin))
                }
                None => {
                    state.imdb_loading.raise();
                    let loaded = imdb::load(&base, outbox).await;
                    let reply = match loaded {
                        Ok((data, origin)) => {
                            let summary = imdb::summary(&data, origin);
                            *state.imdb.borrow_mut() = Some(Rc::new(data));
                            Reply::ImdbReady(summary)
                        }
                        Err(message) => Reply::ImdbFailed { message },
                    };
                    state.imdb_loading.lower();
                    reply
                }
            };
            outbox.post(reply);
        }
        Request::TopTerms { vectorizer, index } => {
            imdb::top_terms(state, outbox, vectorizer, index)
        }
        Request::Reviews {
            run,
            actual,
            predicted,
        } => imdb::reviews(state, outbox, run, actual, predicted),
        // Handled as it arrives (see `handle_requests`).
        Request::Stop => {}
    }
}
