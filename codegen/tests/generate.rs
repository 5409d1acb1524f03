//! The generator's promises, tested on the real spec and on broken copies.

use smartalex_mcp_codegen::{ErrorKind, generate};

const SPEC: &str = include_str!("../../openapi/gateway.yaml");

#[test]
fn generated_surfaces_are_pinned() {
    let g = generate(SPEC).expect("the real spec generates");
    assert_eq!(g.spec.operations.len(), 28);
    // Generated files say so, and must parse as Rust.
    for (name, src) in [
        ("tools", &g.tools),
        ("dispatch", &g.dispatch),
        ("client", &g.client),
        ("operations", &g.operations),
    ] {
        assert!(
            src.starts_with("// @generated"),
            "{name} lacks the @generated marker"
        );
        syn::parse_file(src).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
    }
    insta::assert_snapshot!("dispatch", g.dispatch);
    insta::assert_snapshot!("tools", g.tools);
    insta::assert_snapshot!("operations", g.operations);
    insta::assert_snapshot!("sdk_surface", sdk_surface(&g.client));
}

/// The SDK's public surface, a line per item: every struct of `types` with
/// its fields, every enum with its variants, every `Client` method with its
/// parameters and success type. What a spec change changes for an SDK user,
/// as a diff a reviewer can read (the client itself is thousands of lines).
fn sdk_surface(client: &str) -> String {
    use quote::ToTokens;
    // Tokens without their spaces, and without the methods' one lifetime.
    let compact = |t: &dyn ToTokens| {
        t.to_token_stream()
            .to_string()
            .replace(' ', "")
            .replace("&'a", "&")
    };
    let file = syn::parse_file(client).expect("the client parses");
    let mut lines = Vec::new();
    for item in &file.items {
        match item {
            syn::Item::Mod(types) if types.ident == "types" => {
                let items = types.content.iter().flat_map(|(_, items)| items);
                for item in items {
                    match item {
                        syn::Item::Struct(s) => {
                            let fields: Vec<String> = s
                                .fields
                                .iter()
                                .map(|f| match &f.ident {
                                    Some(name) => format!("{name}: {}", compact(&f.ty)),
                                    None => compact(&f.ty),
                                })
                                .collect();
                            lines.push(format!("struct {} {{ {} }}", s.ident, fields.join(", ")));
                        }
                        syn::Item::Enum(e) => {
                            let variants: Vec<String> =
                                e.variants.iter().map(|v| v.ident.to_string()).collect();
                            lines.push(format!("enum {} {{ {} }}", e.ident, variants.join(", ")));
                        }
                        _ => {}
                    }
                }
            }
            syn::Item::Impl(imp) if imp.trait_.is_none() && compact(&imp.self_ty) == "Client" => {
                for item in &imp.items {
                    let syn::ImplItem::Fn(f) = item else { continue };
                    if !matches!(f.vis, syn::Visibility::Public(_)) {
                        continue;
                    }
                    let args: Vec<String> = f
                        .sig
                        .inputs
                        .iter()
                        .filter_map(|a| match a {
                            syn::FnArg::Typed(t) => {
                                Some(format!("{}: {}", compact(&t.pat), compact(&t.ty)))
                            }
                            syn::FnArg::Receiver(_) => None,
                        })
                        .collect();
                    let ok = match &f.sig.output {
                        syn::ReturnType::Type(_, ty) => compact(ty),
                        syn::ReturnType::Default => "()".to_owned(),
                    };
                    lines.push(format!("fn {}({}) -> {ok}", f.sig.ident, args.join(", ")));
                }
            }
            _ => {}
        }
    }
    lines.join("\n")
}

#[test]
fn every_operation_has_exactly_one_dispatch_arm() {
    let g = generate(SPEC).unwrap();
    for op in &g.spec.operations {
        // One arm in `dispatch()`, one in `explain()`.
        let arm = format!("\"{}\" =>", op.tool_name);
        assert_eq!(g.dispatch.matches(&arm).count(), 2, "{}", op.tool_name);
        let compact: String = g.dispatch.split_whitespace().collect();
        let call = format!("request(client,::reqwest::Method::{},", op.method);
        let arm_at = compact.find(&arm.replace(' ', "")).unwrap();
        assert!(
            compact[arm_at..].find(&call) < compact[arm_at..].find("send(client,request,"),
            "{} does not build a {} request",
            op.tool_name,
            op.method
        );
    }
}

