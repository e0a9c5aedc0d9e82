-- Reads only: one compute, the query interface, a page of computes.
local token = os.getenv("OCCI_TOKEN")
local compute = os.getenv("OCCI_COMPUTE")
local reads = { ["X-Auth-Token"] = token }
local counter = 0

request = function()
  counter = counter + 1
  local slot = counter % 10
  if slot < 5 then
    return wrk.format("GET", compute, reads)
  elseif slot < 8 then
    return wrk.format("GET", "/-/", reads)
  end
  return wrk.format("GET", "/compute/?page=1&number=50", reads)
end
