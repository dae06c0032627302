#!/bin/sh
# A dynamic app (t/status.t): the C responder, started on demand by the PM.
exec "$(dirname "$0")/../../apps/bin/responder"
