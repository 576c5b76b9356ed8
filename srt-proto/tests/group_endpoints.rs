//! Socket groups end to end on the simulator: `Group`s above full
//! `Endpoint`s, members handshaking with the GROUP extension (a caller
//! with one address per path, a `group_connect` listener), data over
//! impaired paths.

#![cfg(feature = "sim")]

mod group_support;

use core::net::SocketAddr;
use core::time::Duration;
use group_support::endpoints::{Action, GroupNode, check_delivery};
use group_support::ms;
use srt_proto::EndpointConfig;
use srt_proto::group::{GroupEvent, GroupType};
use srt_proto::sim::{LinkConfig, Network, NodeId, Probability, for_each_seed};

const LISTENER: &str = "10.0.0.1:4200";
const PATHS: [&str; 3] = ["10.0.1.2:5000", "10.0.2.2:5000", "10.0.3.2:5000"];

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn path(seed: u64) -> LinkConfig {
    LinkConfig::new()
        .latency(Duration::from_millis(10))
        .seed(seed)
}

struct World {
    net: Network<GroupNode>,
    tx: NodeId,
    rx: NodeId,
}

/// A caller group with `links.len()` paths (path `i` from `PATHS[i]`,
/// with `links[i]` one way and `links[i].1` the other) to a listener
/// group.
fn world(
    group_type: GroupType,
    latency: Duration,
    seed: u64,
    links: &[(LinkConfig, LinkConfig)],
) -> World {
    let paths: Vec<SocketAddr> = PATHS[..links.len()].iter().map(|p| addr(p)).collect();
    // A path partitioned for 5 s must outlive its outage.
    let mut config = EndpointConfig::default();
    config.connection_options.peer_idle_timeout = Duration::from_secs(10);
    let caller = GroupNode::caller(
        group_type,
        latency,
        1_000 + seed as u32,
        &paths,
        &config,
        seed as u8,
    );
    let listener = GroupNode::listener(group_type, latency, addr(LISTENER), &config, 200);
    let mut net = Network::new().with_seed(seed);
    let tx = net.add_node(paths[0], caller).unwrap();
    for p in &paths[1..] {
        net.bind(tx, *p).unwrap();
    }
    let rx = net.add_node(addr(LISTENER), listener).unwrap();
    for (p, (there, back)) in paths.iter().zip(links) {
        net.link(*p, addr(LISTENER), there.clone());
        net.link(addr(LISTENER), *p, back.clone());
    }
    World { net, tx, rx }
}

impl World {
    fn caller(&mut self) -> &mut GroupNode {
        self.net.node_mut(self.tx).unwrap()
    }
    fn caller_ref(&self) -> &GroupNode {
        self.net.node(self.tx).unwrap()
    }
    fn listener(&self) -> &GroupNode {
        self.net.node(self.rx).unwrap()
    }
    fn connect_at(&mut self, at: u64, ep: usize, weight: u16) {
        self.caller().actions.push((
            ms(at),
            Action::Connect {
                ep,
                remote: addr(LISTENER),
                weight,
            },
        ));
        self.caller().actions.sort_by_key(|(t, _)| *t);
    }
    fn stream(&mut self, from: u64, until: u64) {
        let c = self.caller();
        c.send_from = ms(from);
        c.send_until = ms(until);
        c.interval = Duration::from_millis(2);
    }
    fn check(&self, latency: Duration) -> Result<(), String> {
        check_delivery(&self.caller_ref().sent, &self.listener().delivered, latency)
    }
}

const BROADCAST_LATENCY: Duration = Duration::from_millis(600);

fn broadcast_lossy_and_partitioned(seed: u64) -> Result<(), String> {
    let lossy = path(seed).loss(Probability::percent(30.0));
    let cut = path(seed + 1).partition(ms(3_000), ms(8_000));
    let mut w = world(
        GroupType::Broadcast,
        BROADCAST_LATENCY,
        seed,
        &[
            (lossy.clone(), lossy.seed(seed + 2)),
            (cut.clone(), cut.seed(seed + 3)),
        ],
    );
    w.connect_at(0, 0, 1);
    w.connect_at(0, 1, 1);
    w.stream(1_000, 12_000);
    w.net.run_until(ms(13_000)).map_err(|e| e.to_string())?;
    if w.listener().connected() != 2 {
        return Err(format!(
            "{} members connected at the end",
            w.listener().connected()
        ));
    }
    w.check(BROADCAST_LATENCY)
}