/// The design promise: a new endpoint is YAML only. Add an operation to a
/// copy of the spec and the generator emits a tool, its schema and a
/// dispatch arm that calls the new client method, with no Rust written.
#[test]
fn adding_an_operation_to_the_spec_adds_a_dispatchable_tool() {
    let extra = r#"
  /calls/{id}/recording:
    get:
      operationId: get_call_recording
      tags: [calls]
      summary: Get call recording
      description: Get the recording URL of a completed call. Use it to listen to a call.
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
        - {name: format, in: query, schema: {type: string, enum: [mp3, wav]}}
      responses:
        "200":
          description: The recording.
          content:
            application/json:
              schema:
                type: object
                required: [url]
                properties:
                  url: {type: string, format: uri}
                  duration_seconds: {type: integer}
              example: {url: "https://example.com/recordings/1.mp3", duration_seconds: 42}
"#;
    let spec = SPEC.replacen("\npaths:\n", &format!("\npaths:{extra}"), 1);
    assert!(spec != SPEC, "the spec has a top-level `paths:`");
    let before = generate(SPEC).unwrap();
    let after = generate(&spec).expect("the extended spec generates");
    assert_eq!(
        after.spec.operations.len(),
        before.spec.operations.len() + 1
    );

    let op = after
        .spec
        .operation("smartalex_get_call_recording")
        .expect("a new tool");
    assert_eq!(op.domain, "calls");
    assert_eq!(op.action, "get call recording");
    assert_eq!(op.annotations.read_only, Some(true));
    assert_eq!(
        op.input_schema["properties"]["format"]["enum"],
        serde_json::json!(["mp3", "wav"])
    );
    assert_eq!(op.input_schema["required"], serde_json::json!(["id"]));

    assert!(
        after
            .tools
            .contains("name: \"smartalex_get_call_recording\"")
    );
    assert!(
        after
            .dispatch
            .contains("\"smartalex_get_call_recording\" =>")
    );
    let compact: String = after.dispatch.split_whitespace().collect();
    for piece in [
        "request(client,::reqwest::Method::GET,&format!(\"/calls/{}/recording\",::progenitor_client::encode_path(&id.to_string()))",
        ".query(&::progenitor_client::QueryParam::new(\"format\",&format))",
        "serde_json::from_slice::<types::GetCallRecordingResponse>(body)",
    ] {
        assert!(compact.contains(piece), "{piece}\n{}", after.dispatch);
    }
    assert!(
        after
            .client
            .contains("pub async fn get_call_recording<'a>(")
    );
    syn::parse_file(&after.dispatch).expect("the new arm is valid Rust");
    // The sandbox routes it, as a read of `calls`, its query checked against
    // the parameter's schema, to a new method of the `calls` trait that
    // takes and returns the SDK's types and answers the example by default.
    let compact: String = after.operations.split_whitespace().collect();
    for piece in [
        r#"id:"get_call_recording",method:"GET",path:"/calls/{id}/recording",domain:"calls",access:Access::Read,status:200u16,body:None,query:Some("{\"type\":\"object\",\"properties\":{\"format\":{\"type\":\"string\",\"enum\":[\"mp3\",\"wav\"]}},\"required\":[]}",),example:"{\"url\":\"https://example.com/recordings/1.mp3\",\"duration_seconds\":42}","#,
        "Calls::get_call_recording(&app,call.workspace()?,call.id()?,call.param(\"format\")?,)",
        "fnget_call_recording(&self,workspace:Workspace,id:::uuid::Uuid,format:Option<types::GetCallRecordingFormat>,)->impl::std::future::Future<Output=Result<types::GetCallRecordingResponse,ApiError>,>+Send{let_=(workspace,id,format);async{crate::operations::example(&OPERATIONS[0usize])}}",
    ] {
        assert!(compact.contains(piece), "{piece}\n{}", after.operations);
    }
}

fn broken(from: &str, to: &str) -> smartalex_mcp_codegen::Error {
    let spec = SPEC.replacen(from, to, 1);
    assert!(spec != SPEC, "`{from}` not found in the spec");
    generate(&spec).expect_err("a broken spec must not generate")
}

/// The spec with the success example of `operation` cut out.
fn without_example(operation: &str) -> smartalex_mcp_codegen::Error {
    let at = SPEC
        .find(&format!("operationId: {operation}\n"))
        .expect("the operation");
    let start = at
        + SPEC[at..]
            .find("\n              example:")
            .expect("its example");
    let rest = &SPEC[start + 1..];
    // The example ends where the next line is indented no deeper than it.
    let mut end = start + 1 + rest.find('\n').unwrap_or(rest.len());
    for line in SPEC[end..].split_inclusive('\n').skip(1) {
        if line.starts_with("               ") {
            end += line.len();
        } else {
            break;
        }
    }
    let spec = format!("{}{}", &SPEC[..start], &SPEC[end..]);
    assert!(SPEC[start..end].contains("status: healthy") || operation != "get_platform_status");
    generate(&spec).expect_err("an operation without an example must not generate")
}

