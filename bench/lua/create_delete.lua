-- Create a compute, then delete it: each connection alternates POST /compute/ and DELETE.
local token = os.getenv("OCCI_TOKEN")
local created = {}
local create_headers = {
  ["X-Auth-Token"] = token,
  ["Content-Type"] = "text/occi",
  ["Category"] = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"',
}
local delete_headers = { ["X-Auth-Token"] = token }

request = function()
  local location = table.remove(created)
  if location then
    return wrk.format("DELETE", location, delete_headers)
  end
  return wrk.format("POST", "/compute/", create_headers)
end

response = function(status, headers, body)
  if status == 201 then
    local location = headers["location"] or headers["Location"]
    table.insert(created, (location:gsub("^https?://[^/]+", "")))
  end
end
