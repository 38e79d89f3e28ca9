//! Leader election on a coordination.k8s.io Lease with kube-lease-manager: every replica
//! campaigns for the Lease, one holds it, and the others take over once it expires.

use std::time::Duration;

use kube_lease_manager::LeaseManagerBuilder;
use tokio::sync::watch;

/// Starts campaigning; the receiver says whether this replica leads now.
pub async fn campaign(
    client: kube::Client,
    namespace: &str,
    lease: &str,
    identity: &str,
    lease_seconds: u64,
) -> Result<(watch::Receiver<bool>, tokio::task::JoinHandle<()>), String> {
    // The crate asserts 0 < grace < duration; keep to that whatever the flag says.
    let duration = lease_seconds.max(3);
    let grace = (duration / 3).max(1);
    let manager = LeaseManagerBuilder::new(client, lease)
        .with_namespace(namespace)
        .with_identity(identity)
        .with_duration(duration)
        .with_grace(grace)
        .with_field_manager("seer-operator")
        .build()
        .await
        .map_err(|e| format!("cannot set up leader election on Lease {namespace}/{lease}: {e}"))?;
    let (channel, task) = manager.watch().await;
    let handle = tokio::spawn(async move {
        if let Ok(Err(e)) = task.await {
            eprintln!("seer-operator: leader election stopped: {e}");
        }
    });
    Ok((channel, handle))
}

/// Waits until `leading` turns true (or the channel closes: false).
pub async fn until_leading(leading: &mut watch::Receiver<bool>) -> bool {
    loop {
        if *leading.borrow_and_update() {
            return true;
        }
        if leading.changed().await.is_err() {
            return false;
        }
    }
}

/// Resolves when leadership is lost (or the election task ends).
pub async fn until_lost(mut leading: watch::Receiver<bool>) {
    loop {
        if !*leading.borrow_and_update() {
            return;
        }
        if leading.changed().await.is_err() {
            return;
        }
    }
}

/// How long a standby waits at most for a Lease held by a dead leader.
pub fn takeover_bound(lease_seconds: u64) -> Duration {
    Duration::from_secs(lease_seconds * 2)
}
