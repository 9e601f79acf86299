//! The learning curves' arithmetic, apart from the drawing: which epochs the x axis spans and
//! where its ticks go (`axes`), how far the loss axis reaches and when it is clipped because a
//! run diverged (`loss_axis`), which epoch is under the pointer and where the read-out goes
//! (`hover`), and the per-run markers with labels that do not collide (`markers`). Plain
//! functions with native tests; `draw` puts them into the SVG that `components::chart` shows,
//! and `components::tuner::trial_chart` uses the axes too.

pub mod axes;
pub mod draw;
pub mod hover;
pub mod loss_axis;
pub mod markers;

/// Runs and epoch logs for the charts' tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use lab_spec::{EpochLogs, StopReason, TrainingConfig};

    use crate::trainer::{RunStatus, RunView};

    pub fn logs(epoch: usize, loss: f64, val_loss: f64) -> EpochLogs {
        EpochLogs {
            epoch,
            loss,
            accuracy: 0.8,
            val_loss: Some(val_loss),
            val_accuracy: Some(0.82),
            lr: 1e-3,
            regularization_loss: 0.0,
            seconds: 1.0,
        }
    }

    pub fn run(id: u32, configured: usize, losses: &[(f64, f64)], finished: bool) -> RunView {
        let mut r = RunView::new(
            id,
            6,
            "r".into(),
            TrainingConfig::new(lab_spec::ModelSpec::baseline()),
            "cpu".into(),
            0.0,
        );
        r.total_epochs = configured;
        r.epochs = losses
            .iter()
            .enumerate()
            .map(|(i, &(l, v))| logs(i + 1, l, v))
            .collect();
        if finished {
            r.status = RunStatus::Finished(StopReason::Completed);
        }
        r
    }
}
