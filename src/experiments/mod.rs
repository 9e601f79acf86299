//! The guided experiments of steps 6 and 7: short runs that change one setting of the step's
//! model and train the variants one after the other, so their curves can be compared in the
//! step's chart. What each experiment runs is data ([`plan`]); what runs next, when the
//! experiment is done and what Stop cancels is a plain state machine ([`queue`]). The page's
//! box that drives them is `components::experiments`.

pub mod plan;
pub mod queue;
