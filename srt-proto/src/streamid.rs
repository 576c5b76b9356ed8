//! Stream ids and the `#!::` access-control syntax.
