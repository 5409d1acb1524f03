//! The MCP server: rmcp's protocol handling around a [`Registry`].
//!
//! rmcp owns the protocol (JSON-RPC framing, `initialize` for 2025-11-25
//! clients and per-request `_meta` for 2026-07-28 ones); this type answers
//! the methods SmartAlex implements — tools, resources and their templates,
//! prompts, completions, and log messages about tool calls for clients that
//! ask (`crate::client_log`) — and declares exactly those capabilities, so
//! anything else gets method-not-found. So do the methods 2026-07-28
//! removed (`initialize`, `logging/setLevel`, …) when a request of that era
//! names them: the HTTP transport answers those 404, as SEP-2575 requires.
//!
//! It also owns what only the protocol layer can do for a tool call: asking
//! the user before a costly or destructive tool runs (elicitation on a
//! 2025-11-25 session, an input-required result on 2026-07-28), reporting
//! progress on long operations, and dropping a call the client cancelled.
//!
//! Only the user approves. When the client can ask, it is asked, whatever the
//! arguments say: `confirm: true` counts only for a client that cannot ask
//! (no elicitation capability). On 2026-07-28 an approval in `inputResponses`
//! counts only together with the `requestState` issued with the question,
//! sealed to this caller, tool and arguments ([`crate::confirm`]); any other
//! retry is asked again. A client that said it can ask but whose elicitation
//! fails gets a refusal, not the `confirm: true` fallback.
//!
//! It must never write to stdout itself: on stdio, stdout is the JSON-RPC
//! channel. Logs go through `tracing` to stderr.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

#[allow(deprecated)] // Logging: deprecated by SEP-2577, part of 2025-11-25.
use rmcp::model::SetLevelRequestParams;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult, CompletionInfo,
    CustomRequest, CustomResult, ElicitRequest, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationSchema, ErrorCode, GetPromptRequestParams, GetPromptResponse,
    Implementation, InputRequest, InputRequests, InputRequiredResult, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ProgressNotificationParam, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Reference, ServerCapabilities, ServerConfig,
};
use rmcp::model::{
    ResourceUpdatedNotification, ResourceUpdatedNotificationParam, ServerNotification,
    SubscriptionFilter,
};
#[allow(deprecated)] // resources/subscribe: legacy-only, part of 2025-11-25.
use rmcp::model::{SubscribeRequestParams, UnsubscribeRequestParams};
use rmcp::service::RequestContext;
use rmcp::service::SubscriptionContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::Value;

use crate::client_log::SessionLevel;
use crate::complete::Target;
use crate::confirm::{Question, Sealer};
use crate::error::CallError;
use crate::gateway::Gateway;
use crate::live::{Subscriptions, WatchError, Watcher};
use crate::prompts::PromptError;
use crate::registry::{Approval, Outcome, Registry};
use crate::resources::ReadError;

const INSTRUCTIONS: &str = "SmartAlex runs AI voice agents that call contacts in campaigns. \
Tools are prefixed smartalex_ and grouped by domain (contacts, agents, phone numbers, campaigns, \
calls, deals, webhooks, platform). Use the list_ tools to find ids; ids are UUIDs. \
Read smartalex://workflows for proven multi-step sequences. Failed calls explain how to recover.";

/// The key of the confirmation in an input-required round trip.
const CONFIRM_INPUT: &str = "confirm";

/// How often a long operation reports that it is still running.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// The SmartAlex MCP server. Cheap to clone: every session shares one
/// registry and one confirmation sealer.
#[derive(Debug, Clone)]
pub struct SmartAlexServer {
    registry: Arc<Registry>,
    sealer: Arc<Sealer>,
    spliced: bool,
    /// `logging/setLevel` of this session (each session has its own server).
    log_level: SessionLevel,
    /// This session's `resources/subscribe`s; dropping the last clone of the
    /// server (the session ends) stops their watch loop.
    subscriptions: Arc<Subscriptions>,
}

impl SmartAlexServer {
    pub fn new(registry: Arc<Registry>, sealer: Arc<Sealer>) -> Self {
        Self {
            registry,
            sealer,
            spliced: false,
            log_level: SessionLevel::default(),
            subscriptions: Arc::default(),
        }
    }

