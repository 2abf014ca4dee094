-- 0004_sso: single sign-on state. (Filled in by the SSO work.)
SELECT 1;
