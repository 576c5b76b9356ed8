//! The seeded random number generator all randomness comes from.
