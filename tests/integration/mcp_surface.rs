//! Resources, templates, prompts, structured output, confirmations and
//! progress: pinned by snapshots, and driven end to end by the official
//! Python SDK against the embedded sandbox.

use serde_json::{Value, json};

use crate::common::stdio::StdioServer;
use crate::common::{bin, clients, fenced};

async fn list(method: &str, key: &str) -> Value {
    let (mut s, _) = StdioServer::initialized(&[], &[]).await;
    let resp = s.request(method, json!({})).await;
    s.finish().await;
    resp["result"][key].clone()
}

#[tokio::test]
async fn lists_are_pinned() {
    let resources = list("resources/list", "resources").await;
    let uris: Vec<&str> = resources
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    for uri in [
        "smartalex://platform/status",
        "smartalex://agents",
        "smartalex://campaigns/active",
        "smartalex://calls/recent",
        "smartalex://deals/pipeline",
        "smartalex://contacts/stats",
        "smartalex://workflows",
    ] {
        assert!(uris.contains(&uri), "missing {uri}");
    }
    assert_eq!(uris.len(), 7);
    insta::assert_json_snapshot!("resources_list", resources);

    let templates = list("resources/templates/list", "resourceTemplates").await;
    let t: Vec<&str> = templates
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["uriTemplate"].as_str().unwrap())
        .collect();
    assert_eq!(
        t,
        [
            "smartalex://contacts/{id}",
            "smartalex://agents/{id}",
            "smartalex://calls/{id}"
        ]
    );
    insta::assert_json_snapshot!("resource_templates_list", templates);

    let prompts = list("prompts/list", "prompts").await;
    let mut names: Vec<&str> = prompts
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "agent-design",
            "call-analysis",
            "campaign-strategy",
            "lead-qualification",
            "pipeline-review"
        ]
    );
    insta::assert_json_snapshot!("prompts_list", prompts);

    // Every tool declares an object output schema.
    let tools = list("tools/list", "tools").await;
    let mut outputs = serde_json::Map::new();
    for t in tools.as_array().unwrap() {
        assert_eq!(t["outputSchema"]["type"], "object", "{}", t["name"]);
        outputs.insert(
            t["name"].as_str().unwrap().to_owned(),
            t["outputSchema"].clone(),
        );
    }
    insta::assert_json_snapshot!("tool_output_schemas", outputs);
}

