//! The "Experiments" box under the run panel of steps 6 and 7: each guided experiment with its
//! question, its variants and what it costs, a Run that trains the variants one after the
//! other through the trainer (as the step's runs, so the chart overlays them), a Stop that
//! ends the variant in progress and cancels the rest, and what to look for once they trained.
//!
//! One experiment at a time, in the whole page: the queue lives with the page, not with the
//! step, so it goes on while the learner reads another step. The queue's logic is the plain
//! `experiments::queue::Queue`; this file only carries it out.

use lab_spec::TrainingConfig;
use leptos::prelude::*;

use crate::experiments::plan::{EXPERIMENTS, Experiment, Setting, experiments_of};
use crate::experiments::queue::{Queue, State};
use crate::logic::UrlOverrides;
use crate::run_name::run_name;
use crate::trainer::Trainer;
use crate::trainer::pending::{ActionKind, Gate, gate};

/// The experiment in progress (or the last one), shared by every step.
#[derive(Clone, Copy)]
struct Runner {
    queue: RwSignal<Option<Queue>>,
}

/// The page's runner, made on first use under the page's own owner (so neither it nor the
/// effect that drives it goes when the step's page is left).
fn runner(trainer: Trainer) -> Runner {
    if let Some(r) = use_context::<Runner>() {
        return r;
    }
    let make = move || {
        let queue = RwSignal::new(None::<Queue>);
        Effect::new(move |_| drive(trainer, queue));
        let r = Runner { queue };
        provide_context(r);
        r
    };
    match page_owner() {
        Some(page) => page.with(make),
        None => make(),
    }
}

/// The outermost owner: the page's, which lives as long as the page.
fn page_owner() -> Option<Owner> {
    let mut owner = Owner::current()?;
    while let Some(parent) = owner.parent() {
        owner = parent;
    }
    Some(owner)
}

/// Follows the runs and starts the next variant when it is due.
fn drive(trainer: Trainer, queue: RwSignal<Option<Queue>>) {
    let Some(mut q) = queue.get() else { return };
    let kind = ActionKind::Train(q.step);
    let waiting = trainer.pending.with(|p| p.waiting() == Some(kind));
    let mut changed = trainer.runs.with(|runs| q.observe(runs, waiting));
    if let Some((_, v)) = q.next() {
        let config = v.config.clone();
        let last = trainer
            .runs
            .with_untracked(|rs| rs.iter().map(|r| r.id).max().unwrap_or(0));
        let label = run_name(q.step, &config, None);
        let result = trainer.start(q.step, label, config);
        q.started(result, last);
        changed = true;
    }
    if changed {
        queue.set(Some(q));
    }
}

/// "Step 6's run is in progress: stop it first."
fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    let first = chars.next().map(|c| c.to_uppercase().to_string());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}

#[component]
pub fn Experiments(
    trainer: Trainer,
    step: u8,
    /// The step's config, as the learner edited it: each variant changes one setting of it.
    #[prop(into)]
    config: Signal<TrainingConfig>,
    /// The URL's quick-run subset and epochs, which make the experiments as short.
    #[prop(into)]
    quick: Signal<UrlOverrides>,
) -> impl IntoView {
    let queue = runner(trainer).queue;
    // Why no experiment can start now: one at a time, and nothing else training.
    let blocked = Memo::new(move |_| {
        let active = queue.with(|q| {
            q.as_ref()
                .filter(|q| q.is_active())
                .map(|q| (q.experiment, q.step))
        });
        if let Some((id, s)) = active {
            let question = EXPERIMENTS
                .iter()
                .find(|e| e.id == id)
                .map_or("", |e| e.question);
            let place = if s == step {
                String::new()
            } else {
                format!(" at step {s}")
            };
            return Some(format!(
                "The experiment “{question}” is in progress{place}: stop it first to start another."
            ));
        }
        let busy = trainer.busy();
        let backend_ready = trainer.backend.with(Option::is_some);
        match trainer.data.with(|d| gate(d, backend_ready, busy)) {
            Gate::Closed(reason) => Some(sentence(&reason)),
            Gate::Now | Gate::WhenReady => None,
        }
    });
    let items = experiments_of(step, config.with_untracked(|c| c.dataset))
        .map(
            |experiment| view! { <ExperimentItem trainer experiment config quick queue blocked /> },
        )
        .collect_view();
    view! {
        <section class="experiments" data-testid="experiments">
            <h3>"Experiments"</h3>
            <p class="note">
                "Short guided comparisons: each trains a few variants of this step's model one after the other, \
                 on a subset and for a few epochs, with one setting changed. They are this step's runs: the chart \
                 above draws them together, each named by its settings."
            </p>
            {move || blocked.get().map(|reason| view! { <p class="note blocked" data-testid="experiments-blocked">{reason}</p> })}
            {items}
        </section>
    }
}

#[component]
fn ExperimentItem(
    trainer: Trainer,
    experiment: &'static Experiment,
    config: Signal<TrainingConfig>,
    quick: Signal<UrlOverrides>,
    queue: RwSignal<Option<Queue>>,
    blocked: Memo<Option<String>>,
) -> impl IntoView {
    let e = experiment;
    let size = Memo::new(move |_| quick.with(|q| e.size(q.subset, q.epochs)));
    // This experiment's queue, when it is the page's current or last one.
    let mine = Memo::new(move |_| {
        queue.with(|q| {
            q.as_ref()
                .filter(|q| q.experiment == e.id)
                .map(|q| (q.status(), q.is_active(), q.state == State::Done))
        })
    });
    let active = move || mine.with(|m| m.as_ref().is_some_and(|m| m.1));
    let run = move |_| {
        if blocked.get_untracked().is_some() {
            return;
        }
        let variants = config.with_untracked(|c| e.variants(c, size.get_untracked()));
        queue.set(Some(Queue::new(e.id, e.step, variants)));
    };
    let stop = move |_| {
        if active() {
            queue.update(|q| {
                if let Some(q) = q {
                    q.stop();
                }
            });
            trainer.stop();
        }
    };
    let id = move |what: &str| format!("experiment-{}-{what}", e.id);
    let variants = e
        .variants
        .iter()
        .map(Setting::describe)
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <div class="experiment" data-testid=format!("experiment-{}", e.id)>
            <h4>{e.question}</h4>
            <p>{e.explanation}</p>
            <p class="variants"><b>"Variants: "</b>{variants}</p>
            <div class="controls">
                <button class="primary" data-testid=id("run") prop:disabled=move || blocked.get().is_some() on:click=run>"Run the experiment"</button>
                <button data-testid=id("stop") prop:disabled=move || !active() on:click=stop>"Stop"</button>
                <span class="cost" data-testid=id("cost")>{move || size.with(|s| e.cost(*s))}</span>
            </div>
            {move || mine.get().map(|(status, active, done)| view! {
                <p class="experiment-status" class:active=active data-testid=id("status")>{status}</p>
                {done.then(|| view! {
                    <p class="look-for" data-testid=id("look-for")><b>"What to look for: "</b>{e.look_for}</p>
                })}
            })}
        </div>
    }
}
