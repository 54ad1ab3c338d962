-- A storm of console sign-ins: each request makes the server verify a password with Argon2
-- (an unknown e-mail is checked against a stand-in hash, so it costs the same).
-- The sign-in form's CSRF token is a double-submit cookie: the same value in both places.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "renkei_admin_login=benchstorm"
wrk.body = "csrf=benchstorm&email=storm%40bench.invalid&password=not-the-password"