#[test]
fn broadcast_through_endpoints_over_a_lossy_and_a_partitioned_path_delivers_every_message_once_on_time()
 {
    if let Err(failure) = for_each_seed(0..10, broadcast_lossy_and_partitioned) {
        panic!("{failure}");
    }
}

const BACKUP_LATENCY: Duration = Duration::from_millis(400);

fn backup_failover(seed: u64) -> Result<(), String> {
    let cut = ms(3_000);
    let a = path(seed).partition(cut, ms(1_000_000));
    let mut w = world(
        GroupType::Backup,
        BACKUP_LATENCY,
        seed,
        &[
            (a.clone(), a.seed(seed + 1)),
            (path(seed + 2), path(seed + 3)),
        ],
    );
    w.connect_at(0, 0, 10);
    w.connect_at(0, 1, 5);
    w.stream(1_000, 6_000);
    w.net.run_until(ms(7_000)).map_err(|e| e.to_string())?;
    let standby = w.caller_ref().member_on(1).ok_or("standby gone")?;
    let switched = w
        .caller_ref()
        .events
        .iter()
        .find_map(|(t, e)| match e {
            GroupEvent::ActiveSwitched { to, .. } if *to == standby => Some(*t),
            _ => None,
        })
        .ok_or("no switch to the standby")?;
    let detection = switched.duration_since(cut);
    if BACKUP_LATENCY < detection * 4 {
        return Err(format!("failover took {detection:?}"));
    }
    w.check(BACKUP_LATENCY)
}

#[test]
fn backup_through_endpoints_fails_over_to_the_standby_with_nothing_lost() {
    if let Err(failure) = for_each_seed(0..4, backup_failover) {
        panic!("{failure}");
    }
}

#[test]
fn a_member_joining_a_running_group_late_stays_connected_and_carries_data() {
    // The third path connects 6 s into the group: its time zero is the
    // group's start, its timers must run from its own start.
    let mut w = world(
        GroupType::Broadcast,
        BROADCAST_LATENCY,
        5,
        &[(path(1), path(2)), (path(3), path(4))],
    );
    w.connect_at(0, 0, 1);
    w.stream(500, 9_000);
    w.connect_at(6_000, 1, 1);
    w.net.run_until(ms(10_000)).unwrap();
    assert_eq!(
        w.listener().connected(),
        2,
        "{:#?}",
        w.caller_ref()
            .endpoint_events
            .iter()
            .rev()
            .take(10)
            .collect::<Vec<_>>()
    );
    let joined = w
        .listener()
        .delivered
        .iter()
        .filter(|d| d.0 > ms(6_500))
        .count();
    assert!(joined > 1_000);
    w.check(BROADCAST_LATENCY).unwrap();
}

#[test]
fn a_member_joining_after_the_timestamp_wrap_carries_the_stream_alone_on_time() {
    // 72 min into the group its timestamps have wrapped (every 71.6 min):
    // the joining member's handshake and data count from the group's
    // start, the listener's new member takes the group's time base moved
    // by that wrap. Then the first path goes dark.
    let minute = 60_000;
    let dark = path(1).partition(ms(72 * minute + 30_000), ms(80 * minute));
    let mut w = world(
        GroupType::Broadcast,
        BROADCAST_LATENCY,
        7,
        &[(dark.clone(), dark.seed(2)), (path(3), path(4))],
    );
    w.connect_at(0, 0, 1);
    w.stream(500, 74 * minute);
    w.caller().interval = Duration::from_millis(200);
    w.connect_at(72 * minute, 1, 1);
    w.net.run_until(ms(74 * minute + 2_000)).unwrap();
    let late = w
        .listener()
        .delivered
        .iter()
        .filter(|d| d.0 > ms(72 * minute + 31_000))
        .count();
    assert!(late > 400, "{late} messages after the first path went dark");
    w.check(BROADCAST_LATENCY).unwrap();
}