    /// Answer tool calls with placeholders that the transport replaces by
    /// the answer's bytes as it writes the message (`crate::splice`).
    /// Only for a transport that splices: this crate's stdio and HTTP ones.
    pub fn with_spliced_results(mut self) -> Self {
        self.spliced = true;
        self
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Who a watch loop started by this request watches for.
    fn watcher(&self, context: &RequestContext<RoleServer>) -> Watcher {
        #[cfg(feature = "http")]
        let workspace = caller(context).map(|c| c.workspace.clone());
        #[cfg(not(feature = "http"))]
        let workspace = None;
        Watcher {
            registry: Arc::clone(&self.registry),
            gateway: self.gateway(context),
            workspace,
        }
    }

    /// The gateway this request acts through: on HTTP, the one for the
    /// request's own credential (the HTTP layer put it in the request's
    /// extensions); otherwise the registry's. In HTTP mode the registry's
    /// gateway has no key, so a request that somehow arrives without a
    /// caller can reach nobody's data.
    fn gateway(&self, context: &RequestContext<RoleServer>) -> Arc<Gateway> {
        #[cfg(feature = "http")]
        if let Some(caller) = caller(context) {
            return caller.gateway.clone();
        }
        let _ = context;
        self.registry.gateway().clone()
    }
}

/// The HTTP caller of this request (the HTTP layer put it in the request's
/// extensions).
#[cfg(feature = "http")]
fn caller(context: &RequestContext<RoleServer>) -> Option<&crate::caller::Caller> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<crate::caller::Caller>())
}

/// Who a confirmation is bound to: on HTTP the caller's workspace and
/// credential; otherwise (stdio: one user, one credential) the process.
fn subject(context: &RequestContext<RoleServer>) -> [u8; 32] {
    #[cfg(feature = "http")]
    if let Some(caller) = caller(context) {
        return *crate::caller::Subject::of(caller).as_bytes();
    }
    let _ = context;
    [0u8; 32]
}

/// What the user said to a confirmation.
enum Answer {
    Approved,
    Declined,
    /// Ask again through an input-required result (2026-07-28).
    Ask(InputRequiredResult),
    /// The client cannot ask: require `confirm: true`.
    CannotAsk,
}

fn is_stateless(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}

fn elicit_params(question: &str) -> Option<ElicitRequestParams> {
    let schema = ElicitationSchema::builder()
        .required_bool(CONFIRM_INPUT)
        .description("Approve to go ahead; decline to cancel.")
        .build()
        .ok()?;
    Some(ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: question.to_owned(),
        requested_schema: schema,
    })
}

fn approved(result: &ElicitResult) -> bool {
    result.action == ElicitationAction::Accept
        && result
            .content
            .as_ref()
            .and_then(|c| c.get(CONFIRM_INPUT))
            .and_then(Value::as_bool)
            == Some(true)
}