#[tokio::test]
async fn every_prompt_renders_with_fixed_arguments() {
    let fixed = [
        (
            "campaign-strategy",
            json!({"goal": "book 20 viewings", "agent_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}),
        ),
        (
            "lead-qualification",
            json!({"criteria": "budget confirmed"}),
        ),
        ("agent-design", json!({})),
        (
            "call-analysis",
            json!({"campaign_id": "c1b2c3d4-e5f6-7890-abcd-ef1234567890", "focus": "why calls end early", "window": "last 7 days"}),
        ),
        ("pipeline-review", json!({"stage": "offer"})),
    ];
    let (mut s, _) = StdioServer::initialized(&[], &[]).await;
    let mut rendered = String::new();
    for (name, args) in fixed {
        let resp = s
            .request("prompts/get", json!({"name": name, "arguments": args}))
            .await;
        let messages = resp["result"]["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("{resp}"));
        let text = messages.last().unwrap()["content"]["text"]
            .as_str()
            .unwrap();
        assert!(!text.contains("{{"), "{name}: unrendered placeholder");
        rendered.push_str(&format!("## {name}\n{text}\n\n"));
    }
    // Required arguments are enforced, unknown ones named.
    let r = s
        .request(
            "prompts/get",
            json!({"name": "campaign-strategy", "arguments": {"gaol": "x"}}),
        )
        .await;
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("`gaol` is not an argument") && msg.contains("`goal` is required"),
        "{msg}"
    );
    s.finish().await;
    insta::assert_snapshot!("rendered_prompts", rendered);
}

/// Prompt arguments are checked like tool arguments: an id must be a UUID
/// naming a record of the workspace, an enum argument one of its values;
/// a refusal is invalid params naming the argument and how to recover.
#[tokio::test]
async fn prompt_arguments_are_checked_against_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let (mut s, _) =
        StdioServer::initialized(&["--sandbox", "--db", db.to_str().unwrap()], &[]).await;
    let agents = s.call("smartalex_list_agents", json!({})).await;
    let agent_id = agents["structuredContent"]["data"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{agents}"))
        .to_owned();
    let mut get = async |name: &str, args: Value| {
        s.request("prompts/get", json!({"name": name, "arguments": args}))
            .await
    };
    let refused = |r: &Value| -> String {
        assert_eq!(r["error"]["code"], -32602, "{r}");
        r["error"]["message"].as_str().unwrap().to_owned()
    };

    // The case: "20" is not an agent id.
    let r = get(
        "campaign-strategy",
        json!({"goal": "book 20 viewings", "agent_id": "20"}),
    )
    .await;
    assert_eq!(
        refused(&r),
        "Invalid arguments for prompt campaign-strategy: `agent_id` must be a UUID like \
         a1b2c3d4-e5f6-7890-abcd-ef1234567890 (got \"20\"). Use smartalex_list_agents \
         (or completion/complete on `agent_id`) to find valid IDs."
    );

    // A well-formed id of no agent in this workspace.
    let nobody = "00000000-0000-4000-8000-000000000000";
    let r = get(
        "campaign-strategy",
        json!({"goal": "book 20 viewings", "agent_id": nobody}),
    )
    .await;
    assert_eq!(
        refused(&r),
        format!(
            "Invalid arguments for prompt campaign-strategy: `agent_id` is not the id of any \
             agent in this workspace (got \"{nobody}\"). Verify the UUID is correct, or use \
             smartalex_list_agents (or completion/complete on `agent_id`) to find valid IDs; \
             resources are workspace-scoped."
        )
    );
    // So is a campaign id that is really an agent's.
    let r = get("call-analysis", json!({"campaign_id": agent_id})).await;
    assert!(
        refused(&r).contains("`campaign_id` is not the id of any campaign"),
        "{r}"
    );

    // A real agent renders.
    let r = get(
        "campaign-strategy",
        json!({"goal": "book 20 viewings", "agent_id": agent_id}),
    )
    .await;
    let messages = r["result"]["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    let text = messages.last().unwrap()["content"]["text"]
        .as_str()
        .unwrap();
    assert!(
        text.contains(&format!("Use the voice agent {agent_id} (read it")),
        "{text}"
    );

    // An enum argument: the deal stages, from the spec.
    let r = get("pipeline-review", json!({"stage": "won"})).await;
    assert_eq!(
        refused(&r),
        "Invalid arguments for prompt pipeline-review: `stage` must be one of: lead, qualified, \
         showing, offer, under_contract, closed_won, closed_lost (got \"won\")"
    );
    let r = get("pipeline-review", json!({"stage": "offer"})).await;
    assert!(r["result"]["messages"].is_array(), "{r}");
    // ... which completion offers.
    let r = s
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "pipeline-review"},
                   "argument": {"name": "stage", "value": "clo"}}),
        )
        .await;
    assert_eq!(
        r["result"]["completion"]["values"],
        json!(["closed_won", "closed_lost"])
    );
    s.finish().await;
}

