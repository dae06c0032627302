// app.go -- FastCGI test application on Go's net/http/fcgi (stdlib only).
//
// Usage: app_go ADDRESS     ADDRESS = /unix/path | host:port | [::1]:port
//
//	/…?env, /…/env  (or no query) body: fcgi.ProcessEnv(r) plus METHOD, URL,
//	            HOST, CONTENT_LENGTH as seen by net/http, NAME=VALUE\n sorted
//	/…?echo     body = request body; headers X-Body-MD5, X-Body-Length
//	/…?size=N   body of N bytes, byte i = 'a' + i%26
package main

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/fcgi"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

func handler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.RawQuery
	if q == "" {
		q = r.Header.Get("X-Go-Query")
	}
	cmd := strings.SplitN(q, "&", 2)[0]
	if strings.HasSuffix(r.URL.Path, "/env") {
		cmd = "env"
	}
	switch {
	case cmd == "echo":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		sum := md5.Sum(body)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Body-MD5", hex.EncodeToString(sum[:]))
		w.Header().Set("X-Body-Length", strconv.Itoa(len(body)))
		w.Write(body)
	case strings.HasPrefix(cmd, "size="):
		n, _ := strconv.ParseInt(cmd[5:], 10, 64)
		w.Header().Set("Content-Type", "application/octet-stream")
		pat := make([]byte, 65520+26)
		for i := range pat {
			pat[i] = byte('a' + i%26)
		}
		var off int64
		for off < n {
			c := n - off
			if c > 65520 {
				c = 65520
			}
			s := off % 26
			if _, err := w.Write(pat[s : s+c]); err != nil {
				return
			}
			off += c
		}
	default:
		env := fcgi.ProcessEnv(r)
		lines := []string{}
		for k, v := range env {
			lines = append(lines, k+"="+v)
		}
		lines = append(lines, "GO_METHOD="+r.Method, "GO_URL="+r.URL.String(),
			"GO_HOST="+r.Host, "GO_CONTENT_LENGTH="+strconv.FormatInt(r.ContentLength, 10),
			"GO_REMOTE_ADDR="+r.RemoteAddr)
		sort.Strings(lines)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, strings.Join(lines, "\n")+"\n")
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: app_go ADDRESS")
		os.Exit(2)
	}
	addr := os.Args[1]
	var l net.Listener
	var err error
	if strings.HasPrefix(addr, "/") {
		os.Remove(addr)
		syscall.Umask(0)
		l, err = net.Listen("unix", addr)
	} else {
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "app_go:", err)
		os.Exit(1)
	}
	if err := fcgi.Serve(l, http.HandlerFunc(handler)); err != nil {
		fmt.Fprintln(os.Stderr, "app_go:", err)
		os.Exit(1)
	}
}
