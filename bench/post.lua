-- bench/post.lua - wrk script of bench/run's "POST 1MiB" workload: every
-- request posts the same 1 MiB body (bench/run checks the answer
-- "len=1048576 fnv=..." once per row before timing).
wrk.method = "POST"
wrk.body = string.rep("0123456789abcdef", 65536)
wrk.headers["Content-Type"] = "application/octet-stream"
