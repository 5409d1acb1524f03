//! Emitting the sandbox gateway's side of the contract: one row per
//! operation with everything the gateway decides from the spec alone, and
//! the typed interface its simulations implement.
//!
//! The sandbox routes every row, authorizes it from the row's domain (the
//! operation's tag) and access (from the HTTP method: `GET` reads, anything
//! else writes), checks the path's id and the body, and calls the row's
//! method of the interface: one trait per tag, one method per operation,
//! taking the path's id, each query parameter and the request body as the
//! SDK's types, and returning the SDK's response type. The
//! signatures are read back from the client progenitor emitted (as the MCP
//! dispatch is), so the two sides cannot disagree on a type.
//!
//! Every method has a default: the operation's documented example, read
//! into its response type. So an operation added to the spec is served on
//! the next build with no Rust edited; the example was checked against the
//! response schema when the spec was read ([`crate::spec`]). Simulating it
//! is then writing that one method.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::error::{Error, ErrorKind};
use crate::introspect::{Method, method_for};
use crate::operation::{Location, Operation};
use crate::spec::{Spec, reads};

/// For `sandbox/src/operations.rs`: `OPERATIONS` (each row routed to its
/// method), `DOMAINS`, one trait per tag and `Gateway`, all of them.
pub fn operations(spec: &Spec, methods: &[Method]) -> Result<String, Error> {
    let mut rows = Vec::new();
    let mut traits: Vec<(String, Vec<TokenStream>)> = Vec::new();
    let mut examples = Vec::new();
    for (index, op) in spec.operations.iter().enumerate() {
        let method = method_for(methods, op)?;
        let signature = Signature::of(op, method)?;
        // The sandbox checks every query with this schema, compiled when it
        // starts: one that does not compile fails here.
        if let Some(schema) = query_schema(op) {
            smartalex_schema::Schema::compile(&schema.to_string()).map_err(|e| {
                Error::op(
                    &op.operation_id,
                    ErrorKind::Invalid(format!("query parameters: {e}")),
                )
            })?;
        }
        let tag = trait_name(&op.domain);
        let call = signature.call(&tag, op);
        rows.push(row(op, &call));
        let decl = signature.declaration(op, index);
        let ok = &signature.ok;
        let id = &op.operation_id;
        examples.push(quote! {
            (#id, crate::operations::example::<#ok>(&OPERATIONS[#index]).map(drop))
        });
        match traits.iter_mut().find(|(name, _)| *name == tag) {
            Some((_, methods)) => methods.push(decl),
            None => traits.push((tag, vec![decl])),
        }
    }
    let domains = crate::spec::domains(spec);
    let count = spec.operations.len();
    let names: Vec<_> = traits
        .iter()
        .map(|(name, _)| format_ident!("{name}"))
        .collect();
    let trait_items = traits.iter().map(|(name, methods)| {
        let ident = format_ident!("{name}");
        let domain = spec
            .operations
            .iter()
            .find(|op| trait_name(&op.domain) == *name)
            .map(|op| op.domain.as_str())
            .unwrap_or_default();
        let doc = format!(" The operations tagged `{domain}`, as typed methods: each defaults to its documented example.");
        quote! {
            #[doc = #doc]
            pub(crate) trait #ident {
                #(#methods)*
            }
        }
    });
    crate::emit::finish(quote! {
        use ::smartalex::types;

        use crate::errors::ApiError;
        use crate::operations::{Access, Operation};
        use crate::routes::{Workspace, handle};

        /// Every operation of the spec, in the order it lists them.
        pub static OPERATIONS: [Operation; #count] = [#(#rows),*];

        /// The spec's tags, in first-use order: the domains a key may be limited to.
        pub static DOMAINS: &[&str] = &[#(#domains),*];

        #(#trait_items)*

        /// Every operation of the spec: what the sandbox implements.
        pub(crate) trait Gateway: #(#names)+* {}

        impl<T: #(#names)+*> Gateway for T {}

        /// Every operation's example read as its response type, as each
        /// method's default answers it.
        #[cfg(test)]
        pub(crate) fn examples_as_types() -> Vec<(&'static str, Result<(), ApiError>)> {
            vec![#(#examples),*]
        }
    })
}

/// A tag as a trait name: `phone_numbers` → `PhoneNumbers`.
fn trait_name(tag: &str) -> String {
    tag.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// One operation's method: what it takes besides the caller's workspace,
/// and what it answers.
struct Signature {
    /// The path's `{id}`, as the client takes it.
    id: Option<syn::Type>,
    /// The query parameters, in the client's order, with their types.
    query: Vec<(String, syn::Type)>,
    /// The request body's type.
    body: Option<syn::Type>,
    /// The success response's type.
    ok: syn::Type,
}

impl Signature {
    fn of(op: &Operation, method: &Method) -> Result<Self, Error> {
        let invalid = |m: String| Error::op(&op.operation_id, ErrorKind::Invalid(m));
        let mut signature = Signature {
            id: None,
            query: Vec::new(),
            body: None,
            ok: method.ok.clone().ok_or_else(|| {
                Error::op(
                    &op.operation_id,
                    ErrorKind::Drift("the client method has no success type".into()),
                )
            })?,
        };
        for arg in &method.args {
            if arg.name == "body" {
                signature.body = Some(owned(&arg.ty));
                continue;
            }
            let location = op
                .params
                .iter()
                .find(|p| p.name == arg.name)
                .map(|p| p.location);
            match location {
                Some(Location::Path) if arg.name == "id" => signature.id = Some(owned(&arg.ty)),
                Some(Location::Path) => {
                    return Err(invalid(format!(
                        "path parameter `{}`: the sandbox routes only `{{id}}`",
                        arg.name
                    )));
                }
                _ => signature.query.push((arg.name.clone(), owned(&arg.ty))),
            }
        }
        Ok(signature)
    }

    /// The trait method, defaulting to the example of `OPERATIONS[index]`.
    fn declaration(&self, op: &Operation, index: usize) -> TokenStream {
        let name = format_ident!("{}", op.operation_id);
        let doc = format!(" `{} {}`: {}.", op.method, op.path, op.title);
        let ok = &self.ok;
        let mut params = vec![quote!(workspace: Workspace)];
        let mut unused = vec![quote!(workspace)];
        if let Some(ty) = &self.id {
            params.push(quote!(id: #ty));
            unused.push(quote!(id));
        }
        for (name, ty) in &self.query {
            let ident = format_ident!("{name}");
            params.push(quote!(#ident: #ty));
            unused.push(quote!(#ident));
        }
        if let Some(ty) = &self.body {
            params.push(quote!(body: #ty));
            unused.push(quote!(body));
        }
        quote! {
            #[doc = #doc]
            fn #name(&self, #(#params),*)
                -> impl ::std::future::Future<Output = Result<#ok, ApiError>> + Send
            {
                let _ = (#(#unused,)*);
                async { crate::operations::example(&OPERATIONS[#index]) }
            }
        }
    }

    /// The row's route: the admitted call's pieces, into the method.
    fn call(&self, tag: &str, op: &Operation) -> TokenStream {
        let tag = format_ident!("{tag}");
        let name = format_ident!("{}", op.operation_id);
        let mut args = vec![quote!(call.workspace()?)];
        if self.id.is_some() {
            args.push(quote!(call.id()?));
        }
        for (name, _) in &self.query {
            args.push(quote!(call.param(#name)?));
        }
        if self.body.is_some() {
            args.push(quote!(call.body()?));
        }
        quote! {
            |op, filter| handle(op, filter, |app, mut call| async move {
                #tag::#name(&app, #(#args),*).await
            })
        }
    }
}

/// `&'a T` → `T`, `Option<&'a T>` → `Option<T>`: the method owns what
/// the client borrows.
fn owned(ty: &syn::Type) -> syn::Type {
    match ty {
        syn::Type::Reference(r) => (*r.elem).clone(),
        syn::Type::Path(p) => {
            let mut p = p.clone();
            if let Some(last) = p.path.segments.last_mut()
                && let syn::PathArguments::AngleBracketed(args) = &mut last.arguments
            {
                for arg in &mut args.args {
                    if let syn::GenericArgument::Type(t) = arg {
                        *t = owned(t);
                    }
                }
            }
            syn::Type::Path(p)
        }
        other => other.clone(),
    }
}

/// The query parameters as one JSON Schema object (each parameter's
/// schema, the required ones listed; unknown parameters pass, as at the
/// gateway), for the checker the request body goes through.
fn query_schema(op: &Operation) -> Option<serde_json::Value> {
    let params: Vec<_> = op
        .params
        .iter()
        .filter(|p| p.location == Location::Query)
        .collect();
    if params.is_empty() {
        return None;
    }
    let properties: serde_json::Map<String, serde_json::Value> = params
        .iter()
        .map(|p| (p.name.clone(), p.schema.clone()))
        .collect();
    let required: Vec<&str> = params
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name.as_str())
        .collect();
    Some(serde_json::json!({"type": "object", "properties": properties, "required": required}))
}

/// One `Operation` of the table.
fn row(op: &Operation, route: &TokenStream) -> TokenStream {
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
    let query = match query_schema(op) {
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
            query: #query,
            example: #example,
            route: #route,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_trait_names() {
        assert_eq!(trait_name("contacts"), "Contacts");
        assert_eq!(trait_name("phone_numbers"), "PhoneNumbers");
        assert_eq!(trait_name("sms-inbox"), "SmsInbox");
    }

    #[test]
    fn access_follows_the_method() {
        assert!(reads("GET") && reads("HEAD"));
        for method in ["POST", "PATCH", "PUT", "DELETE"] {
            assert!(!reads(method), "{method}");
        }
    }
}
