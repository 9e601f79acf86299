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
