//! AMF0 (Action Message Format version 0) values, encoder and decoder.
