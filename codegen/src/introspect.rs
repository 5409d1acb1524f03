//! Reading the generated client back, so dispatch calls what really exists.
//!
//! The dispatch table is not derived a second time from the spec's parameter
//! lists: it is derived from the method signatures progenitor actually
//! emitted (names, order and Rust types). The spec is then checked against
//! those signatures, so if progenitor and our reading of the spec ever
//! disagree, the build fails here instead of a tool calling the wrong thing.

use std::collections::BTreeSet;

use crate::error::{Error, ErrorKind};
use crate::operation::Operation;

/// One argument of a generated client method.
#[derive(Debug, Clone)]
pub struct Arg {
    pub name: String,
    pub ty: syn::Type,
}

/// A `pub async fn` of the generated `impl Client`.
#[derive(Debug, Clone)]
pub struct Method {
    pub name: String,
    pub args: Vec<Arg>,
    /// `T` of the method's `Result<ResponseValue<T>, _>`: the success type.
    pub ok: Option<syn::Type>,
}

/// Every public method of `impl Client` in the generated source.
pub fn client_methods(client_src: &str) -> Result<Vec<Method>, Error> {
    let file = syn::parse_file(client_src)
        .map_err(|e| Error::spec(ErrorKind::Progenitor(format!("client does not parse: {e}"))))?;
    let mut out = Vec::new();
    for item in &file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || !is_client(&imp.self_ty) {
            continue;
        }
        for it in &imp.items {
            let syn::ImplItem::Fn(f) = it else { continue };
            if f.sig.asyncness.is_none() || !matches!(f.vis, syn::Visibility::Public(_)) {
                continue;
            }
            let args = f
                .sig
                .inputs
                .iter()
                .filter_map(|input| match input {
                    syn::FnArg::Typed(pt) => match &*pt.pat {
                        syn::Pat::Ident(id) => Some(Arg {
                            name: id.ident.to_string(),
                            ty: (*pt.ty).clone(),
                        }),
                        _ => None,
                    },
                    syn::FnArg::Receiver(_) => None,
                })
                .collect();
            out.push(Method {
                name: f.sig.ident.to_string(),
                args,
                ok: success_type(&f.sig.output),
            });
        }
    }
    Ok(out)
}

/// `T` in `-> Result<ResponseValue<T>, E>`.
fn success_type(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let first_arg = |ty: &syn::Type, name: &str| {
        let syn::Type::Path(p) = ty else { return None };
        let last = p.path.segments.last()?;
        if last.ident != name {
            return None;
        }
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
    };
    first_arg(&first_arg(ty, "Result")?, "ResponseValue")
}

fn is_client(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident("Client"))
}

/// The generated method for `op`, checked against the spec.
pub fn method_for<'a>(methods: &'a [Method], op: &Operation) -> Result<&'a Method, Error> {
    let drift = |m: String| Error::op(&op.operation_id, ErrorKind::Drift(m));
    let method = methods
        .iter()
        .find(|m| m.name == op.operation_id)
        .ok_or_else(|| drift("progenitor emitted no method of this name".into()))?;
    let emitted: BTreeSet<&str> = method
        .args
        .iter()
        .map(|a| a.name.as_str())
        .filter(|n| *n != "body")
        .collect();
    let declared: BTreeSet<&str> = op.params.iter().map(|p| p.name.as_str()).collect();
    if emitted != declared {
        return Err(drift(format!(
            "the client takes parameters {emitted:?}, the spec declares {declared:?}"
        )));
    }
    let has_body = method.args.iter().any(|a| a.name == "body");
    if has_body != op.body.is_some() {
        return Err(drift(format!(
            "the client {} a body, the spec {}",
            if has_body { "takes" } else { "takes no" },
            if op.body.is_some() {
                "declares one"
            } else {
                "declares none"
            },
        )));
    }
    Ok(method)
}
