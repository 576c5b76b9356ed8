//! AMF3 (Action Message Format version 3) values, encoder and decoder, with reference tables.
