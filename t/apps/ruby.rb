#!/usr/bin/ruby
# ruby.rb -- FastCGI test application on Ruby's fcgi library (Debian
# ruby-fcgi; the pure-Ruby version is fine).  Serves on fd 0, the listening
# socket a FastCgiServer / dynamic application gets from the process manager.
#
# QUERY_STRING picks the mode (like echo.pl):
#   env   (default) body = every param as NAME=VALUE\n, sorted
#   echo  body = stdin, header X-Stdin-Length: N
#   pid   body = "pid=<pid>\n"
saved = $stderr
$stderr = File.open(File::NULL, 'w')   # the pure-Ruby notice is not an error
require 'fcgi'
$stderr = saved

FCGI.each do |req|
  env = req.env
  mode = (env['QUERY_STRING'] || '').split('&').first
  mode = 'env' if mode.nil? || mode.empty?
  out = req.out
  out.binmode if out.respond_to?(:binmode)
  case mode
  when 'echo'
    data = (req.in.read || '').b
    out.print "Content-Type: application/octet-stream\r\nX-Stdin-Length: #{data.bytesize}\r\n\r\n"
    out.print data
  when 'pid'
    out.print "Content-Type: text/plain\r\n\r\npid=#{Process.pid}\n"
  else
    out.print "Content-Type: text/plain\r\n\r\n"
    env.keys.sort.each { |k| out.print "#{k}=#{env[k]}\n" }
  end
  req.finish
end
