//! Print one generated surface for a spec: `cargo run -p smartalex-mcp-codegen
//! --example generate -- SPEC [client|tools|dispatch]`. For reading what the
//! build emits without digging in `target/`.

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), part) = (args.next(), args.next()) else {
        eprintln!("usage: generate SPEC [client|tools|dispatch]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    match smartalex_mcp_codegen::generate(&text) {
        Ok(g) => {
            let out = match part.as_deref() {
                Some("client") => g.client,
                Some("tools") => g.tools,
                _ => g.dispatch,
            };
            std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes()).ok();
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
