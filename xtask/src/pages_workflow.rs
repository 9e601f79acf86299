//! The hosted demo's workflow (`.github/workflows/pages.yml`) read as YAML: it builds with
//! `cargo xtask dist` and deploys dist/ to GitHub Pages.

use serde_yaml_ng::{Mapping, Value};

const WORKFLOW: &str = include_str!("../../.github/workflows/pages.yml");

fn workflow() -> Value {
    serde_yaml_ng::from_str(WORKFLOW).expect("pages.yml is YAML")
}

fn steps(job: &Value) -> &[Value] {
    job["steps"].as_sequence().map_or(&[], Vec::as_slice)
}

/// The step that uses `action` (`owner/name`, any version), and its index.
fn uses<'a>(job: &'a Value, action: &str) -> Option<(usize, &'a Value)> {
    steps(job).iter().enumerate().find(|(_, s)| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.split('@').next() == Some(action))
    })
}

fn runs(job: &Value, command: &str) -> Option<usize> {
    steps(job)
        .iter()
        .position(|s| s["run"].as_str().is_some_and(|r| r.contains(command)))
}

fn jobs(workflow: &Value) -> &Mapping {
    workflow["jobs"].as_mapping().expect("jobs")
}

fn job_using<'a>(workflow: &'a Value, action: &str) -> (&'a str, &'a Value) {
    jobs(workflow)
        .iter()
        .find(|(_, job)| uses(job, action).is_some())
        .map(|(name, job)| (name.as_str().expect("a job name"), job))
        .unwrap_or_else(|| panic!("no job uses {action}"))
}

fn write(permissions: &Value, scope: &str) -> bool {
    permissions[scope].as_str() == Some("write")
}

#[test]
fn runs_on_a_push_to_main_and_by_hand() {
    let w = workflow();
    let on = &w["on"];
    let branches = on["push"]["branches"].as_sequence().expect("push.branches");
    assert!(branches.iter().any(|b| b.as_str() == Some("main")));
    assert!(
        on.as_mapping()
            .expect("on: a mapping")
            .contains_key("workflow_dispatch")
    );
}

#[test]
fn builds_the_lab_with_xtask_and_uploads_dist() {
    let w = workflow();
    let (_, build) = job_using(&w, "actions/upload-pages-artifact");
    assert!(
        build["runs-on"]
            .as_str()
            .is_some_and(|r| r.starts_with("ubuntu"))
    );
    let (rust, toolchain) = uses(build, "dtolnay/rust-toolchain").expect("Rust is installed");
    assert!(
        toolchain["uses"]
            .as_str()
            .is_some_and(|u| u.ends_with("@stable"))
    );
    assert!(
        toolchain["with"]["targets"]
            .as_str()
            .is_some_and(|t| t.contains("wasm32-unknown-unknown"))
    );
    let (node, _) = uses(build, "actions/setup-node").expect("Node is installed");
    let dist = runs(build, "cargo xtask dist").expect("cargo xtask dist runs");
    let (upload, step) = uses(build, "actions/upload-pages-artifact").expect("upload");
    assert_eq!(step["with"]["path"].as_str(), Some("dist"));
    assert!(
        rust < dist && node < dist && dist < upload,
        "steps in order"
    );
}

#[test]
fn deploys_from_a_job_after_the_build_that_alone_may_publish() {
    let w = workflow();
    let (build_name, build) = job_using(&w, "actions/upload-pages-artifact");
    let (_, deploy) = job_using(&w, "actions/deploy-pages");
    let needs = &deploy["needs"];
    assert!(
        needs.as_str() == Some(build_name)
            || needs
                .as_sequence()
                .is_some_and(|n| n.iter().any(|j| j.as_str() == Some(build_name))),
        "deploy needs {build_name}"
    );
    let permissions = &deploy["permissions"];
    assert!(write(permissions, "pages") && write(permissions, "id-token"));
    assert_eq!(deploy["environment"]["name"].as_str(), Some("github-pages"));
    // Neither the workflow nor the build job (which runs the project's code) may publish.
    for permissions in [&w["permissions"], &build["permissions"]] {
        assert!(!write(permissions, "pages") && !write(permissions, "id-token"));
    }
}
