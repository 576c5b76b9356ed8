//! The simulator: a Sans-I/O link model and a driver that steps endpoints through virtual time.
