//! The page's wasm, split (`cargo xtask dist` runs it after Trunk, which builds the workers,
//! the css and the data): the page is built with relocations kept (`--emit-relocs`), cut by
//! wasm-split (`wasm_split_cli_support`) at its `wasm_split` functions (`src/steps/pages.rs`)
//! into the main module and one piece per group of steps (plus pieces that groups share), then
//! the main module goes through wasm-bindgen and wasm-opt. Trunk 0.21 cannot do this: its Rust
//! pipeline runs wasm-bindgen on the module as cargo wrote it, and the split must come first.
//!
//! Every file is named with one hash of all of them (`tuning-lab-<hash>.js`,
//! `tuning-lab-<hash>_bg.wasm`, `tuning-lab-split-<hash>.js`, `tuning-lab-<piece>-<hash>.wasm`):
//! the main module and the split loader import each other, so no file's name can follow from
//! its own bytes alone. The page's tags are written into dist/index.html the way Trunk writes
//! them (preloads with `integrity`, an inline boot script that `publish` moves out).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use sha2::{Digest, Sha256};

/// The page's bin and the name its files start with.
const NAME: &str = "tuning-lab";
/// The names the split writes and wasm-bindgen reads, before the files are hashed.
const MAIN_JS: &str = "./tuning-lab.js";
const LINK_JS: &str = "./__wasm_split.js";

/// The page's release build, with the relocations wasm-split reads.
pub fn cargo_build(root: &Path, env: &[(&str, &str)]) -> Result<PathBuf> {
    let ok = Command::new(env!("CARGO"))
        .envs(env.iter().copied())
        .args([
            "rustc",
            "--offline",
            "--package",
            NAME,
            "--bin",
            NAME,
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-page",
            "--",
            "-C",
            "link-arg=--emit-relocs",
        ])
        .current_dir(root)
        .status()
        .context("running cargo")?
        .success();
    if !ok {
        bail!("building the page's wasm failed");
    }
    Ok(root.join(format!(
        "target/wasm32-unknown-unknown/wasm-page/{NAME}.wasm"
    )))
}

/// The file names, hashed with `hash`, that the split pieces are renamed to.
fn piece_name(stem: &str, hash: &str) -> String {
    format!("{NAME}-{}-{hash}.wasm", stem.replace(['.', '-'], "_"))
}

/// Splits `module` (cargo's output), runs wasm-bindgen and wasm-opt on the main part, and
/// writes the page's files and tags into `dist`. `wasm_bindgen` and `wasm_opt` are the tools.
pub fn split_into(
    root: &Path,
    module: &Path,
    dist: &Path,
    wasm_bindgen: &Path,
    wasm_opt: &Path,
) -> Result<()> {
    let work = root.join("target/page-split");
    let _ = fs::remove_dir_all(&work);
    let split_dir = work.join("split");
    let bindgen_dir = work.join("bindgen");
    fs::create_dir_all(&split_dir)?;
    let input = fs::read(module).with_context(|| format!("reading {}", module.display()))?;
    let main_split = split_dir.join("main.wasm");
    let split = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(&input);
        options.output_dir = &split_dir;
        options.main_out_path = &main_split;
        options.main_module = MAIN_JS;
        options.link_name = LINK_JS;
        options
    })
    .map_err(|e| anyhow::anyhow!("wasm-split: {e:#}"))?;
    ensure!(
        !split.split_modules.is_empty(),
        "wasm-split found no split point in the page (src/steps/pages.rs)"
    );

    let ok = Command::new(wasm_bindgen)
        .args([
            "--target=web",
            "--keep-lld-exports",
            "--no-demangle",
            "--no-typescript",
            &format!("--out-name={NAME}"),
        ])
        .arg(format!("--out-dir={}", bindgen_dir.display()))
        .arg(&main_split)
        .status()
        .context("running wasm-bindgen")?
        .success();
    ensure!(ok, "wasm-bindgen on the page's main module failed");
    let main_wasm = bindgen_dir.join(format!("{NAME}_bg.wasm"));
    let main_wasm = optimize(wasm_opt, &main_wasm, &work.join("main-opt.wasm"))?;

    // The files, before renaming.
    let main_js = fs::read_to_string(bindgen_dir.join(format!("{NAME}.js")))?;
    let link_js = fs::read_to_string(split_dir.join(LINK_JS.trim_start_matches("./")))?;
    let mut pieces = Vec::new();
    for path in &split.split_modules {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .context("a split piece without a name")?
            .to_owned();
        let bytes = optimize(wasm_opt, path, &work.join(format!("{stem}-opt.wasm")))?;
        pieces.push((stem, bytes));
    }
    pieces.sort();

    let mut hasher = Sha256::new();
    for part in [main_wasm.as_slice(), main_js.as_bytes(), link_js.as_bytes()] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    for (stem, bytes) in &pieces {
        hasher.update(stem.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    let hash: String = hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let js_name = format!("{NAME}-{hash}.js");
    let wasm_name = format!("{NAME}-{hash}_bg.wasm");
    let link_name = format!("{NAME}-split-{hash}.js");
    let main_js = rename_in(
        &main_js,
        &[
            // The module's import name (the key of its imports object) stays `./__wasm_split.js`;
            // only the file the js imports it from is renamed.
            (
                &format!("from \"{LINK_JS}\""),
                &format!("from \"./{link_name}\""),
            ),
            (&format!("{NAME}_bg.wasm"), &wasm_name),
        ],
    )?;
    let mut link_renames = vec![(MAIN_JS.to_owned(), format!("./{js_name}"))];
    for (stem, _) in &pieces {
        link_renames.push((
            format!("\"./{stem}.wasm\""),
            format!("\"./{}\"", piece_name(stem, &hash)),
        ));
    }
    let link_renames: Vec<(&str, &str)> = link_renames
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let link_js = rename_in(&link_js, &link_renames)?;

    for old in fs::read_dir(dist)? {
        let name = old?.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{NAME}-")) {
            fs::remove_file(dist.join(&name))?;
        }
    }
    fs::write(dist.join(&wasm_name), &main_wasm)?;
    fs::write(dist.join(&js_name), &main_js)?;
    fs::write(dist.join(&link_name), &link_js)?;
    for (stem, bytes) in &pieces {
        fs::write(dist.join(piece_name(stem, &hash)), bytes)?;
    }
    let snippets = bindgen_dir.join("snippets");
    if snippets.is_dir() {
        copy_dir(&snippets, &dist.join("snippets"))?;
    }

    let index = dist.join("index.html");
    let html =
        fs::read_to_string(&index).with_context(|| format!("reading {}", index.display()))?;
    let tags = page_tags(
        &js_name, &wasm_name, &link_name, &main_js, &main_wasm, &link_js,
    );
    fs::write(&index, with_page_tags(&html, &tags)?)?;
    eprintln!(
        "page: main {wasm_name} ({} B) and {} pieces loaded when their steps are opened",
        main_wasm.len(),
        pieces.len()
    );
    Ok(())
}

