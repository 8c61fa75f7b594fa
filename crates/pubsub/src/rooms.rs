//! Which local connections listen to which channel.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use sockeye_server::ConnId;

/// Channel name → the local connections subscribed to it.
#[derive(Debug, Default)]
pub(crate) struct Rooms {
    rooms: Mutex<HashMap<String, BTreeSet<ConnId>>>,
}

impl Rooms {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, BTreeSet<ConnId>>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn join(&self, channel: &str, id: ConnId) {
        self.lock()
            .entry(channel.to_owned())
            .or_default()
            .insert(id);
    }

    pub(crate) fn leave(&self, channel: &str, id: ConnId) {
        let mut rooms = self.lock();
        if let Some(members) = rooms.get_mut(channel) {
            members.remove(&id);
            if members.is_empty() {
                rooms.remove(channel);
            }
        }
    }

    pub(crate) fn leave_all(&self, id: ConnId) {
        self.lock().retain(|_, members| {
            members.remove(&id);
            !members.is_empty()
        });
    }

    pub(crate) fn members(&self, channel: &str) -> Vec<ConnId> {
        self.lock()
            .get(channel)
            .map(|m| m.iter().copied().collect())
            .unwrap_or_default()
    }
}
