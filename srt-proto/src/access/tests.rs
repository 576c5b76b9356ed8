use super::*;
use crate::packet::ext::{ConfigString, SrtFlags, SrtHs};
use crate::packet::handshake::{EncryptionField, ExtensionFlags, HandshakeType};
use crate::packet::km::{Cipher, KeyFlags, KeyLength as KmKeyLength, KeyMaterial};
use crate::seq::SeqNumber;
use alloc::vec;
use core::net::{IpAddr, Ipv4Addr};

fn addr() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 4)), 4000)
}

fn req(id: u64, stream_id: &str) -> ConnectionRequest {
    ConnectionRequest::new(RequestId(id), addr(), stream_id.as_bytes())
}

fn conclusion(extensions: Vec<HandshakeExtension>) -> Handshake {
    Handshake {
        version: 5,
        encryption: EncryptionField::None,
        extension_flags: ExtensionFlags::for_extensions(&extensions),
        initial_seq: SeqNumber::new(1),
        mtu: 1500,
        flow_window: 8192,
        handshake_type: HandshakeType::Conclusion,
        socket_id: 0x1234,
        syn_cookie: 7,
        peer_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        extensions,
    }
}

fn passphrase() -> Passphrase {
    Passphrase::new(b"0123456789abc").unwrap()
}

// --- ConnectionRequest ---

#[test]
fn request_from_handshake_reads_the_extensions() {
    let hs = conclusion(vec![
        HandshakeExtension::HsReq(SrtHs {
            version: SrtVersion::new(1, 5, 3),
            flags: SrtFlags::empty(),
            receiver_tsbpd_delay: 120,
            sender_tsbpd_delay: 120,
        }),
        HandshakeExtension::KmReq(
            KeyMaterial::new(
                KeyFlags::Even,
                KmKeyLength::Aes256,
                Cipher::AesCtr,
                &[0; 16],
                &[0; 40],
            )
            .unwrap(),
        ),
        HandshakeExtension::StreamId(ConfigString::new(b"#!::r=live/a,m=publish").unwrap()),
        HandshakeExtension::Group(GroupExt {
            group_id: 0x4000_0001,
            group_type: 1,
            flags: 0,
            weight: 0,
        }),
    ]);
    let r = ConnectionRequest::from_handshake(RequestId(3), addr(), &hs);
    assert_eq!(r.id, RequestId(3));
    assert_eq!(r.peer, addr());
    assert_eq!(r.peer_socket_id, 0x1234);
    assert_eq!(r.handshake_version, 5);
    assert_eq!(r.stream_id_raw, b"#!::r=live/a,m=publish");
    assert_eq!(r.resource(), Some("live/a"));
    assert_eq!(r.mode(), Mode::Publish);
    assert_eq!(r.peer_srt_version, Some(SrtVersion::new(1, 5, 3)));
    assert_eq!(r.group.map(|g| g.group_id), Some(0x4000_0001));
    assert_eq!(r.encryption, Some(KeyLength::Aes256));
}

#[test]
fn request_without_extensions_has_an_empty_stream_id() {
    let r = ConnectionRequest::from_handshake(RequestId(1), addr(), &conclusion(vec![]));
    assert!(r.stream_id_raw.is_empty());
    assert_eq!(r.resource(), None);
    assert_eq!(r.peer_srt_version, None);
    assert_eq!(r.group, None);
    assert_eq!(r.encryption, None);
}

#[test]
fn request_without_kmreq_takes_the_key_length_from_the_encryption_field() {
    let mut hs = conclusion(vec![]);
    hs.encryption = EncryptionField::Aes128;
    let r = ConnectionRequest::from_handshake(RequestId(1), addr(), &hs);
    assert_eq!(r.encryption, Some(KeyLength::Aes128));
}

#[test]
fn request_with_an_unparsable_stream_id_keeps_the_raw_bytes() {
    let r = ConnectionRequest::new(RequestId(1), addr(), b"#!::oops");
    assert_eq!(r.stream_id, None);
    assert_eq!(r.stream_id_raw, b"#!::oops");
    assert_eq!(r.mode(), Mode::Request);
}

