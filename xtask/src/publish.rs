//! What a built dist/ needs to be hosted (`cargo xtask dist` runs it after Trunk; `cargo xtask
//! publish [DIR]` runs it alone): a strict Content-Security-Policy with no inline script (Trunk's
//! inline boot script moves to `boot-<hash>.js`), the service worker `sw.js` that keeps the lab
//! for offline use, and precompressed `.br`/`.gz` copies of the text and wasm files. Running it
//! again on the same dist/ changes nothing.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use sha2::{Digest, Sha256, Sha384};

/// The page's policy. `'wasm-unsafe-eval'` lets the page compile its wasm; `'unsafe-inline'`
/// styles are Leptos' and plotters' `style` attributes. A meta policy does not reach the
/// workers (they get none), so the worker's download of a `data=` folder elsewhere still works.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
    worker-src 'self'; object-src 'none'; base-uri 'self'";

/// The service worker's source, with the placeholders below.
const SW_TEMPLATE: &str = include_str!("../../static/sw.js");
const SW_VERSION: &str = "const VERSION = 'unbuilt';";
const SW_SHELL: &str = "const SHELL = [/* SHELL_FILES */];";
const SW_ON_USE: &str = "const ON_USE = [/* ON_USE_FILES */];";

/// What the SW registration adds to Trunk's boot script.
const REGISTER_SW: &str = r#"
// Offline after a first visit: sw.js, beside this script (so from any sub-path), keeps the lab
// in the Cache API. Registered once the page has loaded, not to compete with its downloads.
if ('serviceWorker' in navigator) {
  const register = () => navigator.serviceWorker
    .register(new URL('./sw.js', import.meta.url))
    .catch((e) => console.warn('Tuning Lab: no offline copy (service worker refused):', e));
  if (document.readyState === 'complete') register();
  else addEventListener('load', register, { once: true });
}
"#;

/// Files that get precompressed copies (the data is gzip already and is served as it is).
const COMPRESSED: [&str; 6] = ["html", "js", "css", "wasm", "svg", "json"];
/// The app shell the service worker keeps: dist/'s top-level files of these kinds.
const SHELL: [&str; 4] = ["html", "js", "css", "wasm"];

/// The training workers' wasm (Trunk's output of the `worker` and `worker-webgpu` bins).
pub const WORKER_WASM: [&str; 2] = ["worker_bg.wasm", "worker-webgpu_bg.wasm"];

