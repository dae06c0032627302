#!/bin/sh
# The C responder under a name of its own, so that t/status.t can define it
# as a FastCgiServer with -processes 3 (or run it as a dynamic app) besides
# the one-process FastCgiServer of t/apps/bin/responder.
exec "$(dirname "$0")/bin/responder"
