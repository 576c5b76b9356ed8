//! The sending half of a connection: send buffer, pacing, retransmission,
//! too-late drop, key refresh (work in progress).
