//! The state a simulator's routes share: the clock, the simulator's store behind a lock,
//! the client its posts to the shop go out with, and the rounds that deliver what is due,
//! run on request or, when the application asks for it, by a background task about once a
//! second.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use crate::Clock;

/// State shared by one simulator's routes, around its store `S`.
pub struct Shared<S> {
    /// Where the simulator reads the current time.
    pub clock: Clock,
    store: Mutex<S>,
    /// Posts to the shop go out with this client.
    pub client: reqwest::Client,
    /// Held by a delivery round, so rounds never overlap.
    pub delivering: tokio::sync::Mutex<()>,
    /// Whether a background task runs the delivery rounds.
    background: bool,
    /// Set once the background task runs.
    started: OnceLock<()>,
}

impl<S> Shared<S> {
    /// The state around `store`; with `background` a task started by [`wake`] delivers
    /// what is due.
    pub fn new(clock: Clock, store: S, client: reqwest::Client, background: bool) -> Self {
        Self {
            clock,
            store: Mutex::new(store),
            client,
            delivering: tokio::sync::Mutex::new(()),
            background,
            started: OnceLock::new(),
        }
    }

    /// The store, even if a handler panicked while holding it.
    pub fn lock(&self) -> MutexGuard<'_, S> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Start the background task on first use when `shared` asks for one: about once a second
/// it runs `round`. The task holds only a weak reference, so it ends when the router is
/// dropped; outside a Tokio runtime nothing starts.
pub fn wake<S, R, F>(shared: &Arc<Shared<S>>, round: R)
where
    S: Send + 'static,
    R: Fn(Arc<Shared<S>>) -> F + Send + 'static,
    F: Future<Output = ()> + Send,
{
    if !shared.background {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    shared.started.get_or_init(|| {
        let weak = Arc::downgrade(shared);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let Some(shared) = weak.upgrade() else {
                    break;
                };
                round(shared).await;
            }
        });
    });
}
