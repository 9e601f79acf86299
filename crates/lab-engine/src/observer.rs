//! Who receives a run's (or a search's) events: the [`Observer`] trait the loop reports to and
//! polls for Stop, and [`Recorder`], which keeps them (tests, the CLI).

use std::future::Future;

use lab_spec::Event;
use lab_spec::tuning::SearchEvent;

use crate::model::Network;

/// Receives a run's (or a search's) events and says when to stop. `E` is [`Event`] for a run,
/// [`SearchEvent`] for a search.
pub trait Observer<E = Event> {
    fn event(&mut self, event: E);

    /// Polled between batches; `true` ends the run after the current batch.
    fn stop_requested(&mut self) -> bool {
        false
    }

    /// Awaited between batches. A browser worker yields to its event loop here, so that a Stop
    /// message can arrive; natively it does nothing.
    fn between_batches(&mut self) -> impl Future<Output = ()> {
        async {}
    }

    /// Called at the end of each epoch (`epoch` 1-based), before its logs are reported, with
    /// the model as that epoch left it. A clone shares the model's tensors (no copy): the
    /// browser worker keeps one to show what the network sees while it trains. By default
    /// nothing.
    fn epoch_model(&mut self, _epoch: usize, _model: &Network) {}
}

/// Events that report batch progress (what [`Recorder::stopping_after`] counts).
pub trait BatchEvent {
    fn is_batch(&self) -> bool;
}

impl BatchEvent for Event {
    fn is_batch(&self) -> bool {
        matches!(self, Event::Batch(_))
    }
}

impl BatchEvent for SearchEvent {
    fn is_batch(&self) -> bool {
        matches!(self, SearchEvent::Batch(_))
    }
}

/// Collects events in a vector (tests, the CLI).
pub struct Recorder<E = Event> {
    pub events: Vec<E>,
    pub stop_after_batches: Option<usize>,
    batches: usize,
}

impl<E> Default for Recorder<E> {
    fn default() -> Self {
        Self {
            events: Vec::new(),
            stop_after_batches: None,
            batches: 0,
        }
    }
}

impl<E> Recorder<E> {
    /// A recorder that asks to stop once `n` batch events have arrived.
    pub fn stopping_after(n: usize) -> Self {
        Self {
            stop_after_batches: Some(n),
            ..Default::default()
        }
    }
}

impl<E: BatchEvent> Observer<E> for Recorder<E> {
    fn event(&mut self, event: E) {
        if event.is_batch() {
            self.batches += 1;
        }
        self.events.push(event);
    }

    fn stop_requested(&mut self) -> bool {
        self.stop_after_batches.is_some_and(|n| self.batches >= n)
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::tensor::Device;
    use futures::executor::block_on;
    use lab_spec::{ModelSpec, TrainingConfig};

    use super::*;
    use crate::data::Split;
    use crate::training::{RunOptions, fit};

    /// Every weight of `model`, in its named tensors' order (read synchronously: the CPU
    /// backend, and called from inside the loop's executor).
    fn weights_of(model: &Network) -> Vec<f32> {
        model
            .named_tensors()
            .into_iter()
            .flat_map(|(_, t, _)| t.into_data().try_to_vec_as::<f32>().unwrap())
            .collect()
    }

    /// Keeps the model of each epoch end (as the worker does) and what it held then.
    #[derive(Default)]
    struct KeepsEpochModels {
        events: Vec<String>,
        kept: Vec<(usize, Network, Vec<f32>)>,
    }

    impl Observer for KeepsEpochModels {
        fn event(&mut self, event: Event) {
            if let Event::Epoch(logs) = event {
                self.events.push(format!("logs {}", logs.epoch));
            }
        }

        fn epoch_model(&mut self, epoch: usize, model: &Network) {
            self.events.push(format!("model {epoch}"));
            let kept = model.valid();
            let values = weights_of(&kept);
            self.kept.push((epoch, kept, values));
        }
    }

    #[test]
    fn each_epoch_end_hands_over_its_model_which_later_epochs_leave_as_it_was() {
        let mut config = TrainingConfig::new(ModelSpec::mlp(&[8]));
        (config.epochs, config.batch_size, config.validation_split) = (3, 10, 0.0);
        let x: Vec<f32> = (0..40 * 784)
            .map(|i| ((i * 31) % 97) as f32 / 97.0)
            .collect();
        let y: Vec<u8> = (0..40).map(|i| (i % 10) as u8).collect();
        let train = Split::images(x, y);
        let device = Device::flex().autodiff();
        let mut observer = KeepsEpochModels::default();
        let options = RunOptions::default();
        let outcome =
            block_on(fit(&config, &train, None, &device, &mut observer, &options)).unwrap();
        assert_eq!(
            observer.events,
            [
                "model 1", "logs 1", "model 2", "logs 2", "model 3", "logs 3"
            ]
        );
        // A kept model is a snapshot: the epochs after it did not change it.
        for (epoch, model, then) in &observer.kept {
            assert_eq!(&weights_of(model), then, "epoch {epoch}");
        }
        assert_ne!(observer.kept[0].2, observer.kept[2].2);
        // The last epoch's model is the one the run ends with.
        assert_eq!(observer.kept[2].2, weights_of(&outcome.model));
    }
}
