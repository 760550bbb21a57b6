-- Global functions of expressions: range, dict, lookup/query/q. A variable of
-- the same name hides them, as in Jinja.
return function(R)
  local NULL, need, kind, str, fail = R.null, R.need, R.kind, R.str, R.fail
  local new_list, new_dict = R.new_list, R.new_dict
  local jn = __jn
  local G = R.globals

  G.range = function(a)
    local start, stop, step = 0, a[1], 1
    if #a >= 2 then start, stop = a[1], a[2] end
    if #a >= 3 then step = a[3] end
    if step == 0 then fail("range() arg 3 must not be zero") end
    local out = new_list()
    if (stop - start) / step > 100000 then fail("range is too large (more than 100000 items)") end
    for i = start, stop - (step > 0 and 1 or -1), step do out[#out + 1] = i end
    return out
  end

  G.dict = function(a, kw)
    local out = new_dict()
    if a[1] ~= nil then
      for _, k in ipairs(R.keys_of(a[1])) do out[k] = R.map_get(a[1], k) end
    end
    for k, v in pairs(kw) do out[k] = v end
    return out
  end

  local lookups = {}
  R.lookups = lookups

  local function terms_of(a)
    local out = {}
    for i, t in ipairs(a) do out[i] = t end
    return out
  end

  -- One level, as LookupBase._flatten.
  local function flatten1(terms)
    local out = {}
    for _, t in ipairs(terms) do
      if kind(t) == "list" then for _, x in ipairs(R.iter(t)) do out[#out + 1] = x end
      else out[#out + 1] = t end
    end
    return out
  end

  function lookups.env(terms, kw)
    local out = {}
    for _, t in ipairs(terms) do
      local v = jn.getenv(str(t))
      if v == nil then v = kw.default ~= nil and kw.default or "" end
      out[#out + 1] = v
    end
    return out
  end
  function lookups.file(terms, kw)
    local out = {}
    for _, t in ipairs(terms) do
      local content = jn.read_file(str(t))
      if content == nil then fail("lookup('file'): could not find or read '" .. str(t) .. "'") end
      if kw.rstrip == nil or R.truthy(kw.rstrip) then content = content:gsub("%s+$", "") end
      if R.truthy(kw.lstrip or false) then content = content:gsub("^%s+", "") end
      out[#out + 1] = content
    end
    return out
  end
  function lookups.template(terms, kw)
    local out = {}
    for _, t in ipairs(terms) do
      local fn, newlines = jn.load_template(str(t), false, R)
      local text = fn()
      -- As Ansible: the source's trailing newlines come back.
      local have = #(text:match("\n*$"))
      if newlines > have then text = text .. string.rep("\n", newlines - have) end
      out[#out + 1] = text
    end
    return out
  end
  function lookups.pipe(terms)
    local out = {}
    for _, t in ipairs(terms) do
      local text, rc = jn.pipe(str(t))
      if rc ~= 0 then fail("lookup('pipe'): '" .. str(t) .. "' exited with " .. rc) end
      out[#out + 1] = (text:gsub("%s+$", ""))
    end
    return out
  end
  function lookups.vars(terms, kw)
    local out = {}
    for _, t in ipairs(terms) do
      local v = R.var(str(t))
      if R.is_undef(v) then
        if kw.default ~= nil then v = kw.default else fail("No variable found with this name: " .. str(t)) end
      end
      out[#out + 1] = v
    end
    return out
  end
  function lookups.items(terms) return flatten1(terms) end
  function lookups.list(terms) return terms end
  function lookups.indexed_items(terms)
    local out = {}
    for i, t in ipairs(flatten1(terms)) do out[i] = new_list({ i - 1, t }) end
    return out
  end
  function lookups.dict(terms)
    local out = {}
    for _, d in ipairs(terms) do
      for _, k in ipairs(R.keys_of(d)) do out[#out + 1] = new_dict({ key = k, value = R.map_get(d, k) }) end
    end
    return out
  end
  function lookups.first_found(terms, kw)
    local files, paths = {}, {}
    for _, t in ipairs(terms) do
      if kind(t) == "map" then
        for _, f in ipairs(R.iter(R.map_get(t, "files") or new_list())) do files[#files + 1] = str(f) end
        for _, p in ipairs(R.iter(R.map_get(t, "paths") or new_list())) do paths[#paths + 1] = str(p) end
      else
        files[#files + 1] = str(t)
      end
    end
    if kw.files then for _, f in ipairs(R.iter(kw.files)) do files[#files + 1] = str(f) end end
    if kw.paths then for _, p in ipairs(R.iter(kw.paths)) do paths[#paths + 1] = str(p) end end
    for _, f in ipairs(files) do
      local candidates = { f }
      if #paths > 0 and f:sub(1, 1) ~= "/" then
        candidates = {}
        for _, p in ipairs(paths) do candidates[#candidates + 1] = p .. "/" .. f end
      end
      for _, c in ipairs(candidates) do
        local found = jn.find_file(c)
        if found then return { found } end
      end
    end
    if R.truthy(kw.skip or false) then return {} end
    fail("lookup('first_found'): none of the files was found: " .. table.concat(files, ", "))
  end

  local function run_lookup(a, kw)
    local name = str(need(a[1]))
    name = name:match("^ansible%.builtin%.(.+)$") or name
    local f = lookups[name]
    if not f then fail("no lookup plugin named '" .. name .. "'") end
    local opts = {}
    for k, v in pairs(kw) do if k ~= "wantlist" and k ~= "errors" then opts[k] = v end end
    return f(terms_of({ table.unpack(a, 2) }), opts)
  end

  G.lookup = function(a, kw)
    local out = run_lookup(a, kw)
    if kw.wantlist and R.truthy(kw.wantlist) then return new_list(out) end
    -- As Ansible: joined with "," when all are strings, else the one item or the list.
    local all_strings = true
    for _, v in ipairs(out) do if type(v) ~= "string" then all_strings = false end end
    if all_strings then return table.concat(out, ",") end
    if #out == 1 then return out[1] end
    return new_list(out)
  end
  G.query = function(a, kw) return new_list(run_lookup(a, kw)) end
  G.q = G.query
end
