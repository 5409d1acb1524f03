//! The loopback gateway the benchmarks call: fixed bytes for every GET (a
//! two-contact list) and an introspection endpoint that vouches for any key,
//! on its own thread and runtime so it does not share the client's.

use std::net::SocketAddr;

pub fn contact_list() -> &'static str {
    r#"{"data":[{"id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","phone":"+14155550123","created_at":"2026-11-01T10:00:00Z","updated_at":"2026-11-01T10:00:00Z"},{"id":"b1b2c3d4-e5f6-7890-abcd-ef1234567890","first_name":"Alan","created_at":"2026-11-01T10:00:00Z","updated_at":"2026-11-01T10:00:00Z"}],"page":1,"per_page":25,"total":2}"#
}

/// Start it; returns its address.
pub fn start_gateway() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route(
                    "/oauth/introspect",
                    axum::routing::post(|| async {
                        (
                            [("content-type", "application/json")],
                            r#"{"active":true,"token_type":"api_key","workspace_id":"bench","scope":"read write"}"#,
                        )
                    }),
                )
                .fallback(|| async { ([("content-type", "application/json")], contact_list()) });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}
