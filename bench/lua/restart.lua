-- The restart action on one compute (always applicable to an active compute).
wrk.method = "POST"
wrk.headers["X-Auth-Token"] = os.getenv("OCCI_TOKEN")
wrk.headers["Content-Type"] = "text/occi"
wrk.headers["Category"] =
  'restart; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"; class="action"'