#[test]
fn python_sdk_uses_the_whole_surface_against_the_sandbox() {
    let argv = ["--", bin(), "--sandbox", "--db", ":memory:"];
    let r = clients::python_report("surface_session.py", argv, &[]);

    // Capabilities tell the truth.
    let caps = r["capabilities"].as_object().unwrap();
    let mut declared: Vec<&str> = caps.keys().map(String::as_str).collect();
    declared.sort_unstable();
    assert_eq!(
        declared,
        ["completions", "logging", "prompts", "resources", "tools"]
    );
    assert_eq!(caps["resources"]["subscribe"], true);

    // Every resource read, with real content.
    let res = r["resources"].as_object().unwrap();
    assert_eq!(res.len(), smartalex_mcp::surface::RESOURCES.len());
    let pipeline: Value =
        serde_json::from_str(res["smartalex://deals/pipeline"]["text"].as_str().unwrap()).unwrap();
    let offer = pipeline["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "offer")
        .unwrap();
    assert_eq!(
        (offer["count"].as_u64(), offer["value"].as_f64()),
        (Some(1), Some(250000.0))
    );
    let agents: Value =
        serde_json::from_str(res["smartalex://agents"]["text"].as_str().unwrap()).unwrap();
    assert!(
        agents["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "Ava")
    );
    assert_eq!(res["smartalex://workflows"]["mimeType"], "text/markdown");
    assert!(
        res["smartalex://workflows"]["text"]
            .as_str()
            .unwrap()
            .contains("## 7.")
    );

    // Templates read single records.
    let ids = &r["ids"];
    let contact_uri = format!("smartalex://contacts/{}", ids["contact"].as_str().unwrap());
    assert_eq!(
        r["template_reads"][&contact_uri]["first_name"],
        fenced("Ada")
    );

    // Prompts embed their resources and render their arguments.
    for (name, messages) in r["prompts"].as_object().unwrap() {
        let m = messages.as_array().unwrap();
        assert!(
            m.iter().any(|x| x["type"] == "resource"),
            "{name} embeds no resource"
        );
        assert!(
            m.last().unwrap()["text"]
                .as_str()
                .unwrap()
                .contains("smartalex_"),
            "{name} names no tool"
        );
    }
    let strategy = r["prompts"]["campaign-strategy"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        strategy.contains("book 20 viewings") && strategy.contains(ids["agent"].as_str().unwrap())
    );

    // Completion offers real ids, matched on names.
    assert_eq!(r["completion"], json!([ids["agent"]]));
    assert_eq!(r["template_completion"], json!([ids["contact"]]));

    // A declined confirmation changes nothing; an accepted one goes ahead.
    assert_eq!(r["declined"]["isError"], true);
    assert!(
        r["declined"]["text"][0]
            .as_str()
            .unwrap()
            .contains("the user declined")
    );
    assert_eq!(r["after_decline"]["structured"]["total"], 1);
    assert_eq!(r["accepted"]["isError"], false, "{}", r["accepted"]);
    assert_eq!(r["after_accept"]["structured"]["total"], 0);
    let asked = r["asked"].as_array().unwrap();
    assert_eq!(asked.len(), 2);
    assert!(
        asked[0]
            .as_str()
            .unwrap()
            .starts_with("Permanently delete deal ")
    );

    // The text rendering is compact and has no nulls.
    for key in ["after_decline", "accepted", "after_accept"] {
        let text = r[key]["text"][0].as_str().unwrap();
        assert!(
            !text.contains("null") && !text.contains('\n') && !text.contains(": "),
            "{key}: {text}"
        );
    }
    // Structured content matches the text rendering.
    let accepted_text: Value =
        serde_json::from_str(r["accepted"]["text"][0].as_str().unwrap()).unwrap();
    assert_eq!(accepted_text, r["accepted"]["structured"]);

    // Progress on a long operation.
    assert_eq!(
        r["progress_call"]["isError"], false,
        "{}",
        r["progress_call"]
    );
    let progress = r["progress"].as_array().unwrap();
    assert!(progress.len() >= 2, "{progress:?}");
    assert_eq!(progress.last().unwrap()["message"], "Done");
    let values: Vec<f64> = progress
        .iter()
        .map(|p| p["progress"].as_f64().unwrap())
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] < w[1]),
        "progress must increase: {values:?}"
    );
}
