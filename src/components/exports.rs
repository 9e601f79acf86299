//! What a learner takes away from a run, under its results: the history as CSV (Keras'
//! CSVLogger) and JSON (`history.history`), each chart as SVG and PNG, and the run as a Keras 3
//! script. The text is built in `lab_spec::export`; here it becomes a download (a Blob, its
//! object URL, an `<a download>`). A chart is the one on the page (the runs it shows, their
//! colours) cut out of the two-chart SVG, with a legend added, since the page's legend is HTML;
//! its PNG is that SVG drawn into a canvas at twice its size.

use crate::download::save_blob;
use crate::download::save_text;
use lab_spec::export::{history_csv, history_json, keras_script};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::chart::draw::{ACCURACY, LOSS};
use crate::components::chart::{css_color, render};
use crate::trainer::{RunView, Trainer};

/// Height of one legend row under an exported chart, in SVG units.
const LEGEND_ROW: f64 = 18.0;
/// The PNG's pixels per SVG unit.
const PNG_SCALE: f64 = 2.0;

/// `s` with XML's special characters escaped.
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The value of attribute `name` in the first tag of `svg`.
fn root_attr<'a>(svg: &'a str, name: &str) -> Option<&'a str> {
    let tag = &svg[..svg.find('>')?];
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// One chart cut out of the two-chart SVG: the view from x `left` to `right`, and under it a
/// legend of `legend` lines (colour, text; a `None` colour is a plain line).
pub fn chart_svg(
    svg: &str,
    left: f64,
    right: f64,
    legend: &[(Option<String>, String)],
) -> Option<String> {
    let height: f64 = root_attr(svg, "height")?.parse().ok()?;
    let open_end = svg.find('>')? + 1;
    let close = svg.rfind("</svg>")?;
    let width = right - left;
    let total =
        height + LEGEND_ROW * legend.len() as f64 + if legend.is_empty() { 0.0 } else { 6.0 };
    let mut out = format!(
        "<svg width=\"{width}\" height=\"{total}\" viewBox=\"{left} 0 {width} {total}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect x=\"{left}\" y=\"0\" width=\"{width}\" height=\"{total}\" fill=\"#FFFFFF\"/>\n"
    );
    out.push_str(&svg[open_end..close]);
    for (i, (color, text)) in legend.iter().enumerate() {
        let y = height + 4.0 + LEGEND_ROW * (i as f64 + 0.5);
        let mut x = left + 12.0;
        if let Some(color) = color {
            out.push_str(&format!(
                "<rect x=\"{x}\" y=\"{}\" width=\"16\" height=\"4\" fill=\"{color}\"/>\n",
                y - 2.0
            ));
            x += 22.0;
        }
        out.push_str(&format!(
            "<text x=\"{x}\" y=\"{y}\" dominant-baseline=\"middle\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#333333\">{}</text>\n",
            xml_escape(text)
        ));
    }
    out.push_str("</svg>\n");
    Some(out)
}

/// The chart `panel` (loss or accuracy) of the runs as the page shows them, as an SVG file.
fn panel_svg(runs: &[(usize, RunView)], metric: Option<&str>, panel: usize) -> Option<String> {
    let visible: Vec<(usize, RunView)> = runs.iter().filter(|(_, r)| r.visible).cloned().collect();
    let rendered = render(&visible, metric);
    let p = rendered.panels.get(panel)?;
    let mut legend: Vec<(Option<String>, String)> = visible
        .iter()
        .map(|(i, r)| (Some(css_color(*i)), format!("run {} · {}", r.id, r.label)))
        .collect();
    let key = if panel == LOSS {
        "solid: training · dashed: validation · faint: running loss within the epoch"
    } else {
        "solid: training · dashed: validation"
    };
    legend.push((None, key.into()));
    chart_svg(&rendered.svg, p.left, p.right, &legend)
}

/// The first lines of the Keras script: which run, what it reached in the lab.
fn script_about(run: &RunView) -> String {
    let mut about = format!("Tuning Lab run {} · {}", run.id, run.label);
    if let Some(report) = &run.report {
        about.push_str(&format!(
            "\nIn the lab ({} backend, {} epochs trained): test accuracy {:.4}",
            run.backend,
            run.epochs.len(),
            report.accuracy
        ));
    }
    about
}

/// A browser error as words: `what`, then the browser's message.
fn err(what: &'static str) -> impl Fn(wasm_bindgen::JsValue) -> String {
    move |e| {
        let detail = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| e.as_string())
            .unwrap_or_else(|| format!("{e:?}"));
        format!("{what} ({detail})")
    }
}

