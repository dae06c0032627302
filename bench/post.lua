-- bench/post.lua - wrk script of bench/run's "POST 1MiB" workload: every
-- request posts the same 1 MiB body.  X-Bench-No-Hash: the app (bench/hello.c,
-- bench/mod_bench_hello.c) reads all of it but does not hash it, answering
-- "len=1048576 fnv=-"; bench/run checks once per row before timing that the
-- body arrives whole and unchanged (the hashed answer "len=1048576 fnv=...")
-- and that this header reaches the app (the "fnv=-" answer).
wrk.method = "POST"
wrk.body = string.rep("0123456789abcdef", 65536)
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["X-Bench-No-Hash"] = "1"
