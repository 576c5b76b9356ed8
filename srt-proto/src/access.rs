//! Access control: connection requests, the embedder's decision, and ready-made policies.
