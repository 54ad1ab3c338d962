DROP TABLE tokens; DROP TABLE auth_codes; DROP TABLE grant_accounts; DROP TABLE grants;
DROP TABLE login_guard; DROP TABLE auth_requests; DROP TABLE partners;