#[test]
fn a_bad_spec_fails_with_one_line_naming_the_operation() {
    let cases = [
        broken("operationId: list_contacts", "operationId: ListContacts"),
        broken(
            "operationId: get_platform_status",
            "operationId: get_platform_status_and_every_single_usage_counter_there_is_today",
        ),
        broken(
            "operationId: list_deals\n      tags: [deals]",
            "operationId: list_deals\n      tags: [deals, pipeline]",
        ),
        broken(
            "$ref: '#/components/schemas/ContactCreate'",
            "$ref: '#/components/schemas/Nope'",
        ),
        without_example("get_platform_status"),
        broken("status: healthy", "status: sleepy"),
        broken(
            "ContactCreate:\n      type: object\n      additionalProperties: false\n",
            "ContactCreate:\n      type: object\n",
        ),
        broken(
            "company: {type: string, maxLength: 200}\n        tags",
            "company: {type: string, maxLength: 200, pattern: '(['}\n        tags",
        ),
    ];
    let lines: Vec<String> = cases.iter().map(ToString::to_string).collect();
    for (err, line) in cases.iter().zip(&lines) {
        assert!(err.operation().is_some(), "{line}");
        assert!(!line.contains('\n'), "one line: {line}");
    }
    assert!(lines[0].starts_with("operation `ListContacts`: operationId must be snake_case"));
    assert!(lines[1].contains("MCP clients accept at most 64"));
    assert!(lines[2].contains("needs exactly one tag"));
    assert!(
        matches!(cases[3].kind(), ErrorKind::Reference(_)),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("operation `get_platform_status`: the 200 response has no `example`")
    );
    assert!(
        lines[5].contains("`example` does not match its schema at `status`"),
        "{}",
        lines[5]
    );
    assert!(
        lines[6].starts_with(
            "operation `create_contact`: requestBody schema must set `additionalProperties: false`"
        ),
        "{}",
        lines[6]
    );
    // The sandbox compiles this schema at start-up: the build must have.
    assert!(
        lines[7].starts_with("operation `create_contact`: requestBody schema: pattern (["),
        "{}",
        lines[7]
    );
    insta::assert_snapshot!("bad_spec_errors", lines.join("\n"));
}

#[test]
fn shapes_progenitor_would_panic_on_are_caught_first() {
    // A path parameter missing from the template makes progenitor panic.
    let e = broken("/contacts/{id}:", "/contacts/{contact_id}:");
    assert!(
        e.to_string()
            .contains("path segment `{contact_id}` has no path parameter"),
        "{e}"
    );
    // Two success responses make progenitor panic too.
    let e = broken(
        "'201':",
        "'200':\n          description: also ok\n          content: {application/json: {schema: {type: object}}}\n        '201':",
    );
    assert!(e.to_string().contains("exactly one 2xx response"), "{e}");
}

fn openapi_files() -> std::collections::BTreeMap<String, String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/mcp");
    let mut files = std::collections::BTreeMap::new();
    for sub in ["prompts", "resources"] {
        for entry in std::fs::read_dir(root.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(
                format!("mcp/{sub}/{name}"),
                std::fs::read_to_string(&path).unwrap(),
            );
        }
    }
    files
}

/// Prompts and resources are files under `openapi/`: adding one is a file,
/// and a prompt naming a tool or resource that doesn't exist fails the build.
#[test]
fn prompts_and_resources_come_from_files_only() {
    let mut files = openapi_files();
    let base =
        smartalex_mcp_codegen::generate_all(SPEC, &files).expect("the real surface generates");
    assert_eq!(base.surface.resources.len(), 7);
    assert_eq!(base.surface.templates.len(), 3);
    assert_eq!(base.surface.prompts.len(), 5);

    files.insert(
        "mcp/prompts/win-back.md".into(),
        "---\nname: win-back\ntitle: Win back\ndescription: Re-engage lost deals\narguments:\n  - name: months\n    description: How far back to look\n    required: true\nresources: [\"smartalex://deals/pipeline\"]\n---\nFind deals lost in the last {{months}} months with smartalex_list_deals (stage closed_lost) and propose a campaign.\n".into(),
    );
    files.insert(
        "mcp/resources/faq.md".into(),
        "---\nuri: smartalex://faq\nname: faq\ntitle: FAQ\ndescription: Answers to common questions\n---\nUse smartalex_get_platform_status to check health.\n".into(),
    );
    let more = smartalex_mcp_codegen::generate_all(SPEC, &files).unwrap();
    assert_eq!(more.surface.prompts.len(), 6);
    assert!(more.surface_src.contains("name: \"win-back\""));
    assert!(more.surface_src.contains("uri: \"smartalex://faq\""));

    let mut bad = files.clone();
    bad.insert(
        "mcp/prompts/broken.md".into(),
        "---\nname: broken\ntitle: B\ndescription: B\n---\nCall smartalex_launch_rockets now.\n"
            .into(),
    );
    let e = smartalex_mcp_codegen::generate_all(SPEC, &bad)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "mcp/prompts/broken.md: names tool `smartalex_launch_rockets`, which does not exist"
    );

    let mut bad = files.clone();
    bad.insert("mcp/prompts/typo.md".into(), "---\nname: typo\ntitle: T\ndescription: T\narguments:\n  - {name: goal, description: g}\n---\nGoal: {{gaol}}\n".into());
    let e = smartalex_mcp_codegen::generate_all(SPEC, &bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`{{gaol}}` is not a declared argument"), "{e}");

    let mut bad = files.clone();
    bad.insert(
        "mcp/prompts/uri.md".into(),
        "---\nname: uri\ntitle: U\ndescription: U\n---\nRead smartalex://deals/everything first.\n"
            .into(),
    );
    let e = smartalex_mcp_codegen::generate_all(SPEC, &bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("names resource `smartalex://deals/everything`"),
        "{e}"
    );
}