// --- Decision ---

#[test]
fn reject_forbidden_travels_as_2403() {
    let reason = Decision::reject_forbidden().reject_reason().unwrap();
    assert_eq!(reason.code(), 1403);
    assert_eq!(reason.handshake_type(), 2403);
}

#[test]
fn reject_user_takes_codes_from_2000() {
    let reason = Decision::reject_user(2001).unwrap().reject_reason();
    assert_eq!(reason, Some(RejectReason::User(2001)));
    assert!(Decision::reject_user(1999).is_none());
    assert!(Decision::reject_user(MAX_CODE + 1).is_none());
}

#[test]
fn later_accept_options_override_earlier_ones() {
    let earlier = AcceptOptions::new()
        .with_latency(Duration::from_millis(120))
        .with_passphrase(passphrase());
    let later = AcceptOptions::new().with_latency(Duration::from_millis(500));
    let merged = earlier.merge(later);
    assert_eq!(merged.latency, Some(Duration::from_millis(500)));
    assert_eq!(
        merged.passphrase.map(|p| p.as_bytes().to_vec()),
        Some(b"0123456789abc".to_vec())
    );
}

// --- AcceptAll ---

#[test]
fn accept_all_accepts_any_stream_id() {
    let mut policy = AcceptAll::new();
    assert!(policy.decide(&req(1, "")).is_accept());
    assert!(policy.decide(&req(2, "#!::r=x,m=publish")).is_accept());
    let garbage = ConnectionRequest::new(RequestId(3), addr(), b"\xff\xfe");
    assert!(policy.decide(&garbage).is_accept());
}

#[test]
fn accept_all_hands_out_its_options() {
    let mut policy = AcceptAll::with_options(AcceptOptions::new().with_passphrase(passphrase()));
    let Decision::Accept(options) = policy.decide(&req(1, "x")) else {
        panic!("rejected");
    };
    assert!(options.passphrase.is_some());
}

// --- Whitelist ---

#[test]
fn whitelist_accepts_a_listed_raw_stream_id() {
    let mut policy = Whitelist::raw().with(["live/a"]);
    assert!(policy.decide(&req(1, "live/a")).is_accept());
}

#[test]
fn whitelist_rejects_an_unlisted_stream_id_with_forbidden() {
    let mut policy = Whitelist::raw().with(["live/a"]);
    let reason = policy.decide(&req(1, "live/b")).reject_reason();
    assert_eq!(reason, Some(RejectReason::Access(AccessReject::Forbidden)));
}

#[test]
fn empty_whitelist_rejects_everyone() {
    let mut policy = Whitelist::raw();
    assert!(policy.is_empty());
    assert!(!policy.decide(&req(1, "")).is_accept());
}

#[test]
fn raw_whitelist_compares_the_whole_stream_id() {
    let mut policy = Whitelist::raw().with(["#!::r=a,m=publish"]);
    assert!(policy.decide(&req(1, "#!::r=a,m=publish")).is_accept());
    assert!(!policy.decide(&req(2, "#!::m=publish,r=a")).is_accept());
}

#[test]
fn resource_whitelist_matches_the_r_key_and_plain_ids() {
    let mut policy = Whitelist::by_resource().with(["live/a"]);
    assert!(policy.decide(&req(1, "#!::u=bob,r=live/a")).is_accept());
    assert!(policy.decide(&req(2, "live/a")).is_accept());
    assert!(!policy.decide(&req(3, "#!::u=live/a")).is_accept());
}

#[test]
fn resource_whitelist_rejects_an_unparsable_stream_id_as_bad_request() {
    let mut policy = Whitelist::by_resource().with(["live/a"]);
    let reason = policy.decide(&req(1, "#!::r=live/a,")).reject_reason();
    assert_eq!(reason, Some(RejectReason::Access(AccessReject::BadRequest)));
}

