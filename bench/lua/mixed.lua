-- A mixed load: reads of one compute, the query interface and a page of computes, plus creates
-- and deletes. OCCI_COMPUTE names the compute to read.
local token = os.getenv("OCCI_TOKEN")
local compute = os.getenv("OCCI_COMPUTE")
local created = {}
local reads = { ["X-Auth-Token"] = token }
local create_headers = {
  ["X-Auth-Token"] = token,
  ["Content-Type"] = "text/occi",
  ["Category"] = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"',
}
local counter = 0

request = function()
  counter = counter + 1
  local slot = counter % 20
  if slot < 8 then
    return wrk.format("GET", compute, reads)
  elseif slot < 12 then
    return wrk.format("GET", "/-/", reads)
  elseif slot < 14 then
    return wrk.format("GET", "/compute/?page=1&number=50", reads)
  elseif slot < 17 then
    return wrk.format("POST", "/compute/", create_headers)
  end
  local location = table.remove(created)
  if location then
    return wrk.format("DELETE", location, reads)
  end
  return wrk.format("GET", compute, reads)
end

response = function(status, headers, body)
  if status == 201 then
    local location = headers["location"] or headers["Location"]
    table.insert(created, (location:gsub("^https?://[^/]+", "")))
  end
end