/// Draws an SVG into a canvas `PNG_SCALE` times its size and returns the canvas' PNG.
async fn svg_to_png(svg: &str) -> Result<web_sys::Blob, String> {
    let width: f64 = root_attr(svg, "width")
        .and_then(|w| w.parse().ok())
        .ok_or("the chart has no width")?;
    let height: f64 = root_attr(svg, "height")
        .and_then(|h| h.parse().ok())
        .ok_or("the chart has no height")?;
    let url = gloo_file::ObjectUrl::from(gloo_file::Blob::new_with_options(
        svg,
        Some("image/svg+xml"),
    ));
    let image = web_sys::HtmlImageElement::new().map_err(err("no image"))?;
    image.set_src(&url);
    JsFuture::from(image.decode())
        .await
        .map_err(err("the chart could not be read as an image"))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(err("no canvas"))?
        .dyn_into()
        .map_err(|_| "no canvas".to_string())?;
    canvas.set_width((width * PNG_SCALE).round() as u32);
    canvas.set_height((height * PNG_SCALE).round() as u32);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(err("no 2d context"))?
        .ok_or("no 2d context")?
        .dyn_into()
        .map_err(|_| "no 2d context".to_string())?;
    ctx.draw_image_with_html_image_element_and_dw_and_dh(
        &image,
        0.0,
        0.0,
        width * PNG_SCALE,
        height * PNG_SCALE,
    )
    .map_err(err("the chart could not be drawn"))?;
    drop(url);
    let mut asked = Ok(());
    let png = js_sys::Promise::new(&mut |resolve, _| asked = canvas.to_blob(&resolve));
    asked.map_err(err("the canvas refused to make a PNG"))?;
    let blob = JsFuture::from(png).await.map_err(err("no PNG"))?;
    blob.dyn_into::<web_sys::Blob>()
        .map_err(|_| "the canvas made no PNG".to_string())
}

