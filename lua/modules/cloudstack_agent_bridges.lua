-- cloudstack_agent_bridges: the bridge names a CloudStack KVM agent uses
-- (public/private/guest.network.device in agent.properties), checked against the
-- bridges the host really has. After an upgrade from 2.2/3.0 the bridges are
-- renamed (cloud0 -> cloudbr0 by cloudstack-agent-upgrade); an agent started with
-- agent.properties naming a bridge that does not exist comes up without its
-- networks, so this module fails before that happens, in the dry run too.
--
-- A Lua module (README "Writing a module in Lua"): check() only reads and returns
-- the plan with the exact new file; apply() writes exactly that file.

local KEYS = {
  { arg = "public", key = "public.network.device" },
  { arg = "private", key = "private.network.device" },
  { arg = "guest", key = "guest.network.device" },
}

-- Splits text into lines, each with its own line ending ("" for a last line without one).
local function lines_of(text)
  local out, pos = {}, 1
  while pos <= #text do
    local nl = text:find("\n", pos, true)
    if nl then
      out[#out + 1] = { body = text:sub(pos, nl - 1), eol = "\n" }
      pos = nl + 1
    else
      out[#out + 1] = { body = text:sub(pos), eol = "" }
      pos = #text + 1
    end
  end
  return out
end

-- "key = value", "key:value", "key value" (java.util.Properties separators); nil for
-- comments, blank lines and other keys.
local function value_of(body, key)
  local k, sep, v = body:match("^%s*([^%s=:#!]+)(%s*[=:]?%s*)(.-)%s*$")
  if k ~= key then return nil end
  return v, body:sub(1, #body - #body:match("^%s*[^%s=:#!]+%s*[=:]?%s*(.*)$"))
end

local function is_bridge_name(s)
  return type(s) == "string" and #s > 0 and #s <= 15 and s:match("^[%w%.%-_]+$") ~= nil
end

return {
  summary = "Set and verify the CloudStack KVM agent's bridge names (agent.properties)",
  doc = [[
Ensures public.network.device, private.network.device and guest.network.device in
agent.properties (only the ones given), and with verify (the default) fails when a
bridge the file names (after the change) is not a Linux bridge on the host
(/sys/class/net/NAME/bridge): the agent would start without its networks.

  - name: Check the agent's bridge names before it starts
    cloudstack_agent_bridges:
      path: /etc/cloudstack/agent/agent.properties
      guest: cloudbr0
]],
  args = {
    { name = "path", type = "path", default = "/etc/cloudstack/agent/agent.properties",
      doc = "the agent's properties file" },
    { name = "public", doc = "bridge for public.network.device (unset: keep the file's)" },
    { name = "private", doc = "bridge for private.network.device (unset: keep the file's)" },
    { name = "guest", doc = "bridge for guest.network.device (unset: keep the file's)" },
    { name = "verify", type = "bool", default = true,
      doc = "fail when a named bridge does not exist on the host" },
    { name = "backup", type = "bool", default = false, doc = "keep a backup of the old file" },
  },

  check = function(args, host)
    local path = args.path
    local text = host:read_file(path)
    if text == nil then
      -- A dry run in which the agent's install (cloud-agent -> cloudstack-agent) is
      -- planned: the file comes with it, so the check depends on the install.
      local why = host:pending_file(path)
      if why ~= nil then
        return {
          changes = { { target = path, summary = "bridge check depends on " .. why .. ", which creates the file" } },
          msg = "bridge check depends on " .. why,
          depends_on = why,
          data = { pending = true },
        }
      end
      error(path .. " does not exist (is cloudstack-agent installed?)", 0)
    end
    local lines = lines_of(text)
    local changed, effective = {}, {}
    for _, k in ipairs(KEYS) do
      local want = args[k.arg]
      if want ~= nil and not is_bridge_name(want) then
        error(k.arg .. ": '" .. tostring(want) .. "' is not a network interface name", 0)
      end
      local found = false
      for _, line in ipairs(lines) do
        local old, prefix = value_of(line.body, k.key)
        if old ~= nil then
          found = true
          effective[k.key] = old
          if want ~= nil and old ~= want then
            changed[#changed + 1] = k.key .. ": " .. (old == "" and "(empty)" or old) .. " -> " .. want
            line.body = prefix .. want
          end
          if want ~= nil then effective[k.key] = want end
        end
      end
      if not found and want ~= nil then
        if #lines > 0 and lines[#lines].eol == "" then lines[#lines].eol = "\n" end
        lines[#lines + 1] = { body = k.key .. "=" .. want, eol = "\n" }
        changed[#changed + 1] = k.key .. ": (unset) -> " .. want
        effective[k.key] = want
      end
    end

    if args.verify then
      for _, k in ipairs(KEYS) do
        local bridge = effective[k.key]
        if bridge ~= nil and bridge ~= "" then
          if not is_bridge_name(bridge) then
            error(path .. ": " .. k.key .. "=" .. bridge .. " is not a network interface name", 0)
          end
          local st = host:stat("/sys/class/net/" .. bridge .. "/bridge")
          if not st.exists then
            error(path .. " names bridge '" .. bridge .. "' for " .. k.key ..
                  ", but the host has no such bridge (/sys/class/net/" .. bridge ..
                  "/bridge): create it (cloudstack-agent-upgrade renames the old cloud0-style bridges) " ..
                  "or set the right name", 0)
          end
        end
      end
    end

    local bridges = {
      public = effective["public.network.device"],
      private = effective["private.network.device"],
      guest = effective["guest.network.device"],
    }
    if #changed == 0 then
      return { msg = "bridge names already set", result = { bridges = bridges } }
    end
    local parts = {}
    for _, l in ipairs(lines) do parts[#parts + 1] = l.body .. l.eol end
    local new = table.concat(parts)
    return {
      changes = { { target = path, summary = table.concat(changed, ", "), before = text, after = new } },
      msg = table.concat(changed, ", "),
      data = { path = path, content = new, backup = args.backup },
      result = { bridges = bridges },
    }
  end,

  apply = function(plan, host)
    if plan.data.pending then return {} end  -- dry run only: nothing to check yet
    local w = host:write_file(plan.data.path, plan.data.content, { backup = plan.data.backup })
    return { backup_file = w.backup_file }
  end,
}