#[test]
fn whitelist_entries_added_at_run_time_are_accepted() {
    let mut policy = Whitelist::raw();
    assert!(!policy.decide(&req(1, "live/a")).is_accept());
    assert!(policy.insert("live/a"));
    assert!(!policy.insert("live/a"));
    assert!(policy.contains("live/a"));
    assert!(policy.decide(&req(2, "live/a")).is_accept());
}

#[test]
fn whitelist_entries_removed_at_run_time_are_rejected() {
    let mut policy = Whitelist::raw().with(["live/a", "live/b"]);
    assert!(policy.remove("live/a"));
    assert!(!policy.remove("live/a"));
    assert_eq!(policy.len(), 1);
    assert!(!policy.decide(&req(1, "live/a")).is_accept());
    assert!(policy.decide(&req(2, "live/b")).is_accept());
}

// --- SinglePublisher ---

#[test]
fn single_publisher_accepts_the_first_publisher() {
    let mut policy = SinglePublisher::new();
    assert!(policy.decide(&req(1, "#!::r=live/a,m=publish")).is_accept());
    assert_eq!(policy.publisher("live/a"), Some(RequestId(1)));
}

#[test]
fn single_publisher_rejects_a_second_publisher_with_conflict() {
    let mut policy = SinglePublisher::new();
    policy.decide(&req(1, "#!::r=live/a,m=publish"));
    let reason = policy
        .decide(&req(2, "#!::r=live/a,m=publish"))
        .reject_reason();
    assert_eq!(reason, Some(RejectReason::Access(AccessReject::Conflict)));
    assert_eq!(reason.map(RejectReason::code), Some(1409));
}

#[test]
fn single_publisher_counts_bidirectional_as_a_publisher() {
    let mut policy = SinglePublisher::new();
    policy.decide(&req(1, "#!::r=live/a,m=bidirectional"));
    assert!(!policy.decide(&req(2, "#!::r=live/a,m=publish")).is_accept());
}

#[test]
fn single_publisher_lets_readers_in_while_publishing() {
    let mut policy = SinglePublisher::new();
    policy.decide(&req(1, "#!::r=live/a,m=publish"));
    assert!(policy.decide(&req(2, "#!::r=live/a")).is_accept());
    assert!(policy.decide(&req(3, "live/a")).is_accept());
    assert_eq!(policy.len(), 1);
}

#[test]
fn single_publisher_allows_one_publisher_per_resource() {
    let mut policy = SinglePublisher::new();
    policy.decide(&req(1, "#!::r=live/a,m=publish"));
    assert!(policy.decide(&req(2, "#!::r=live/b,m=publish")).is_accept());
}

#[test]
fn single_publisher_accepts_a_repeated_request_from_the_holder() {
    let mut policy = SinglePublisher::new();
    policy.decide(&req(1, "#!::r=live/a,m=publish"));
    assert!(policy.decide(&req(1, "#!::r=live/a,m=publish")).is_accept());
}

#[test]
fn single_publisher_frees_the_resource_on_release() {
    let mut policy = SinglePublisher::new();
    policy.decide(&req(1, "#!::r=live/a,m=publish"));
    assert_eq!(policy.release("live/a"), Some(RequestId(1)));
    assert!(policy.decide(&req(2, "#!::r=live/a,m=publish")).is_accept());
}

#[test]
fn single_publisher_frees_the_resource_when_the_publisher_closes() {
    let mut policy = SinglePublisher::new();
    policy.decide(&req(1, "#!::r=live/a,m=publish"));
    policy.closed(RequestId(1));
    assert!(policy.is_empty());
    assert!(policy.decide(&req(2, "#!::r=live/a,m=publish")).is_accept());
}

// --- UserPassphrases ---

#[test]
fn user_passphrases_hand_out_the_users_passphrase() {
    let mut policy = UserPassphrases::new();
    policy.insert("admin", passphrase());
    let Decision::Accept(options) = policy.decide(&req(1, "#!::u=admin,r=x")) else {
        panic!("rejected");
    };
    assert_eq!(
        options.passphrase.map(|p| p.as_bytes().to_vec()),
        Some(b"0123456789abc".to_vec())
    );
}