impl SmartAlexServer {
    /// Ask the user `question`, however this client can be asked.
    async fn ask(
        &self,
        question: &str,
        request: &CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Answer {
        let can_elicit = context
            .client_capabilities()
            .is_some_and(|c| c.elicitation.is_some());
        let Some(params) = elicit_params(question).filter(|_| can_elicit) else {
            return Answer::CannotAsk;
        };
        if is_stateless(context) {
            return self.ask_by_input_required(params, request, context);
        }
        match context.peer.create_elicitation(params).await {
            Ok(r) if approved(&r) => Answer::Approved,
            Ok(_) => Answer::Declined,
            Err(e) => {
                // It said it can ask: a model's `confirm: true` must not
                // stand in for the user it failed to reach.
                tracing::warn!("elicitation failed; the tool does not run: {e}");
                Answer::Declined
            }
        }
    }

    /// 2026-07-28: no server-to-client requests. The first call gets the
    /// question and a sealed state; the retry's approval counts only with a
    /// state that verifies for this caller, tool and arguments. A decline
    /// needs no proof.
    fn ask_by_input_required(
        &self,
        params: ElicitRequestParams,
        request: &CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Answer {
        let no_args = serde_json::Map::new();
        let subject = subject(context);
        let bound = Question {
            subject: &subject,
            tool: &request.name,
            args: request.arguments.as_ref().unwrap_or(&no_args),
        };
        if let Some(answer) = request
            .input_responses
            .as_ref()
            .and_then(|r| r.get(CONFIRM_INPUT))
        {
            let said_yes =
                serde_json::from_value::<ElicitResult>(answer.clone()).is_ok_and(|r| approved(&r));
            if !said_yes {
                return Answer::Declined;
            }
            match self.sealer.redeem(request.request_state.as_deref(), &bound) {
                Ok(()) => return Answer::Approved,
                Err(why) => tracing::warn!(
                    tool = %request.name,
                    reason = %why,
                    "approval without a valid request state; asking again"
                ),
            }
        }
        let mut requests = InputRequests::new();
        requests.insert(
            CONFIRM_INPUT.to_owned(),
            InputRequest::Elicitation(ElicitRequest::new(params)),
        );
        Answer::Ask(InputRequiredResult::new(
            Some(requests),
            Some(self.sealer.issue(&bound)),
        ))
    }
}

impl ServerHandler for SmartAlexServer {
    /// Built once: rmcp asks for it at every `initialize`, and in stateless
    /// HTTP at every request, and takes it by value, so each gets a copy.
    fn get_info(&self) -> ServerConfig {
        static INFO: LazyLock<ServerConfig> = LazyLock::new(|| {
            let mut info = Implementation::new("smartalex-mcp", env!("CARGO_PKG_VERSION"));
            info.title = Some("SmartAlex".to_owned());
            #[allow(deprecated)] // Logging: deprecated by SEP-2577, part of 2025-11-25.
            let capabilities = ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_resources_subscribe()
                .enable_prompts()
                .enable_completions()
                .enable_logging()
                .build();
            ServerConfig::new(capabilities)
                .with_server_info(info)
                .with_instructions(format!("{INSTRUCTIONS} {}", crate::untrusted::NOTICE))
        });
        INFO.clone()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.registry.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(spec) = self.registry.spec(&request.name) else {
            return Err(McpError::invalid_params(
                format!(
                    "Unknown tool: {}. Call tools/list to see the tools this server offers.",
                    request.name
                ),
                None,
            ));
        };
        let mut approval = Approval::FromArguments;
        let no_args = serde_json::Map::new();
        let given = request.arguments.as_ref().unwrap_or(&no_args);
        // `confirmation` is `None` at once for the tools that never ask. A
        // client that can ask is asked even when the arguments say
        // `confirm: true`: only the user approves.
        if let Some(question) = spec.confirmation(given) {
            match self.ask(&question, &request, &context).await {
                Answer::Approved => approval = Approval::Granted,
                Answer::Declined => {
                    let text = CallError::Declined.message(spec);
                    return Ok(Outcome::Failed(text).into_result().into());
                }
                Answer::Ask(input_required) => return Ok(input_required.into()),
                // The registry requires `confirm: true`.
                Answer::CannotAsk => {}
            }
        }

        let gateway = self.gateway(&context);
        let call =
            self.registry
                .call_reported(&gateway, &request.name, request.arguments, approval);
        let stateless = is_stateless(&context);
        let log_level = &self.log_level;
        let context_ref = &context;
        // Boxed: a request's future is as large as its largest state, and
        // rmcp spawns a task holding one for every request it reads, a ping
        // as much as a call. Held inline, the call (its progress loop, its
        // log report) made each 20 KB; boxed, 6.6 KB.
        let call = Box::pin(async move {
            let (outcome, report) = call.await?;
            crate::client_log::report(context_ref, log_level, stateless, &report).await;
            Ok(outcome)
        });
        let progress_token = context
            .meta
            .get_progress_token()
            .filter(|_| spec.long_running);
        let outcome = tokio::select! {
            outcome = track(call, progress_token, &context) => outcome,
            () = context.ct.cancelled() => {
                tracing::info!(tool = %request.name, "call cancelled by the client");
                return Err(McpError::new(ErrorCode::INTERNAL_ERROR, "Request cancelled", None));
            }
        };
        match outcome {
            Ok(outcome) if self.spliced => Ok(outcome.into_spliced_result().into()),
            Ok(outcome) => Ok(outcome.into_result().into()),
            Err(e) => Err(McpError::internal_error(e.kind(), None)),
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(
            self.registry.resources(),
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            self.registry.resource_templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let gateway = self.gateway(&context);
        match self.registry.read_resource(&gateway, &request.uri).await {
            Ok(contents) => Ok(ReadResourceResult::new(vec![contents]).into()),
            Err(ReadError::NotFound(uri)) => Err(McpError::resource_not_found(
                format!(
                    "Resource not found: {uri}. Call resources/list and resources/templates/list to see what this server offers."
                ),
                // SEP-2164: the error names the URI it could not find.
                Some(serde_json::json!({ "uri": uri })),
            )),
            Err(ReadError::Failed(text)) => Err(McpError::internal_error(text, None)),
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(self.registry.prompts()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let gateway = self.gateway(&context);
        match self
            .registry
            .get_prompt(&gateway, &request.name, request.arguments)
            .await
        {
            Ok(result) => Ok(result.into()),
            Err(PromptError::NotFound(name)) => Err(McpError::invalid_params(
                format!(
                    "Unknown prompt: {name}. Call prompts/list to see the prompts this server offers."
                ),
                None,
            )),
            Err(PromptError::Arguments(why)) => Err(McpError::invalid_params(
                format!("Invalid arguments for prompt {}: {why}", request.name),
                None,
            )),
        }
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let gateway = self.gateway(&context);
        let argument = request.argument.name.as_str();
        let target = match &request.r#ref {
            Reference::Prompt(p) => Target::Prompt {
                name: &p.name,
                argument,
            },
            Reference::Resource(r) => Target::Template {
                uri: &r.uri,
                argument,
            },
            _ => return Ok(CompleteResult::new(CompletionInfo::default())),
        };
        let (values, more) = self
            .registry
            .complete(&gateway, target, &request.argument.value)
            .await;
        let total = u32::try_from(values.len()).ok();
        let mut info = CompletionInfo::new(values).unwrap_or_default();
        info.total = total;
        info.has_more = Some(more);
        Ok(CompleteResult::new(info))
    }

    #[allow(deprecated)] // resources/subscribe: the 2025-11-25 way.
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let first = self
            .subscriptions
            .add(&self.registry, &request.uri)
            .map_err(watch_error)?;
        if first {
            let watcher = self.watcher(&context);
            self.registry
                .live()
                .want(watcher.workspace.as_deref(), &watcher.gateway)
                .await;
            let watched = self.subscriptions.watched();
            let peer = context.peer.clone();
            tokio::spawn(crate::live::watch(
                watcher,
                watched,
                PeerUpdates(peer),
                tokio_util::sync::CancellationToken::new(),
            ));
        }
        Ok(())
    }

    #[allow(deprecated)] // resources/unsubscribe: the 2025-11-25 way.
    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.subscriptions.remove(&request.uri);
        Ok(())
    }

    /// 2026-07-28 `subscriptions/listen`: the served resources among those
    /// asked for (list changes are not offered: the surface is fixed).
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let uris: Vec<String> = requested
            .resource_subscriptions
            .iter()
            .flatten()
            .filter(|uri| crate::live::is_served(&self.registry, uri))
            .take(crate::live::MAX_SUBSCRIPTIONS)
            .cloned()
            .collect();
        let mut accepted = SubscriptionFilter::new();
        accepted.resource_subscriptions = Some(uris);
        Some(accepted)
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), McpError> {
        let subs = Subscriptions::default();
        for uri in context.accepted().resource_subscriptions.iter().flatten() {
            subs.add(&self.registry, uri).map_err(watch_error)?;
        }
        let watcher = self.watcher(context.request_context());
        self.registry
            .live()
            .want(watcher.workspace.as_deref(), &watcher.gateway)
            .await;
        let stop = tokio_util::sync::CancellationToken::new();
        tokio::select! {
            () = context.cancelled() => {}
            () = crate::live::watch(watcher, subs.watched(), SinkUpdates(context.sink()), stop.clone()) => {}
        }
        stop.cancel();
        Ok(())
    }

    #[allow(deprecated)] // Logging: deprecated by SEP-2577, part of 2025-11-25.
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        if is_stateless(&context) {
            return Err(removed("logging/setLevel"));
        }
        self.log_level.set(request.level);
        Ok(())
    }

    /// rmcp routes here both methods it does not know and known methods whose
    /// params did not deserialize. The second must not read "method not
    /// found": say which params are wrong.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, McpError> {
        let CustomRequest { method, params, .. } = request;
        if is_stateless(&context) && REMOVED_IN_2026.contains(&method.as_str()) {
            return Err(removed(&method));
        }
        let detail = match method.as_str() {
            "tools/call" => Some(
                serde_json::from_value::<CallToolRequestParams>(params.unwrap_or_default())
                    .err()
                    .map_or_else(
                        || "they do not match the MCP schema".to_owned(),
                        |e| e.to_string(),
                    ),
            ),
            m if KNOWN_METHODS.contains(&m) => Some("they do not match the MCP schema".to_owned()),
            _ => None,
        };
        Err(match detail {
            Some(detail) => {
                McpError::invalid_params(format!("Invalid params for {method}: {detail}"), None)
            }
            None => McpError::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("Method not found: {method}"),
                None,
            ),
        })
    }
}

