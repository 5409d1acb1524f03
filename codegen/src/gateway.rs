//! Emitting the sandbox gateway's side of the contract: one row per
//! operation with everything the gateway decides from the spec alone.
//!
//! The sandbox routes every row, authorizes it from the row's domain (the
//! operation's tag) and access (from the HTTP method: `GET` reads, anything
//! else writes), and answers it either with its hand-written simulation or,
//! for an operation it does not simulate yet, with the row's documented
//! example. So an operation added to the spec is served on the next build
//! with no Rust edited; the example was checked against the response schema
//! when the spec was read ([`crate::spec`]).

use proc_macro2::Literal;
use quote::quote;

use crate::error::Error;
use crate::spec::{Spec, reads};

/// `OPERATIONS` and `DOMAINS` for `sandbox/src/operations.rs`.
pub fn operations(spec: &Spec) -> Result<String, Error> {
    let rows = spec.operations.iter().map(|op| {
        let id = &op.operation_id;
        let method = &op.method;
        let path = &op.path;
        let domain = &op.domain;
        let access = if reads(&op.method) {
            quote!(Access::Read)
        } else {
            quote!(Access::Write)
        };
        let status = op.success_status;
        let body = match &op.body {
            Some(schema) => {
                let text = Literal::string(&schema.to_string());
                quote!(Some(#text))
            }
            None => quote!(None),
        };
        let example = Literal::string(&op.example.to_string());
        quote! {
            Operation {
                id: #id,
                method: #method,
                path: #path,
                domain: #domain,
                access: #access,
                status: #status,
                body: #body,
                example: #example,
            }
        }
    });
    let domains = crate::spec::domains(spec);
    let count = spec.operations.len();
    crate::emit::finish(quote! {
        use crate::operations::{Access, Operation};

        /// Every operation of the spec, in the order it lists them.
        pub static OPERATIONS: [Operation; #count] = [#(#rows),*];

        /// The spec's tags, in first-use order: the domains a key may be limited to.
        pub static DOMAINS: &[&str] = &[#(#domains),*];
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_follows_the_method() {
        assert!(reads("GET") && reads("HEAD"));
        for method in ["POST", "PATCH", "PUT", "DELETE"] {
            assert!(!reads(method), "{method}");
        }
    }
}