pub fn publish(dist: &Path) -> Result<()> {
    let started = Instant::now();
    // The workers are built without wasm-opt (see wasm_strip.rs); their names go here.
    for name in WORKER_WASM {
        let worker = dist.join(name);
        if worker.is_file() {
            let module =
                fs::read(&worker).with_context(|| format!("reading {}", worker.display()))?;
            write_if_changed(&worker, &crate::wasm_strip::strip_names(&module)?)?;
        }
    }
    let index = dist.join("index.html");
    let html =
        fs::read_to_string(&index).with_context(|| format!("reading {}", index.display()))?;
    let (html, boot) = move_inline_script(&html)?;
    if let Some(boot) = &boot {
        write_if_changed(&dist.join(&boot.name), boot.source.as_bytes())?;
    }
    let html = with_csp(&html);
    check_integrity(dist, &html)?;
    write_if_changed(&index, html.as_bytes())?;

    let shell = shell_files(dist)?;
    ensure!(
        shell.iter().any(|f| f == "./index.html"),
        "{} has no index.html",
        dist.display()
    );
    let version = shell_version(dist, &shell)?;
    write_if_changed(
        &dist.join("sw.js"),
        service_worker(&version, &shell)?.as_bytes(),
    )?;

    eprintln!(
        "publish: {:<40} {:>11} {:>11} {:>11}",
        "file", "bytes", "gzip", "br"
    );
    for name in files_with(dist, &COMPRESSED)? {
        let sizes = precompress(&dist.join(&name))?;
        eprintln!(
            "publish: {name:<40} {:>11} {:>11} {:>11}",
            sizes.raw,
            sizes.gzip.map_or("-".into(), |n| n.to_string()),
            sizes.br.map_or("-".into(), |n| n.to_string())
        );
    }
    eprintln!(
        "publish: {} ready to host (CSP, sw.js cache {version}, {} shell files) in {:.1} s",
        dist.display(),
        shell.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Writes `bytes` unless the file holds them already (its modification time, which the
/// server's Last-Modified and the precompressed copies go by, then stays).
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha384-<base64>`, the form of Trunk's `integrity` attributes.
pub fn integrity(bytes: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes));
    format!("sha384-{b64}")
}

#[derive(Debug, PartialEq)]
struct Boot {
    name: String,
    source: String,
}

/// A `<script ...>...</script>` element of the page: where it is and its parts.
struct Script<'a> {
    start: usize,
    end: usize,
    attributes: &'a str,
    body: &'a str,
}

fn scripts(html: &str) -> Result<Vec<Script<'_>>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = html[from..].find("<script") {
        let start = from + offset;
        let open_end = start
            + html[start..]
                .find('>')
                .context("index.html: a <script> tag is not closed")?;
        let close = open_end
            + html[open_end..]
                .find("</script>")
                .context("index.html: a <script> has no </script>")?;
        let end = close + "</script>".len();
        found.push(Script {
            start,
            end,
            attributes: &html[start + "<script".len()..open_end],
            body: &html[open_end + 1..close],
        });
        from = end;
    }
    Ok(found)
}

fn has_attribute(attributes: &str, name: &str) -> bool {
    attributes
        .split(|c: char| c.is_whitespace() || c == '/')
        .any(|a| a == name || a.starts_with(&format!("{name}=")))
}

/// Trunk's inline `<script type="module">` (it imports and starts the page's wasm) becomes
/// `boot-<hash>.js`, with the service worker's registration added, loaded by
/// `<script type="module" src>` with its `integrity`. Any other inline script is an error: the
/// policy would block it. A page without one (already published) comes back unchanged.
fn move_inline_script(html: &str) -> Result<(String, Option<Boot>)> {
    let inline: Vec<_> = scripts(html)?
        .into_iter()
        .filter(|s| !has_attribute(s.attributes, "src"))
        .collect();
    match inline.as_slice() {
        [] => Ok((html.to_owned(), None)),
        [script] if script.attributes.contains(r#"type="module""#) => {
            let source = format!(
                "// The page's boot script: Trunk's loader of the page's wasm, moved out of\n\
                 // index.html by `cargo xtask publish` (the page's CSP allows no inline script).\n\
                 {}\n{REGISTER_SW}",
                script.body.trim()
            );
            let name = format!("boot-{}.js", &hex(&Sha256::digest(&source))[..16]);
            let tag = format!(
                r#"<script type="module" src="./{name}" integrity="{}"></script>"#,
                integrity(source.as_bytes())
            );
            let page = format!("{}{tag}{}", &html[..script.start], &html[script.end..]);
            Ok((page, Some(Boot { name, source })))
        }
        _ => bail!(
            "index.html has inline scripts the Content-Security-Policy would block: {}",
            inline
                .iter()
                .map(|s| format!("<script{}>", s.attributes))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The page with the policy as its first `<meta>` after the charset (a policy governs only
/// what comes after it); an older policy there is replaced.
fn with_csp(html: &str) -> String {
    let meta = format!(r#"<meta http-equiv="Content-Security-Policy" content="{CSP}" />"#);
    let mut page = html.to_owned();
    if let Some(start) = page.find(r#"<meta http-equiv="Content-Security-Policy""#)
        && let Some(len) = page[start..].find('>')
    {
        page.replace_range(start..=start + len, &meta);
        return page;
    }
    let after = page
        .find("<meta charset")
        .and_then(|s| page[s..].find('>').map(|e| s + e + 1))
        .or_else(|| page.find("<head>").map(|s| s + "<head>".len()))
        .unwrap_or(0);
    page.insert_str(after, &format!("\n    {meta}"));
    page
}

/// The value of `name="..."` in a tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// Every `integrity` of the page matches the file it names (Trunk's, and the boot script's).
fn check_integrity(dist: &Path, html: &str) -> Result<()> {
    for tag in html.split('<').filter(|t| t.contains(" integrity=\"")) {
        let (Some(expected), Some(url)) = (
            attribute(tag, "integrity"),
            attribute(tag, "href").or_else(|| attribute(tag, "src")),
        ) else {
            continue;
        };
        let file = dist.join(url.trim_start_matches("./"));
        let bytes = fs::read(&file).with_context(|| format!("index.html names {url}"))?;
        ensure!(
            integrity(&bytes) == expected,
            "index.html: the integrity of {url} does not match the file"
        );
    }
    Ok(())
}

/// dist/'s top-level files with one of `extensions`, sorted.
fn files_with(dist: &Path, extensions: &[&str]) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dist).with_context(|| format!("reading {}", dist.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
        if entry.file_type()?.is_file() && extensions.contains(&extension) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// The app shell as the service worker names it (`./file`): the page, its boot script, css,
/// the page's and the workers' js and wasm; not sw.js itself, not the data.
fn shell_files(dist: &Path) -> Result<Vec<String>> {
    Ok(files_with(dist, &SHELL)?
        .into_iter()
        .filter(|n| n != "sw.js")
        .map(|n| format!("./{n}"))
        .collect())
}

/// A hash of the shell's names and bytes: the service worker's cache name changes exactly
/// when a deployment changes a file.
fn shell_version(dist: &Path, shell: &[String]) -> Result<String> {
    let mut hash = Sha256::new();
    for file in shell {
        let bytes = fs::read(dist.join(file.trim_start_matches("./")))?;
        hash.update(file.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    Ok(hex(&hash.finalize())[..16].to_owned())
}

/// A training worker's file (`./worker…`: its loader, js and wasm): the service worker keeps
/// it when it is first used, not at install, since the page starts one worker of the two.
fn is_worker_file(file: &str) -> bool {
    file.starts_with("./worker")
}

fn service_worker(version: &str, shell: &[String]) -> Result<String> {
    ensure!(
        SW_TEMPLATE.contains(SW_VERSION)
            && SW_TEMPLATE.contains(SW_SHELL)
            && SW_TEMPLATE.contains(SW_ON_USE),
        "static/sw.js has lost its placeholders ({SW_VERSION} / {SW_SHELL} / {SW_ON_USE})"
    );
    let (on_use, at_install): (Vec<&String>, Vec<&String>) =
        shell.iter().partition(|f| is_worker_file(f));
    Ok(SW_TEMPLATE
        .replace(SW_VERSION, &format!("const VERSION = '{version}';"))
        .replace(
            SW_SHELL,
            &format!("const SHELL = {};", serde_json::to_string(&at_install)?),
        )
        .replace(
            SW_ON_USE,
            &format!("const ON_USE = {};", serde_json::to_string(&on_use)?),
        ))
}

/// Bytes of a file and of its precompressed copies (`None`: no copy, it would save under 5 %).
#[derive(Debug)]
struct Sizes {
    raw: u64,
    gzip: Option<u64>,
    br: Option<u64>,
}

/// Writes `file.gz` (gzip level 9) and `file.br` (brotli), unless they are newer
/// than `file` already. A copy that saves under 5 % is not kept.
fn precompress(file: &Path) -> Result<Sizes> {
    let raw = fs::metadata(file)?.len();
    let modified = fs::metadata(file)?.modified()?;
    let copy = |extension: &str, compress: fn(&[u8]) -> Result<Vec<u8>>| -> Result<Option<u64>> {
        let mut name = file.as_os_str().to_owned();
        name.push(format!(".{extension}"));
        let path = Path::new(&name);
        if let Ok(meta) = fs::metadata(path)
            && meta.modified()? >= modified
        {
            return Ok(Some(meta.len()));
        }
        let packed = compress(&fs::read(file)?)?;
        if packed.len() as u64 * 20 > raw * 19 {
            let _ = fs::remove_file(path);
            return Ok(None);
        }
        fs::write(path, &packed)?;
        Ok(Some(packed.len() as u64))
    };
    Ok(Sizes {
        raw,
        gzip: copy("gz", gzip)?,
        br: copy("br", brotli)?,
    })
}

/// Up to this size, gzip by zopfli: the same format every browser inflates, 4 % smaller than
/// zlib's level 9 on the page's main module (378,859 → 363,515 B), paid once per build (about
/// a minute of `publish`). The 5–12 MB worker modules get zlib's level 9.
const ZOPFLI_UP_TO: usize = 4 << 20;

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.len() <= ZOPFLI_UP_TO {
        let mut out = Vec::new();
        zopfli::compress(
            zopfli::Options::default(),
            zopfli::Format::Gzip,
            bytes,
            &mut out,
        )?;
        return Ok(out);
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// Up to this size, brotli's best (quality 11). The worker's 21 MB wasm would take minutes at
/// 11 or 10 (`cargo xtask` is a debug build with overflow checks), so bigger files get quality
/// 9 with a 16 MiB window: measured on it, 3.58 MB in ~14 s against 3.17 MB at quality 10 in
/// ~2 min (gzip: 5.15 MB).
const BROTLI_BEST_UP_TO: usize = 4 << 20;

fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let (quality, window) = if bytes.len() <= BROTLI_BEST_UP_TO {
        (11, 22)
    } else {
        (9, 24)
    };
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 1 << 16, quality, window);
        writer.write_all(bytes)?;
        writer.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Trunk 0.21.14 writes (the shape of dist/index.html), for files `dist` holds.
    fn trunk_page(dist: &Path) -> String {
        let css = integrity(&fs::read(dist.join("main-3d8293055d3f13cb.css")).expect("css"));
        format!(
            r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Tuning Lab</title>
    <link rel="stylesheet" href="./main-3d8293055d3f13cb.css" integrity="{css}"/>
<script type="module">
import init, * as bindings from './tuning-lab-b981f62c95d6b544.js';
const wasm = await init({{ module_or_path: './tuning-lab-b981f62c95d6b544_bg.wasm' }});
</script>
  </head>
  <body></body>
</html>"#
        )
    }

    fn dist(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-publish-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("data")).expect("mkdir");
        fs::write(dir.join("main-3d8293055d3f13cb.css"), "body { margin: 0 }").expect("css");
        let wasm: Vec<u8> = (0..20_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        fs::write(dir.join("tuning-lab-b981f62c95d6b544_bg.wasm"), &wasm).expect("wasm");
        fs::write(
            dir.join("tuning-lab-b981f62c95d6b544.js"),
            "export default 1;".repeat(50),
        )
        .expect("js");
        for worker in ["worker", "worker-webgpu"] {
            fs::write(
                dir.join(format!("{worker}_loader.js")),
                format!("importScripts(\"./{worker}.js\");"),
            )
            .expect("js");
        }
        fs::write(dir.join("data/labels.gz"), b"\x1f\x8b data").expect("data");
        fs::write(dir.join("index.html"), trunk_page(&dir)).expect("html");
        dir
    }

    fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
        let mut files: Vec<_> = fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| {
                let meta = e.metadata().expect("meta");
                let bytes = fs::read(e.path()).expect("read");
                (
                    e.file_name().to_string_lossy().into_owned(),
                    bytes,
                    meta.modified().expect("mtime"),
                )
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn the_inline_boot_script_moves_out_and_the_page_gets_its_policy() {
        let dir = dist("page");
        publish(&dir).expect("publish");
        let page = fs::read_to_string(dir.join("index.html")).expect("page");
        let scripts = scripts(&page).expect("scripts");
        assert_eq!(scripts.len(), 1);
        assert!(
            scripts.iter().all(|s| s.body.trim().is_empty()),
            "no inline script"
        );
        let boot = attribute(scripts[0].attributes, "src").expect("src");
        let boot_name = boot.trim_start_matches("./");
        assert!(crate::serve::is_content_hashed(boot_name), "{boot}");
        let source = fs::read_to_string(dir.join(boot_name)).expect("boot");
        assert!(
            source.contains(
                "await init({ module_or_path: './tuning-lab-b981f62c95d6b544_bg.wasm' })"
            )
        );
        assert!(source.contains("register(new URL('./sw.js', import.meta.url))"));
        assert_eq!(
            attribute(scripts[0].attributes, "integrity"),
            Some(integrity(source.as_bytes()).as_str())
        );
        // The policy comes before everything it governs.
        let csp = page.find("Content-Security-Policy").expect("a policy");
        assert!(csp < page.find("<link").expect("a link"));
        assert_eq!(page.matches("Content-Security-Policy").count(), 1);
        assert!(page.contains(&format!(r#"content="{CSP}""#)));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_service_worker_keeps_the_shell_under_a_name_that_changes_with_it() {
        let dir = dist("sw");
        publish(&dir).expect("publish");
        let sw = fs::read_to_string(dir.join("sw.js")).expect("sw.js");
        assert!(!sw.contains("'unbuilt'") && !sw.contains("SHELL_FILES"));
        assert!(!sw.contains("ON_USE_FILES"));
        let shell = shell_files(&dir).expect("shell");
        let (on_use, at_install): (Vec<&String>, Vec<&String>) =
            shell.iter().partition(|f| f.starts_with("./worker"));
        assert!(sw.contains(&format!(
            "const SHELL = {};",
            serde_json::to_string(&at_install).expect("json")
        )));
        // The workers' files are kept when used: a learner downloads one worker, not both.
        assert!(sw.contains(&format!(
            "const ON_USE = {};",
            serde_json::to_string(&on_use).expect("json")
        )));
        for file in ["./index.html", "./main-3d8293055d3f13cb.css"] {
            assert!(at_install.iter().any(|f| *f == file), "{file} in {shell:?}");
        }
        for file in ["./worker_loader.js", "./worker-webgpu_loader.js"] {
            assert!(on_use.iter().any(|f| *f == file), "{file} in {shell:?}");
        }
        assert!(shell.iter().all(|f| f != "./sw.js" && !f.contains("data/")));
        let version = shell_version(&dir, &shell).expect("version");
        assert!(sw.contains(&format!("const VERSION = '{version}';")));

        // A new deployment (one file changed) → a new cache name.
        fs::write(
            dir.join("worker_loader.js"),
            "importScripts(\"./worker2.js\");",
        )
        .expect("js");
        publish(&dir).expect("publish");
        let again = fs::read_to_string(dir.join("sw.js")).expect("sw.js");
        assert!(!again.contains(&version));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn publishing_twice_changes_nothing() {
        let dir = dist("twice");
        publish(&dir).expect("publish");
        let first = snapshot(&dir);
        publish(&dir).expect("publish again");
        assert_eq!(first, snapshot(&dir));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn precompressed_copies_hold_the_same_bytes_and_the_data_gets_none() {
        let dir = dist("packed");
        publish(&dir).expect("publish");
        let wasm = dir.join("tuning-lab-b981f62c95d6b544_bg.wasm");
        let raw = fs::read(&wasm).expect("wasm");
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(
                &fs::read(dir.join("tuning-lab-b981f62c95d6b544_bg.wasm.gz")).expect("gz")[..],
            ),
            &mut unzipped,
        )
        .expect("gunzip");
        assert_eq!(unzipped, raw);
        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(
            &mut &fs::read(dir.join("tuning-lab-b981f62c95d6b544_bg.wasm.br")).expect("br")[..],
            &mut unbrotli,
        )
        .expect("unbrotli");
        assert_eq!(unbrotli, raw);
        for name in ["index.html", "sw.js", "tuning-lab-b981f62c95d6b544.js"] {
            assert!(dir.join(format!("{name}.gz")).is_file(), "{name}.gz");
            assert!(dir.join(format!("{name}.br")).is_file(), "{name}.br");
        }
        // Too small to gain: no copies.
        assert!(!dir.join("worker_loader.js.gz").exists());
        assert!(!dir.join("data/labels.gz.gz").exists() && !dir.join("data/labels.gz.br").exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_inline_script_that_is_not_trunks_boot_or_a_wrong_integrity_is_refused() {
        let page = "<head><script type=\"module\">a()</script><script>b()</script></head>";
        let err = move_inline_script(page).expect_err("two inline scripts");
        assert!(err.to_string().contains("<script>"), "{err}");
        assert!(move_inline_script("<script>b()</script>").is_err());
        let external = r#"<script type="module" src="./boot-0123456789abcdef.js"></script>"#;
        assert_eq!(
            move_inline_script(external).expect("unchanged"),
            (external.to_owned(), None)
        );

        let dir = dist("integrity");
        let page = fs::read_to_string(dir.join("index.html")).expect("page");
        fs::write(
            dir.join("main-3d8293055d3f13cb.css"),
            "body { margin: 1px }",
        )
        .expect("css");
        let err = check_integrity(&dir, &page).expect_err("changed css");
        assert!(
            err.to_string().contains("main-3d8293055d3f13cb.css"),
            "{err}"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_older_policy_is_replaced_not_doubled() {
        let page = "<head>\n<meta charset=\"utf-8\" />\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src *\" />\n</head>";
        let page = with_csp(page);
        assert_eq!(page.matches("Content-Security-Policy").count(), 1);
        assert!(page.contains(CSP) && !page.contains("default-src *"));
        assert_eq!(with_csp(&page), page);
    }
}