/// Run `call`, and while it runs, tell the client it is still running (when
/// it asked for progress by sending a token).
async fn track<F>(
    call: F,
    token: Option<rmcp::model::ProgressToken>,
    context: &RequestContext<RoleServer>,
) -> Result<Outcome, CallError>
where
    F: Future<Output = Result<Outcome, CallError>>,
{
    let Some(token) = token else {
        return call.await;
    };
    let started = Instant::now();
    let notify = |progress: f64, total: Option<f64>, message: String| {
        let mut p = ProgressNotificationParam::new(token.clone(), progress);
        p.total = total;
        p.message = Some(message);
        let peer = context.peer.clone();
        async move {
            if let Err(e) = peer.notify_progress(p).await {
                tracing::debug!("progress notification not sent: {e}");
            }
        }
    };
    notify(0.0, None, "Sent to SmartAlex".to_owned()).await;
    tokio::pin!(call);
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    let mut step = 0.0;
    let outcome = loop {
        tokio::select! {
            outcome = &mut call => break outcome,
            _ = ticks.tick() => {
                step += 1.0;
                notify(step, None, format!("Waiting for SmartAlex ({:.1} s)", started.elapsed().as_secs_f64())).await;
            }
        }
    };
    notify(step + 1.0, Some(step + 1.0), "Done".to_owned()).await;
    outcome
}