/// The Export buttons of run `run` (shown once it has ended with at least one epoch).
/// `runs` and `metric` are the chart's: an exported chart is the one on the page.
#[component]
pub fn Exports(
    trainer: Trainer,
    #[prop(into)] run: Signal<Option<u32>>,
    #[prop(into)] runs: Signal<Vec<(usize, RunView)>>,
    #[prop(into)] metric: Signal<String>,
) -> impl IntoView {
    let ready = Memo::new(move |_| {
        let id = run.get()?;
        trainer.runs.with(|rs| {
            rs.iter()
                .find(|r| r.id == id)
                .filter(|r| !r.is_running() && !r.epochs.is_empty())
                .map(|r| r.id)
        })
    });
    let error = RwSignal::new(None::<String>);
    let the_run = move || {
        let id = ready.get_untracked()?;
        trainer
            .runs
            .with_untracked(|rs| rs.iter().find(|r| r.id == id).cloned())
    };
    let csv = move |_| {
        if let Some(r) = the_run() {
            save_text(
                &format!("run-{}-history.csv", r.id),
                "text/csv",
                &history_csv(&r.epochs),
            );
        }
    };
    let json = move |_| {
        if let Some(r) = the_run() {
            save_text(
                &format!("run-{}-history.json", r.id),
                "application/json",
                &history_json(&r.epochs),
            );
        }
    };
    let keras = move |_| {
        if let Some(r) = the_run() {
            save_text(
                &format!("run_{}_keras.py", r.id),
                "text/x-python",
                &keras_script(&r.config, &script_about(&r)),
            );
        }
    };
    let chart = move |panel: usize, png: bool| {
        let Some(r) = the_run() else { return };
        let name = format!(
            "run-{}-{}",
            r.id,
            if panel == LOSS { "loss" } else { "accuracy" }
        );
        let Some(svg) = runs
            .with_untracked(|rs| metric.with_untracked(|m| panel_svg(rs, Some(m.as_str()), panel)))
        else {
            error.set(Some("The chart could not be drawn.".into()));
            return;
        };
        error.set(None);
        if !png {
            save_text(&format!("{name}.svg"), "image/svg+xml", &svg);
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            match svg_to_png(&svg).await {
                Ok(blob) => save_blob(&format!("{name}.png"), gloo_file::Blob::from(blob)),
                Err(e) => error.set(Some(format!("The PNG could not be made: {e}"))),
            }
        });
    };
    move || {
        ready.get().map(|id| view! {
            <div class="exports" data-testid="exports" data-run=id>
                <span class="exports-title">{format!("Export run {id}:")}</span>
                <button data-testid="export-history-csv" on:click=csv title="Keras' CSVLogger layout: epoch (from 0), accuracy, learning_rate, loss, val_accuracy, val_loss">"History (CSV)"</button>
                <button data-testid="export-history-json" on:click=json title="Keras' history.history, one list per key">"History (JSON)"</button>
                <button data-testid="export-loss-svg" on:click=move |_| chart(LOSS, false)>"Loss chart (SVG)"</button>
                <button data-testid="export-loss-png" on:click=move |_| chart(LOSS, true)>"Loss chart (PNG)"</button>
                <button data-testid="export-acc-svg" on:click=move |_| chart(ACCURACY, false)>"Accuracy chart (SVG)"</button>
                <button data-testid="export-acc-png" on:click=move |_| chart(ACCURACY, true)>"Accuracy chart (PNG)"</button>
                // The script loads Fashion-MNIST: it is not offered for an IMDB run.
                {move || the_run().filter(|r| r.config.dataset.is_fashion_mnist()).map(|_| view! {
                    <button data-testid="export-keras" on:click=keras title="A Python file that trains this model with Keras 3, e.g. in Colab">"Keras script (.py)"</button>
                })}
                {move || error.get().map(|e| view! { <p class="error" data-testid="export-error">{e}</p> })}
            </div>
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "<svg width=\"860\" height=\"300\" viewBox=\"0 0 860 300\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect x=\"0\" y=\"0\" width=\"860\" height=\"300\" fill=\"#FFFFFF\"/>\n</svg>\n";

    #[test]
    fn a_chart_is_cut_out_with_its_legend_under_it() {
        assert_eq!(root_attr(TWO, "height"), Some("300"));
        assert_eq!(root_attr(TWO, "viewBox"), Some("0 0 860 300"));
        let legend = [
            (
                Some("rgb(31,119,180)".to_string()),
                "run 1 · a < b & c".to_string(),
            ),
            (None, "solid: training".to_string()),
        ];
        assert_eq!(
            chart_svg(TWO, 430.0, 860.0, &legend).unwrap(),
            "<svg width=\"430\" height=\"342\" viewBox=\"430 0 430 342\" xmlns=\"http://www.w3.org/2000/svg\">\n\
             <rect x=\"430\" y=\"0\" width=\"430\" height=\"342\" fill=\"#FFFFFF\"/>\n\
             \n<rect x=\"0\" y=\"0\" width=\"860\" height=\"300\" fill=\"#FFFFFF\"/>\n\
             <rect x=\"442\" y=\"311\" width=\"16\" height=\"4\" fill=\"rgb(31,119,180)\"/>\n\
             <text x=\"464\" y=\"313\" dominant-baseline=\"middle\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#333333\">run 1 · a &lt; b &amp; c</text>\n\
             <text x=\"442\" y=\"331\" dominant-baseline=\"middle\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#333333\">solid: training</text>\n\
             </svg>\n"
        );
        assert_eq!(chart_svg("no svg", 0.0, 1.0, &[]), None);
    }

    #[test]
    fn each_exported_chart_is_half_of_the_pages_with_every_shown_run_in_its_legend() {
        let mut r = RunView::new(
            3,
            5,
            "baseline".into(),
            lab_spec::TrainingConfig::new(lab_spec::ModelSpec::baseline()),
            "cpu".into(),
            0.0,
        );
        r.epochs = vec![lab_spec::EpochLogs {
            epoch: 1,
            loss: 0.5,
            accuracy: 0.8,
            val_loss: Some(0.45),
            val_accuracy: Some(0.82),
            lr: 1e-3,
            regularization_loss: 0.0,
            seconds: 1.0,
        }];
        let mut hidden = r.clone();
        hidden.id = 4;
        hidden.visible = false;
        let runs = vec![(0, r), (1, hidden)];
        let loss = panel_svg(&runs, None, LOSS).unwrap();
        let acc = panel_svg(&runs, None, ACCURACY).unwrap();
        assert!(
            loss.starts_with("<svg width=\"430\" height=\"342\" viewBox=\"0 0 430 342\""),
            "{}",
            &loss[..120]
        );
        assert!(
            acc.starts_with("<svg width=\"430\" height=\"342\" viewBox=\"430 0 430 342\""),
            "{}",
            &acc[..120]
        );
        assert!(loss.contains(">run 3 · baseline</text>"));
        assert!(!loss.contains("run 4"), "a hidden run is not in the legend");
        // plotters writes a caption as `>\ntext\n</text>`.
        assert!(loss.contains(">\nloss\n</text>") && acc.contains(">\naccuracy\n</text>"));
        assert!(script_about(&runs[0].1).starts_with("Tuning Lab run 3 · baseline"));
    }
}
