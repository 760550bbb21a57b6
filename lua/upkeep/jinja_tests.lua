-- Jinja's and Ansible's tests: `v is name(args)` calls T.name(v, args, kw).
return function(R)
  local NULL, need, kind, str, fail, arg = R.null, R.need, R.kind, R.str, R.fail, R.arg
  local jn = __jn
  local version = require("upkeep.version")

  local T = {}
  R.tests = T

  function T.defined(v) return not R.is_undef(v) end
  function T.undefined(v) return R.is_undef(v) end
  function T.none(v) return v == NULL end
  T["true"] = function(v) return v == true end
  T["false"] = function(v) return v == false end
  function T.boolean(v) return kind(v) == "bool" end
  function T.string(v) return kind(v) == "string" end
  function T.number(v) local k = kind(v) return k == "int" or k == "float" end
  function T.integer(v) return kind(v) == "int" end
  function T.float(v) return kind(v) == "float" end
  function T.mapping(v) return kind(v) == "map" end
  function T.sequence(v) local k = kind(v) return k == "list" or k == "string" or k == "map" end
  function T.iterable(v) local k = kind(v) return k == "list" or k == "string" or k == "map" end
  function T.list(v) return kind(v) == "list" end
  function T.callable(v) return type(v) == "function" end
  function T.truthy(v) return R.truthy(v) end
  function T.falsy(v) return not R.truthy(v) end
  function T.odd(v) return v % 2 == 1 end
  function T.even(v) return v % 2 == 0 end
  function T.divisibleby(v, a, kw) return v % arg(a, kw, 1, "num") == 0 end
  function T.lower(v) local s = str(v) return s:lower() == s end
  function T.upper(v) local s = str(v) return s:upper() == s end
  function T.equalto(v, a, kw) return R.eq(v, arg(a, kw, 1, "other")) end
  T.eq, T["=="] = T.equalto, T.equalto
  function T.ne(v, a, kw) return not R.eq(v, arg(a, kw, 1, "other")) end
  function T.sameas(v, a, kw) local o = arg(a, kw, 1, "other") return rawequal(v, o) or (kind(v) ~= "list" and kind(v) ~= "map" and R.eq(v, o) and kind(v) == kind(o)) end
  function T.gt(v, a, kw) return R.lt(arg(a, kw, 1, "other"), v) end
  function T.ge(v, a, kw) return R.le(arg(a, kw, 1, "other"), v) end
  function T.lt(v, a, kw) return R.lt(v, arg(a, kw, 1, "other")) end
  function T.le(v, a, kw) return R.le(v, arg(a, kw, 1, "other")) end
  T.greaterthan, T.lessthan = T.gt, T.lt
  T["in"] = function(v, a, kw) return R.contains(arg(a, kw, 1, "seq"), v) end
  function T.contains(v, a, kw) return R.contains(v, arg(a, kw, 1, "value")) end
  function T.version(v, a, kw)
    return version.test(str(v), str(arg(a, kw, 1, "version")), str(arg(a, kw, 2, "operator", "eq")))
  end
  T.version_compare = T.version

  local function re_test(v, a, kw, anchor)
    local pattern = str(arg(a, kw, 1, "pattern"))
    if anchor == "match" then pattern = "^(?:" .. pattern .. ")" end
    if anchor == "fullmatch" then pattern = "^(?:" .. pattern .. ")$" end
    return jn.re_search(str(v), pattern, R.truthy(arg(a, kw, 2, "ignorecase", false)),
                        R.truthy(arg(a, kw, 3, "multiline", false))) ~= nil
  end
  function T.match(v, a, kw) return re_test(v, a, kw, "match") end
  function T.search(v, a, kw) return re_test(v, a, kw, "search") end
  function T.regex(v, a, kw) return re_test(v, a, kw, arg(a, kw, 4, "match_type", "search")) end

  function T.subset(v, a, kw)
    local b = R.iter(arg(a, kw, 1, "b"))
    for _, x in ipairs(R.iter(v)) do
      local found = false
      for _, y in ipairs(b) do if R.eq(x, y) then found = true break end end
      if not found then return false end
    end
    return true
  end
  function T.superset(v, a, kw) return T.subset(arg(a, kw, 1, "b"), { v }) end
  function T.abs(v) return str(v):sub(1, 1) == "/" end

  -- Task results (registered variables).
  local function flag(name)
    return function(r)
      if kind(r) ~= "map" then fail("'is " .. name .. "' needs a registered task result, got a " .. R.type_name(r)) end
      local v = R.map_get(r, name)
      return v ~= nil and R.truthy(v)
    end
  end
  T.changed, T.failed, T.skipped = flag("changed"), flag("failed"), flag("skipped")
  function T.succeeded(r) return not T.failed(r) end
  function T.finished(r) return not R.truthy(R.map_get(r, "finished") == 0) end
  T.success, T.successful, T.failure, T.change, T.skip = T.succeeded, T.succeeded, T.failed, T.changed, T.skipped

  local allow_undefined = { defined = true, undefined = true }
  function R.test(name, v, a, kw)
    local short = name:match("^ansible%.builtin%.(.+)$") or name
    local t = T[short]
    if not t then
      -- A test of the playbook's lua/tests/*.lua: called as t(value, args..., kwargs).
      local user = upkeep.user_test(short)
      if not user then fail("no test named '" .. name .. "'") end
      t = function(x, args, kwargs)
        local n = #args
        local all = { table.unpack(args, 1, n) }
        if kwargs then n = n + 1; all[n] = kwargs end
        return user(x, table.unpack(all, 1, n))
      end
    end
    if not allow_undefined[short] then need(v) end
    for i = 1, #a do need(a[i]) end
    return t(v, a, kw) and true or false
  end
end