fn watch_error(e: WatchError) -> McpError {
    match e {
        WatchError::NotFound(uri) => McpError::resource_not_found(
            format!(
                "Resource not found: {uri}. Call resources/list and resources/templates/list to see what this server offers."
            ),
            Some(serde_json::json!({ "uri": uri })),
        ),
        WatchError::TooMany => McpError::invalid_params(
            format!(
                "At most {} resources can be watched at once: unsubscribe from one first.",
                crate::live::MAX_SUBSCRIPTIONS
            ),
            None,
        ),
    }
}

/// Updates for a 2025-11-25 session: `notifications/resources/updated`.
struct PeerUpdates(rmcp::Peer<RoleServer>);

impl crate::live::Notify for PeerUpdates {
    async fn updated(&self, uri: String) -> bool {
        self.0
            .notify_resource_updated(ResourceUpdatedNotificationParam::new(uri))
            .await
            .is_ok()
    }
}

/// Updates on a 2026-07-28 `subscriptions/listen` stream.
struct SinkUpdates<'a>(&'a rmcp::service::SubscriptionSink);

impl crate::live::Notify for SinkUpdates<'_> {
    async fn updated(&self, uri: String) -> bool {
        let update = ResourceUpdatedNotification::new(ResourceUpdatedNotificationParam::new(uri));
        self.0
            .send(ServerNotification::ResourceUpdatedNotification(update))
            .await
            .is_ok()
    }
}

/// Request methods 2026-07-28 removed (SEP-2575): a request of that era
/// naming one gets "method not found" (404 over HTTP), whatever its params.
const REMOVED_IN_2026: &[&str] = &[
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
];

fn removed(method: &str) -> McpError {
    McpError::new(
        ErrorCode::METHOD_NOT_FOUND,
        format!("Method not found: {method} is not part of protocol version 2026-07-28"),
        None,
    )
}

/// MCP request methods: a malformed one is invalid params, not unknown.
const KNOWN_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "server/discover",
];
