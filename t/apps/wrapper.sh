#!/bin/sh
# wrapper.sh -- stand-in for suexec in the FastCgiWrapper tests (t/pm_wrapper.t).
#
# The process manager runs it as:   wrapper.sh USER GROUP BASENAME
# in the application's directory.  It appends one line to wrapper.log next
# to itself (the test creates that file writable for httpd's User):
#   uid=<real uid> euid=<effective uid> gid=<real gid> argc=<n> user=<USER> group=<GROUP> base=<BASENAME> cwd=<dir>
# and then runs the application: exec ./BASENAME
log="${0%/*}/wrapper.log"
echo "uid=$(/usr/bin/id -ru) euid=$(/usr/bin/id -u) gid=$(/usr/bin/id -rg) argc=$# user=$1 group=$2 base=$3 cwd=$(pwd)" >> "$log"
exec ./"$3"
