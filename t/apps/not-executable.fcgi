# Not executable on purpose: t/auth_failures.t names this file as a dynamic
# FastCgiAuthorizer, which must fail closed (500).