/// A prompt argument's values are checked from the spec: an id argument
/// (`complete: <domain>`) against the domain's `get_…` tool, and one with
/// `values_of: <tool>.<argument>` against that tool argument's schema.
#[test]
fn prompt_argument_checks_come_from_the_spec() {
    let mut files = openapi_files();
    let g = smartalex_mcp_codegen::generate_all(SPEC, &files).unwrap();
    let prompt = |name: &str| {
        g.surface
            .prompts
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .clone()
    };
    let strategy = prompt("campaign-strategy");
    let agent = &strategy.checks[1];
    assert_eq!(
        agent.lookup,
        Some(("smartalex_get_agent".to_owned(), "id".to_owned()))
    );
    assert_eq!(
        agent.schema,
        Some(serde_json::json!({"type": "string", "format": "uuid"}))
    );
    assert_eq!(strategy.checks[0], Default::default(), "free text");
    let stage = &prompt("pipeline-review").checks[0];
    assert_eq!(stage.lookup, None);
    assert_eq!(
        stage.schema.as_ref().unwrap()["enum"],
        serde_json::json!([
            "lead",
            "qualified",
            "showing",
            "offer",
            "under_contract",
            "closed_won",
            "closed_lost"
        ])
    );
    assert!(
        g.surface_src.contains("lookup: Some(Lookup {"),
        "the table carries the lookups"
    );

    // A domain with no `get_…` tool: ids are only shaped by the list's ids
    // (the server looks through the list).
    files.insert(
        "mcp/prompts/deal-review.md".into(),
        "---\nname: deal-review\ntitle: D\ndescription: D\narguments:\n  - {name: deal_id, description: d, complete: deals}\n---\nReview deal {{deal_id}} with smartalex_update_deal.\n".into(),
    );
    let more = smartalex_mcp_codegen::generate_all(SPEC, &files).unwrap();
    let deal = &more
        .surface
        .prompts
        .iter()
        .find(|p| p.name == "deal-review")
        .unwrap()
        .checks[0];
    assert_eq!(deal.lookup, None);
    assert_eq!(deal.schema.as_ref().unwrap()["format"], "uuid");

    let fails = |front: &str| {
        let mut bad = openapi_files();
        bad.insert(
            "mcp/prompts/bad.md".into(),
            format!("---\nname: bad\ntitle: B\ndescription: B\narguments:\n  - {front}\n---\nUse {{{{x}}}}.\n"),
        );
        smartalex_mcp_codegen::generate_all(SPEC, &bad)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        fails("{name: x, description: d, values_of: smartalex_list_deals.stages}"),
        "mcp/prompts/bad.md: argument `x` takes the values of `stages`, which is not an argument of smartalex_list_deals"
    );
    assert_eq!(
        fails("{name: x, description: d, values_of: smartalex_list_deels.stage}"),
        "mcp/prompts/bad.md: argument `x` takes the values of tool `smartalex_list_deels`, which does not exist"
    );
    assert_eq!(
        fails("{name: x, description: d, values_of: stage}"),
        "mcp/prompts/bad.md: argument `x` has `values_of: stage`, which is not `<tool>.<argument>`"
    );
    assert!(
        fails("{name: x, description: d, values_of: smartalex_list_deals.per_page}")
            .contains("which is not a string (prompt arguments are strings)")
    );
    assert!(
        fails("{name: x, description: d, complete: agents, values_of: smartalex_list_deals.stage}")
            .contains("has both `complete` and `values_of`")
    );
}
