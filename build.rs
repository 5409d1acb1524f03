//! Wiring only: read `openapi/` (the gateway spec and the MCP resources and
//! prompts under `openapi/mcp/`), let the generator produce the client, tool
//! table, dispatch and surface tables, write
//! them to `OUT_DIR`. All logic
//! (and its tests) lives in the `smartalex-mcp-codegen` crate.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use smartalex_mcp_codegen::build::{fail, write_out};

fn main() {
    println!("cargo::rerun-if-changed=openapi");
    let root = Path::new("openapi");
    let spec_path = root.join("gateway.yaml");
    let text = fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| fail(&format!("{}: {e}", spec_path.display())));
    let mut files = BTreeMap::new();
    collect(root, root, &mut files);
    let generated = smartalex_mcp_codegen::generate_all(&text, &files)
        .unwrap_or_else(|e| fail(&format!("openapi/: {e}")));
    for (name, source) in [
        ("tools.rs", &generated.tools),
        ("dispatch.rs", &generated.dispatch),
        ("surface.rs", &generated.surface_src),
    ] {
        write_out(name, source);
    }
}

/// Every text file under `openapi/mcp/`, keyed by its path relative to `openapi/`.
fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if rel.starts_with("mcp/") {
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
                files.insert(rel, text);
            }
        }
    }
}
