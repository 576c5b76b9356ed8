//! The RTMP handshake: C0/C1/C2 and S0/S1/S2, simple and digest ("complex") forms.