/// `module` through `wasm-opt -Oz` (which keeps a piece's imports from the main module and its
/// exports), written to `out` and returned. On the pieces it saves a third of their gzip size.
fn optimize(wasm_opt: &Path, module: &Path, out: &Path) -> Result<Vec<u8>> {
    let ok = Command::new(wasm_opt)
        .arg("-Oz")
        .arg(module)
        .arg("--output")
        .arg(out)
        .status()
        .context("running wasm-opt")?
        .success();
    ensure!(ok, "wasm-opt on {} failed", module.display());
    Ok(fs::read(out)?)
}

/// `text` with each `from` replaced by its `to`; every `from` must occur.
fn rename_in(text: &str, renames: &[(&str, &str)]) -> Result<String> {
    let mut out = text.to_owned();
    for (from, to) in renames {
        ensure!(out.contains(from), "the page's js does not name {from}");
        out = out.replace(from, to);
    }
    Ok(out)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The tags Trunk would write for the page: the main module and the split loader preloaded,
/// the wasm fetched early, and the inline boot script (`publish` moves it to a file).
fn page_tags(
    js_name: &str,
    wasm_name: &str,
    link_name: &str,
    main_js: &str,
    main_wasm: &[u8],
    link_js: &str,
) -> String {
    let sri = crate::publish::integrity;
    format!(
        r#"<link rel="modulepreload" href="./{js_name}" crossorigin="anonymous" integrity="{}"/>
<link rel="modulepreload" href="./{link_name}" crossorigin="anonymous" integrity="{}"/>
<link rel="preload" href="./{wasm_name}" crossorigin="anonymous" integrity="{}" as="fetch" type="application/wasm"/>
<script type="module">
import init from './{js_name}';
await init({{ module_or_path: './{wasm_name}' }});
</script>
"#,
        sri(main_js.as_bytes()),
        sri(link_js.as_bytes()),
        sri(main_wasm),
    )
}

/// `html` with `tags` at the end of its head, and without the link Trunk skipped (index.html
/// keeps one only so that Trunk does not build a default page of its own).
fn with_page_tags(html: &str, tags: &str) -> Result<String> {
    let html: String = html
        .split_inclusive('\n')
        .filter(|line| !line.contains("data-trunk-skip"))
        .collect();
    let at = html.find("</head>").context("index.html has no </head>")?;
    Ok(format!("{}{tags}{}", &html[..at], &html[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_named_so_the_server_sees_their_hash() {
        let name = piece_name("split_first_steps", "0123456789abcdef");
        assert_eq!(name, "tuning-lab-split_first_steps-0123456789abcdef.wasm");
        assert!(crate::serve::is_content_hashed(&name));
        assert!(crate::serve::is_content_hashed(
            "tuning-lab-split-0123456789abcdef.js"
        ));
    }

    #[test]
    fn a_rename_that_finds_nothing_is_an_error() {
        assert_eq!(
            rename_in("import './a.js'", &[("./a.js", "./b-1.js")]).unwrap(),
            "import './b-1.js'"
        );
        assert!(rename_in("import './a.js'", &[("./c.js", "./d.js")]).is_err());
    }

    #[test]
    fn the_tags_go_at_the_end_of_the_head() {
        let html = "<html><head><title>t</title></head><body></body></html>";
        let out = with_page_tags(html, "<script type=\"module\">x</script>\n").unwrap();
        assert_eq!(
            out,
            "<html><head><title>t</title><script type=\"module\">x</script>\n</head><body></body></html>"
        );
        assert!(with_page_tags("<html></html>", "x").is_err());
        let skipped =
            "<head>\n<link data-trunk rel=\"rust\" data-trunk-skip data-trunk-id=\"1\" />\n</head>";
        assert_eq!(
            with_page_tags(skipped, "x\n").unwrap(),
            "<head>\nx\n</head>"
        );
    }
}
