//! In-memory server/client tests.
