-- wrk script: POST portal replies with the session cookie and CSRF token from the environment,
-- spread round-robin over the open tickets in REFS (comma-separated): replies on one ticket
-- all wait for that ticket's row lock, which no real help desk does all at once.
local refs = {}
for r in string.gmatch(os.getenv("REFS") or "", "[^,]+") do table.insert(refs, r) end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.headers["Origin"] = os.getenv("ORIGIN")
wrk.body = "_csrf=" .. os.getenv("CSRF") .. "&body=Load+test+reply"
request = function()
  i = i + 1
  return wrk.format(nil, "/portal/tickets/" .. refs[(i % #refs) + 1] .. "/reply")
end
