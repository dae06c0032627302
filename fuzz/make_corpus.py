#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

The streams are built here from the FastCGI 1.0 specification, independently
of the C++ encoders. Run from anywhere; rewrites the corpus directories:

    python3 fuzz/make_corpus.py
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT, STDERR, DATA, GET_VALUES, GET_VALUES_RESULT, UNKNOWN = range(1, 12)


def record(rtype, rid, content=b"", padding=None, version=1):
    if padding is None:
        padding = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", version, rtype, rid, len(content), padding, 0) + content + b"\0" * padding


def length(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def pair(name, value):
    return length(len(name)) + length(len(value)) + name + value


def begin(rid=1, role=1, flags=0):
    return record(BEGIN, rid, struct.pack(">HB5x", role, flags), 0)


def end(rid=1, app=0, status=0):
    return record(END, rid, struct.pack(">IB3x", app, status), 0)


PARAMS_BODY = b"".join(pair(n, v) for n, v in [
    (b"SERVER_PORT", b"80"),
    (b"REQUEST_METHOD", b"GET"),
    (b"SCRIPT_NAME", b"/app.fcgi"),
    (b"QUERY_STRING", b""),
    (b"HTTP_COOKIE", b"c" * 300),
])

CGI_HEADERS = b"Status: 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n"


def response():
    s = begin(1, 1, 1)
    s += record(PARAMS, 1, PARAMS_BODY[:40]) + record(PARAMS, 1, PARAMS_BODY[40:], 0) + record(PARAMS, 1)
    s += record(STDIN, 1, b"a=b") + record(STDIN, 1)
    s += record(STDOUT, 1, CGI_HEADERS[:20]) + record(STDOUT, 1, CGI_HEADERS[20:] + b"<html>", 255)
    s += record(STDOUT, 1, b"", 3)
    s += record(STDERR, 1, b"warning\n") + record(STDERR, 1)
    s += end(1)
    return s


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    # Only the targets written here are rewritten; pm_message's seeds are
    # kept as committed.
    for target in ("record_decoder", "nvpair", "header_block", "response_path"):
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)

    # record_decoder: byte 0 = chunk size (0: all at once), then the stream.
    rd = "record_decoder"
    write(rd, "response_oneshot", b"\x00" + response())
    write(rd, "response_bytewise", b"\x01" + response())
    write(rd, "response_chunk7", b"\x07" + response())
    write(rd, "begin_request", b"\x00" + begin())
    write(rd, "end_request", b"\x03" + end(1, 0x01020304, 2))
    write(rd, "management", b"\x05" + record(GET_VALUES, 0, pair(b"FCGI_MAX_CONNS", b"") + pair(b"FCGI_MPXS_CONNS", b""))
          + record(GET_VALUES_RESULT, 0, pair(b"FCGI_MAX_CONNS", b"10"))
          + record(UNKNOWN, 0, bytes([42]) + b"\0" * 7, 0))
    write(rd, "abort_data", b"\x02" + record(ABORT, 1) + record(DATA, 1, b"filter data") + record(DATA, 1))
    write(rd, "stdout_lf_headers", b"\x04" + record(STDOUT, 1, b"Content-Type: text/plain\nX-Fold: a\n b\n\nbody"))
    write(rd, "bad_version", b"\x00" + record(STDOUT, 1, b"x", version=2))
    write(rd, "bad_type", b"\x00" + struct.pack(">BBHHBB", 1, 12, 1, 0, 0, 0))
    write(rd, "bad_length", b"\x00" + struct.pack(">BBHHBB", 1, END, 1, 7, 0, 0) + b"\0" * 7)
    write(rd, "truncated", b"\x00" + record(STDOUT, 1, b"truncated body")[:12])

    # nvpair: byte 0 = small max_length / record size, then a pair stream.
    nv = "nvpair"
    write(nv, "params", b"\x40" + PARAMS_BODY)
    write(nv, "server_port", b"\x10" + pair(b"SERVER_PORT", b"80"))
    write(nv, "value300", b"\xff" + pair(b"N", b"v" * 300))
    write(nv, "empty_pairs", b"\x01" + pair(b"", b"") + pair(b"A", b""))
    write(nv, "long_form_small", b"\x08" + b"\x80\x00\x00\x03\x01abcX")
    write(nv, "get_values", b"\x20" + pair(b"FCGI_MAX_CONNS", b"") + pair(b"FCGI_MAX_REQS", b""))
    write(nv, "max_length_claim", b"\x00" + b"\xff\xff\xff\xff\x00abc")
    write(nv, "truncated_length", b"\x00" + b"\x01\x80\x00")

    # header_block: bytes 0..3 = max_line, max_block/4, max_count, split point.
    hb = "header_block"
    write(hb, "crlf_default", b"\x00\x00\x00\x10" + CGI_HEADERS + b"<html>")
    write(hb, "lf_small_limits", b"\x40\x20\x04\x07" + b"Status: 404 Not Found\nLocation: /x\n\nbody")
    write(hb, "fold", b"\x00\x00\x00\x05" + b"X-Fold: a\r\n b\r\n\tc\r\n\r\n")
    write(hb, "mixed", b"\x00\x00\x00\x03" + b"A: 1\r\nB: 2\nC: 3\r\n\n")
    write(hb, "bad_char", b"\x00\x00\x00\x02" + b"X: a\rb\r\n\r\n")
    write(hb, "malformed", b"\x00\x00\x00\x02" + b"Bad Name: x\r\n\r\n")
    write(hb, "block_at_limit", b"\x00\x04\x00\x00" + b"X-Aaaa: 01234567\nX-B: zzzz\n\n")
    write(hb, "status_custom", b"\x00\x00\x00\x09" + b"Status: 299 Custom Thing\r\n\r\n")
    write(hb, "empty_block", b"\x00\x00\x00\x00" + b"\r\nbody")

    # response_path: byte 0 seeds the read sizes, then what an app sends.
    rp = "response_path"
    app = (record(STDOUT, 1, CGI_HEADERS[:20]) + record(STDOUT, 1, CGI_HEADERS[20:] + b"<html>", 255)
           + record(STDERR, 1, b"warn\x00ing\r\nsecond") + record(STDOUT, 1, b"body") + record(STDOUT, 1)
           + record(STDERR, 1) + end(1))
    write(rp, "response", b"\x00" + app)
    write(rp, "response_after_end", b"\x05" + app + record(STDOUT, 1, b"SMUGGLED"))
    write(rp, "management_skipped", b"\x09" + record(GET_VALUES_RESULT, 0, pair(b"FCGI_MAX_CONNS", b"1")) + app)
    write(rp, "other_id", b"\x02" + record(STDOUT, 1, b"X: 1\r\n\r\nb") + end(7))
    write(rp, "end_status", b"\x00" + end(1, 0, 2))
    write(rp, "incomplete_headers", b"\x03" + record(STDOUT, 1, b"Content-Type: text/pl") + end(1))
    write(rp, "bad_status", b"\x04" + record(STDOUT, 1, b"Status: 2OO\r\n\r\n") + end(1))
    write(rp, "truncated", b"\x01" + record(STDOUT, 1, b"X: 1\n\nbody")[:14])
    write(rp, "long_stderr", b"\x07" + record(STDERR, 1, b"L" * 9000) + record(STDOUT, 1, b"\n") + end(1))


if __name__ == "__main__":
    main()
