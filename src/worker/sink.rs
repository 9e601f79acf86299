//! Where the worker's replies and the engine's events go. [`Outbox`] is the worker's one way
//! out to the page (the reactor forwards it); [`EventSink`] is the engine's observer for a
//! run, a search or a silent job (warm-up, benchmark): the [`Route`] it holds says which. It
//! also answers "stop?" from a [`Flag`] and lets the worker's event loop run between batches.

use futures::channel::mpsc;
use lab_engine::training::Observer;
use lab_spec::Event;
use lab_spec::tuning::SearchEvent;
use lab_spec::worker::Reply;
use web_time::{Duration, Instant};

use super::state::Flag;

/// How long the engine may compute before the worker yields to its event loop (so that a Stop
/// message lands within a batch or two, at no measurable cost).
pub const YIELD_EVERY: Duration = Duration::from_millis(30);

/// The sending end of the replies to the page. Posting never fails: once the page is gone,
/// replies are dropped.
#[derive(Clone, Debug)]
pub struct Outbox(mpsc::UnboundedSender<Reply>);

impl Outbox {
    /// An outbox and the stream of what is posted to it.
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<Reply>) {
        let (tx, rx) = mpsc::unbounded();
        (Self(tx), rx)
    }

    pub fn post(&self, reply: Reply) {
        let _ = self.0.unbounded_send(reply);
    }
}

/// Where a job's events go.
#[derive(Clone, Debug)]
pub enum Route {
    /// `Reply::Run` events of run `id`.
    Run(u32, Outbox),
    /// `Reply::Search` events of search `id`.
    Search(u32, Outbox),
    /// Nowhere: the WebGPU warm-up and the benchmarks report nothing.
    Nowhere,
}

impl Route {
    /// The reply carrying a run's event, if this route takes run events.
    fn run_reply(&self, event: Event) -> Option<(&Outbox, Reply)> {
        match self {
            Route::Run(run, outbox) => Some((outbox, Reply::Run { run: *run, event })),
            Route::Search(..) | Route::Nowhere => None,
        }
    }

    /// The reply carrying a search's event, if this route takes search events.
    fn search_reply(&self, event: SearchEvent) -> Option<(&Outbox, Reply)> {
        match self {
            Route::Search(search, outbox) => Some((
                outbox,
                Reply::Search {
                    search: *search,
                    event,
                },
            )),
            Route::Run(..) | Route::Nowhere => None,
        }
    }
}

/// The engine's observer in the worker, for runs (`Observer<Event>`) and searches
/// (`Observer<SearchEvent>`).
pub struct EventSink {
    route: Route,
    stop: Flag,
    last_yield: Instant,
}

impl EventSink {
    /// Sends events along `route`; the job stops after the batch during which `stop` is raised.
    pub fn new(route: Route, stop: Flag) -> Self {
        Self {
            route,
            stop,
            last_yield: Instant::now(),
        }
    }

    /// True when the engine has computed for [`YIELD_EVERY`] since the last yield.
    fn yield_due(&self) -> bool {
        self.last_yield.elapsed() >= YIELD_EVERY
    }

    async fn pause(&mut self) {
        if self.yield_due() {
            yield_to_event_loop().await;
            self.last_yield = Instant::now();
        }
    }
}

impl Observer<Event> for EventSink {
    fn event(&mut self, event: Event) {
        if let Some((outbox, reply)) = self.route.run_reply(event) {
            outbox.post(reply);
        }
    }

    fn stop_requested(&mut self) -> bool {
        self.stop.is_raised()
    }

    async fn between_batches(&mut self) {
        self.pause().await;
    }
}

impl Observer<SearchEvent> for EventSink {
    fn event(&mut self, event: SearchEvent) {
        if let Some((outbox, reply)) = self.route.search_reply(event) {
            outbox.post(reply);
        }
    }

    fn stop_requested(&mut self) -> bool {
        self.stop.is_raised()
    }

    async fn between_batches(&mut self) {
        self.pause().await;
    }
}

/// Lets the worker's event loop run (a Stop message can arrive): a macrotask (`setTimeout`
/// 0), not a microtask. Natively (tests), the task gives way once to the executor.
pub async fn yield_to_event_loop() {
    #[cfg(target_arch = "wasm32")]
    gloo_timers::future::TimeoutFuture::new(0).await;
    #[cfg(not(target_arch = "wasm32"))]
    {
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                std::task::Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::events::BatchProgress;

    fn batch() -> BatchProgress {
        BatchProgress {
            epoch: 1,
            batch: 1,
            batches: 2,
            loss: 0.5,
            samples_per_s: 1.0,
            ms_per_batch: 1.0,
        }
    }

    fn drain(rx: &mut mpsc::UnboundedReceiver<Reply>) -> Vec<Reply> {
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    #[test]
    fn a_run_sink_sends_run_events_and_ignores_search_events() {
        let (outbox, mut rx) = Outbox::channel();
        let mut sink = EventSink::new(Route::Run(3, outbox), Flag::default());
        Observer::<Event>::event(&mut sink, Event::Batch(batch()));
        Observer::<SearchEvent>::event(&mut sink, SearchEvent::Batch(batch()));
        assert_eq!(
            drain(&mut rx),
            vec![Reply::Run {
                run: 3,
                event: Event::Batch(batch())
            }]
        );
    }

    #[test]
    fn a_search_sink_sends_search_events_only() {
        let (outbox, mut rx) = Outbox::channel();
        let mut sink = EventSink::new(Route::Search(7, outbox), Flag::default());
        Observer::<SearchEvent>::event(&mut sink, SearchEvent::Batch(batch()));
        Observer::<Event>::event(&mut sink, Event::Batch(batch()));
        assert_eq!(
            drain(&mut rx),
            vec![Reply::Search {
                search: 7,
                event: SearchEvent::Batch(batch())
            }]
        );
    }

    #[test]
    fn a_silent_sink_sends_nothing_but_still_stops() {
        let stop = Flag::default();
        let mut sink = EventSink::new(Route::Nowhere, stop.clone());
        Observer::<Event>::event(&mut sink, Event::Batch(batch()));
        assert!(!Observer::<Event>::stop_requested(&mut sink));
        stop.raise();
        assert!(Observer::<Event>::stop_requested(&mut sink));
        assert!(Observer::<SearchEvent>::stop_requested(&mut sink));
    }

    #[test]
    fn the_sink_yields_only_after_computing_for_a_while() {
        let mut sink = EventSink::new(Route::Nowhere, Flag::default());
        assert!(!sink.yield_due());
        sink.last_yield = Instant::now() - YIELD_EVERY;
        assert!(sink.yield_due());
        futures::executor::block_on(sink.pause());
        assert!(!sink.yield_due());
    }

    #[test]
    fn posting_after_the_page_left_is_harmless() {
        let (outbox, rx) = Outbox::channel();
        drop(rx);
        outbox.post(Reply::Alive);
    }
}
