//! RTMP chunk streams: the reader (reassembly per chunk stream) and the writer (header compression).
