#!/usr/bin/env python3
"""Builds starting corpora for the fuzz targets from the project's real wire
captures (libsrt, ffmpeg, nginx-rtmp), so a short CI smoke run explores real
protocol states instead of starting from nothing.

Usage: python3 fuzz/seed_corpus.py [CORPUS_DIR]   (default: fuzz/corpus)
Each target reads its own input layout (see the target's doc comment); the
seeds below put the capture bytes where that layout expects them.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRT = os.path.join(ROOT, "srt-proto", "tests", "data")
RTMP = os.path.join(ROOT, "rtmp-proto", "tests", "data")
HANDSHAKE = 1 + 1536 + 1536  # C0 + C1 + C2


def write(corpus, target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def srt_datagrams():
    for stem in sorted(os.listdir(SRT)):
        if not stem.endswith(".jsonl"):
            continue
        with open(os.path.join(SRT, stem)) as f:
            for i, line in enumerate(f):
                hexed = json.loads(line)["hex"]
                # Every handshake and control packet, and a sample of data.
                if i < 12 or i % 25 == 0 or not hexed.startswith(("0", "1", "2", "3", "4", "5", "6", "7")):
                    yield f"{stem[:-6]}-{i}", bytes.fromhex(hexed)


def read(name):
    with open(os.path.join(RTMP, name), "rb") as f:
        return f.read()


def flv_tags(flv):
    """(tag type, body) of each tag of an FLV file."""
    pos = int.from_bytes(flv[5:9], "big") + 4
    while pos + 11 <= len(flv):
        kind = flv[pos] & 0x1F
        size = int.from_bytes(flv[pos + 1:pos + 4], "big")
        yield kind, flv[pos + 11:pos + 11 + size]
        pos += 11 + size + 4


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "corpus")
    count = 0
    for name, data in srt_datagrams():
        write(corpus, "srt_packet", name, data)
        write(corpus, "srt_endpoint", name, data)
        count += 2

    publish = read("rtmp-ffmpeg-publish-to-nginx.client-to-server.bin")
    play = read("rtmp-ffmpeg-play-from-nginx.server-to-client.bin")
    for name, stream in (("publish", publish), ("play", play)):
        chunks = stream[HANDSHAKE:HANDSHAKE + 16384]
        write(corpus, "rtmp_chunk", f"{name}-default", bytes([7, 0]) + chunks)
        write(corpus, "rtmp_chunk", f"{name}-small-limits", bytes([9, 1]) + chunks)
        count += 2
    # The server session: the whole client stream, handshake included
    # (prelude 0), and the chunk stream after a generated handshake (prelude 1).
    write(corpus, "rtmp_server_session", "publish-raw", bytes([3, 0]) + publish[:32768])
    write(corpus, "rtmp_server_session", "publish-after-handshake", bytes([5, 1]) + publish[HANDSHAKE:HANDSHAKE + 32768])
    count += 2

    # AMF0: the connect command body sits in the first chunk after the handshake.
    first = publish[HANDSHAKE:]
    if first and first[0] == 0x03:
        length = int.from_bytes(first[4:7], "big")
        body, pos = bytearray(), 12
        while len(body) < length and pos < len(first):
            take = min(128, length - len(body))
            body += first[pos:pos + take]
            pos += take + 1  # skip the 1-byte fmt-3 header of the next chunk
        write(corpus, "rtmp_amf0", "connect", bytes(body))
        count += 1

    seen = set()
    for kind, body in flv_tags(read("source.flv")):
        key = (kind, body[:2])
        if key in seen:
            continue
        seen.add(key)
        mode = {8: 0, 9: 1, 18: 3}.get(kind)
        if mode is not None:
            write(corpus, "rtmp_media", f"tag-{kind}-{len(seen)}", bytes([mode]) + body[:4096])
            count += 1
    write(corpus, "rtmp_media", "flv-file", bytes([2]) + read("source.flv")[:16384])
    count += 1
    print(f"seeded {count} inputs into {corpus}")


if __name__ == "__main__":
    main()
