-- wrk script: POST a portal reply with the session cookie and CSRF token from the environment.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.headers["Origin"] = os.getenv("ORIGIN")
wrk.body = "_csrf=" .. os.getenv("CSRF") .. "&body=Load+test+reply"
