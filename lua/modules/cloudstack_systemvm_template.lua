-- cloudstack_systemvm_template: is the new system VM template registered (and
-- downloaded) for every hypervisor the cloud uses, BEFORE the management servers
-- are stopped for the upgrade?
--
-- The seed's first step ("Upgrade from 4.2.0 to 4.3": register systemvm-kvm-4.3,
-- systemvm-xenserver-4.3, systemvm-vmware-4.3 in the UI) is a UI action nobody can
-- automate safely, and it is easy to skip. CloudStack's own database upgrade
-- (Upgrade421to430.updateSystemVmTemplates) then stops the first management server
-- that starts with "4.3.0 KVM SystemVm template not found. Cannot upgrade system
-- Vms" -- after every server was stopped: an outage. This module asks the database
-- the upgrade's own question (the newest vm_template named systemvm-HV-VERSION, not
-- removed, for each hypervisor_type of a cluster not removed) and fails before
-- anything is stopped, saying what to register. It also asks whether the template
-- reached secondary storage (download_state DOWNLOADED in template_store_ref, 4.2+,
-- or template_host_ref before): registered but not downloaded, the upgrade passes
-- but the system VMs cannot be recreated afterwards (cloudstack-sysvmadm fails).
--
-- The mysql client runs ON THE HOST (like mysql_db's mysqldump): the login goes to
-- it on stdin as an option file (--defaults-extra-file=/dev/stdin), never in argv;
-- without login_* the host's ~/.my.cnf applies. It only reads (query = true), so it
-- answers in --check too. It never changes anything: check() plans no change.

local TEMPLATE_HV = {  -- hypervisor_type in the database -> the name part of the template
  XenServer = "xenserver", KVM = "kvm", VMware = "vmware", LXC = "lxc", Hyperv = "hyperv",
}

local function sh_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function sql_string(s)
  return "'" .. s:gsub("\\", "\\\\"):gsub("'", "''") .. "'"
end

local function option_file(args)
  local lines = { "[client]" }
  local function put(key, v)
    if v == nil or v == "" then return end
    v = tostring(v)
    if v:find("[\r\n]") then error("login_" .. key .. " must not contain a line break", 0) end
    lines[#lines + 1] = key .. "=" .. v
  end
  put("user", args.login_user)
  put("password", args.login_password)
  put("host", args.login_host)
  put("port", args.login_port)
  put("socket", args.login_unix_socket)
  return table.concat(lines, "\n") .. "\n"
end

local function has_login(args)
  return args.login_user ~= nil or args.login_password ~= nil or args.login_host ~= nil or
         args.login_port ~= nil or args.login_unix_socket ~= nil
end

-- Rows of a read-only query: a list of lists of column texts (NULL stays "NULL").
local function query(host, args, sql)
  local cmd = args.mysql .. (has_login(args) and " --defaults-extra-file=/dev/stdin" or "") ..
              " --batch --skip-column-names --database=" .. sh_quote(args.database) .. " -e " .. sh_quote(sql)
  local r = host:run(cmd, { query = true, stdin = has_login(args) and option_file(args) or nil })
  if r.rc ~= 0 then
    local why = (r.stderr ~= "" and r.stderr or r.stdout):gsub("%s+$", "")
    error("the database query failed (" .. args.mysql .. ", rc " .. r.rc .. "): " .. why, 0)
  end
  local rows = {}
  for line in r.stdout:gmatch("[^\n]+") do
    local cols = {}
    for col in (line .. "\t"):gmatch("([^\t]*)\t") do cols[#cols + 1] = col end
    rows[#rows + 1] = cols
  end
  return rows
end

local function table_exists(host, args, name)
  local rows = query(host, args, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() " ..
                                 "AND table_name = " .. sql_string(name))
  return rows[1] ~= nil and rows[1][1] ~= "0"
end

return {
  summary = "Verify the new CloudStack system VM template is registered and downloaded before an upgrade",
  doc = [[
Fails unless the database has, for every hypervisor type in use (a cluster that is not
removed; or the ones in `hypervisors`), a template named systemvm-HV-VERSION
(systemvm-kvm-4.3, systemvm-xenserver-4.3, systemvm-vmware-4.3, systemvm-lxc-4.3,
systemvm-hyperv-4.3) that is not removed -- the check CloudStack's database upgrade
makes when the first upgraded management server starts -- and, with downloaded (the
default), that it is DOWNLOADED on a secondary storage. Run it before the servers stop.
The mysql client runs on the host; the login travels on stdin, never in argv; without
login_* the host's ~/.my.cnf applies. Read-only: it never changes anything.

  - name: The 4.3 system VM templates are registered (seed step 1) before anything stops
    cloudstack_systemvm_template:
      version: "4.3"
      login_user: cloud
      login_password: "{{ cloudstack_db_password }}"
    run_once: true
    delegate_to: "{{ groups['cloudstack_db'][0] }}"
]],
  args = {
    { name = "version", default = "4.3", doc = "the CloudStack release upgraded to (the template names end in it)" },
    { name = "hypervisors", type = "list",
      doc = "hypervisor types to check (KVM, XenServer, VMware, LXC, Hyperv); default: those of the clusters in use" },
    { name = "downloaded", type = "bool", default = true,
      doc = "also require the template to be DOWNLOADED on a secondary storage" },
    { name = "database", default = "cloud", doc = "the CloudStack database" },
    { name = "login_user", doc = "database user (default: the host's ~/.my.cnf)" },
    { name = "login_password", secret = true, doc = "database password (to mysql on stdin)" },
    { name = "login_host", doc = "database host as seen from the host" },
    { name = "login_port", type = "int", doc = "database port" },
    { name = "login_unix_socket", type = "path", doc = "database socket" },
    { name = "mysql", default = "mysql", doc = "the mysql client on the host" },
  },

  check = function(args, host)
    if not tostring(args.version):match("^%d+%.%d+$") then
      error("version: '" .. tostring(args.version) .. "' is not a release like 4.3", 0)
    end
    if not tostring(args.database):match("^[%w_]+$") then
      error("database: '" .. tostring(args.database) .. "' is not a database name", 0)
    end
    if not args.mysql:match("^[%w_./-]+$") then
      error("mysql: '" .. args.mysql .. "' is not a command name or path", 0)
    end

    local hvs, from_clusters = {}, args.hypervisors == nil
    if from_clusters then
      for _, row in ipairs(query(host, args, "SELECT DISTINCT hypervisor_type FROM cluster WHERE removed IS NULL " ..
                                             "ORDER BY hypervisor_type")) do
        hvs[#hvs + 1] = row[1]
      end
    else
      for _, hv in ipairs(args.hypervisors) do hvs[#hvs + 1] = tostring(hv) end
    end

    local store_table = nil
    if args.downloaded then
      if table_exists(host, args, "template_store_ref") then
        store_table = "template_store_ref"        -- 4.2 and later (object store)
      elseif table_exists(host, args, "template_host_ref") then
        store_table = "template_host_ref"         -- 4.1 and earlier
      else
        error("neither template_store_ref nor template_host_ref exists in database '" .. args.database ..
              "': is this a CloudStack database?", 0)
      end
    end

    local templates, missing, ignored = {}, {}, {}
    for _, hv in ipairs(hvs) do
      local part = TEMPLATE_HV[hv]
      if part == nil then
        if not from_clusters then
          error("hypervisors: unknown hypervisor type '" .. hv .. "' (KVM, XenServer, VMware, LXC or Hyperv)", 0)
        end
        ignored[#ignored + 1] = hv  -- BareMetal, Simulator...: the upgrade has no system VM template for them
      else
        local name = "systemvm-" .. part .. "-" .. args.version
        -- The upgrade's own query: the newest one of that name that is not removed.
        local rows = query(host, args, "SELECT id, IFNULL(uuid, '') FROM vm_template WHERE name = " ..
                                       sql_string(name) .. " AND removed IS NULL ORDER BY id DESC LIMIT 1")
        if rows[1] == nil then
          missing[#missing + 1] = hv .. ": no template named " .. name .. " (register it before the upgrade: " ..
                                  "Templates > Register template, name and description " .. name .. ")"
        else
          local t = { name = name, id = tonumber(rows[1][1]), uuid = rows[1][2] }
          if store_table then
            local state = query(host, args, "SELECT download_state, COUNT(*) FROM " .. store_table ..
                                            " WHERE template_id = " .. rows[1][1] .. " AND destroyed = 0" ..
                                            " GROUP BY download_state ORDER BY download_state")
            local seen = {}
            for _, s in ipairs(state) do
              seen[#seen + 1] = s[1] .. " on " .. s[2] .. " store(s)"
              if s[1] == "DOWNLOADED" then t.downloaded = true end
            end
            t.download_state = #seen > 0 and table.concat(seen, ", ") or "not on any secondary storage"
            if not t.downloaded then
              missing[#missing + 1] = hv .. ": " .. name .. " (id " .. rows[1][1] .. ") is registered but not " ..
                                      "downloaded (" .. t.download_state .. "): wait for the download, or the " ..
                                      "system VMs cannot be recreated after the upgrade"
            end
          end
          templates[hv] = t
        end
      end
    end

    if #missing > 0 then
      error("the " .. args.version .. " system VM templates are not ready, the upgrade would fail when the " ..
            "first management server starts: " .. table.concat(missing, "; "), 0)
    end
    local names = {}
    for _, hv in ipairs(hvs) do if templates[hv] then names[#names + 1] = templates[hv].name end end
    local msg = #names > 0 and (table.concat(names, ", ") .. (store_table and " registered and downloaded" or " registered"))
                or "no hypervisor in use needs a system VM template"
    if #ignored > 0 then msg = msg .. " (no template needed for " .. table.concat(ignored, ", ") .. ")" end
    return { msg = msg, result = { hypervisors = hvs, templates = templates } }
  end,

  -- check() never plans a change, so there is nothing to carry out.
  apply = function(plan, host)
    return {}
  end,
}
