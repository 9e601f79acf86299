//! What the page says when the URL's hash names no page of the lab (`#/step/999`,
//! `#/step/abc`, `#/lessons`): [`crate::logic::Route::parse`] shows step 1 for those, and the
//! learner is told so instead of wondering where the step went.

/// The number of steps of the lab.
const STEPS: u8 = 8;

/// The longest part of a hash quoted back to the learner (a link can carry anything).
const QUOTED_CHARS: usize = 40;

/// The notice for `hash` (as `location.hash` gives it), or `None` when it names a page of the
/// lab: a step 1–8, the benchmark page, or nothing (the landing page). The same paths that
/// `Route::parse` reads as a step are accepted here.
pub fn route_notice(hash: &str) -> Option<String> {
    let hash = hash.trim_start_matches('#');
    let path = hash.split_once('?').map_or(hash, |(path, _)| path);
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() || trimmed == "bench" {
        return None;
    }
    let showing = format!("the lab has steps 1 to {STEPS}. Showing step 1.");
    let step = path
        .trim_start_matches('/')
        .strip_prefix("step/")
        .map(|s| s.trim_end_matches('/'))
        .filter(|s| !s.is_empty());
    match step {
        Some(step) => match step.parse::<u8>() {
            Ok(n) if (1..=STEPS).contains(&n) => None,
            _ => Some(format!("There is no step {} — {showing}", quoted(step))),
        },
        None => Some(format!(
            "There is no page “{}” in this lab — {showing}",
            quoted(trimmed)
        )),
    }
}

/// `text` cut to [`QUOTED_CHARS`] characters (an ellipsis says it was cut).
fn quoted(text: &str) -> String {
    if text.chars().count() <= QUOTED_CHARS {
        text.to_string()
    } else {
        let cut: String = text.chars().take(QUOTED_CHARS).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::Route;

    #[test]
    fn an_unknown_step_is_named_and_step_1_is_said_to_be_shown() {
        assert_eq!(
            route_notice("#/step/999").as_deref(),
            Some("There is no step 999 — the lab has steps 1 to 8. Showing step 1.")
        );
        assert_eq!(
            route_notice("#/step/0?subset=2000").as_deref(),
            Some("There is no step 0 — the lab has steps 1 to 8. Showing step 1.")
        );
        assert_eq!(
            route_notice("#/step/abc").as_deref(),
            Some("There is no step abc — the lab has steps 1 to 8. Showing step 1.")
        );
        assert_eq!(
            route_notice("#/step/").as_deref(),
            Some("There is no page “step” in this lab — the lab has steps 1 to 8. Showing step 1.")
        );
        assert_eq!(
            route_notice("#/lessons/2").as_deref(),
            Some(
                "There is no page “lessons/2” in this lab — the lab has steps 1 to 8. Showing step 1."
            )
        );
    }

    #[test]
    fn the_pages_of_the_lab_have_no_notice() {
        for hash in [
            "",
            "#",
            "#/",
            "#/bench",
            "#/bench/",
            "#/step/1",
            "#/step/8/",
            "step/5?epochs=2&data=./x/",
            "#/step/07",
        ] {
            assert_eq!(route_notice(hash), None, "{hash}");
        }
    }

    #[test]
    fn a_long_path_is_cut_when_quoted() {
        let notice = route_notice(&format!("#/step/{}", "9".repeat(500))).unwrap();
        assert!(
            notice.contains(&format!("step {}…", "9".repeat(QUOTED_CHARS))),
            "{notice}"
        );
        assert!(notice.chars().count() < 120, "{notice}");
    }

    /// The notice agrees with the route: every hash with a notice shows step 1, and every
    /// step hash without one is read as the step it names.
    #[test]
    fn the_notice_agrees_with_route_parse() {
        for hash in [
            "#/step/999",
            "#/step/0",
            "#/step/9",
            "#/step/256",
            "#/step/-1",
            "#/step/abc",
            "#/stepp/3",
            "#/foo",
            "#/step/3",
            "#/step/3/",
            "#step/4",
            "#/step/+5",
            "#/step/6?cfg=x",
        ] {
            let route = Route::parse(hash);
            match route_notice(hash) {
                Some(_) => assert_eq!(route.step, 1, "{hash}"),
                None => {
                    let named = hash
                        .trim_start_matches('#')
                        .trim_start_matches('/')
                        .trim_start_matches("step/");
                    let named = named.split(['?', '/']).next().unwrap();
                    assert_eq!(
                        route.step.to_string(),
                        named.trim_start_matches(['+', '0']),
                        "{hash}"
                    );
                }
            }
        }
    }
}