#[test]
fn user_passphrases_reject_an_unknown_user_as_unauthorized() {
    let mut policy = UserPassphrases::new();
    policy.insert("admin", passphrase());
    let reason = policy.decide(&req(1, "#!::u=eve")).reject_reason();
    assert_eq!(
        reason,
        Some(RejectReason::Access(AccessReject::Unauthorized))
    );
}

#[test]
fn user_passphrases_reject_a_request_without_a_user() {
    let mut policy = UserPassphrases::new();
    policy.insert("admin", passphrase());
    assert!(!policy.decide(&req(1, "admin")).is_accept());
}

#[test]
fn user_passphrases_forget_a_removed_user() {
    let mut policy = UserPassphrases::new();
    policy.insert("admin", passphrase());
    assert!(policy.remove("admin"));
    assert!(!policy.contains("admin"));
    assert!(!policy.decide(&req(1, "#!::u=admin")).is_accept());
}

// --- FromFn and Chain ---

#[test]
fn a_closure_is_a_policy() {
    let mut policy = from_fn(|r: &ConnectionRequest| {
        if r.resource() == Some("open") {
            Decision::accept()
        } else {
            Decision::reject_user(2404).unwrap()
        }
    });
    assert!(policy.decide(&req(1, "open")).is_accept());
    assert_eq!(
        policy.decide(&req(2, "closed")).reject_reason(),
        Some(RejectReason::User(2404))
    );
}

#[test]
fn chain_rejects_what_the_first_policy_rejects() {
    let mut policy = Whitelist::by_resource().and_then(SinglePublisher::new());
    assert!(!policy.decide(&req(1, "#!::r=x,m=publish")).is_accept());
    assert!(policy.second().is_empty());
}

#[test]
fn whitelist_then_single_publisher_enforces_both() {
    let mut policy = Whitelist::by_resource()
        .with(["live/a"])
        .and_then(SinglePublisher::new());
    assert!(policy.decide(&req(1, "#!::r=live/a,m=publish")).is_accept());
    let reason = policy
        .decide(&req(2, "#!::r=live/a,m=publish"))
        .reject_reason();
    assert_eq!(reason, Some(RejectReason::Access(AccessReject::Conflict)));
    policy.closed(RequestId(1));
    assert!(policy.decide(&req(3, "#!::r=live/a,m=publish")).is_accept());
}

#[test]
fn chain_releases_the_first_policys_reservation_when_the_second_rejects() {
    let mut policy = SinglePublisher::new().and_then(Whitelist::by_resource());
    assert!(!policy.decide(&req(1, "#!::r=live/a,m=publish")).is_accept());
    assert!(policy.first().is_empty());
}

#[test]
fn chain_lets_the_second_policy_set_the_passphrase() {
    let mut policy = AcceptAll::with_options(AcceptOptions::new().with_latency(Duration::ZERO))
        .and_then(from_fn(|_: &ConnectionRequest| {
            Decision::Accept(AcceptOptions::new().with_passphrase(passphrase()))
        }));
    let Decision::Accept(options) = policy.decide(&req(1, "x")) else {
        panic!("rejected");
    };
    assert!(options.passphrase.is_some());
    assert_eq!(options.latency, Some(Duration::ZERO));
}

#[test]
fn chained_whitelist_can_be_edited_while_running() {
    let mut policy = Whitelist::raw().and_then(AcceptAll::new());
    policy.first_mut().insert("live/a");
    assert!(policy.decide(&req(1, "live/a")).is_accept());
}

#[test]
fn a_boxed_policy_is_a_policy() {
    let mut policy: Box<dyn AccessPolicy> = Box::new(SinglePublisher::new());
    policy.decide(&req(1, "#!::r=a,m=publish"));
    assert!(!policy.decide(&req(2, "#!::r=a,m=publish")).is_accept());
    policy.closed(RequestId(1));
    assert!(policy.decide(&req(2, "#!::r=a,m=publish")).is_accept());
}
