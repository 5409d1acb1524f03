//! Wiring only: the gateway spec in, the progenitor client out (to
//! `OUT_DIR/client.rs`). The generator (`smartalex-mcp-codegen`) checks the
//! spec first, so a bad one fails with one line naming the operation.
//!
//! `openapi/` is the repository's top-level spec directory (a link in the
//! repository, a copy in the packaged crate).

fn main() {
    smartalex_mcp_codegen::build::spec_to_out_dir(
        "client.rs",
        smartalex_mcp_codegen::generate_client,
    );
}
