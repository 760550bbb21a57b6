-- Jinja's and ansible.builtin's filters: `v | name(args, kw=...)` calls F.name(v, args, kw).
-- Filters that need C (regex, hashes, JSON/YAML, crypt) call the natives of __jn.
return function(R)
  local NULL, need, kind, str, fail = R.null, R.need, R.kind, R.str, R.fail
  local new_list, new_dict, arg = R.new_list, R.new_dict, R.arg
  local jn, native = __jn, upkeep
  local mtype = math.type
  local version = require("upkeep.version")

  local F = {}
  R.filters = F

  local function is_none(v) return v == nil or v == NULL end
  local function list_of(v) return R.iter(v) end
  local function truthy(v) return R.truthy(v) end

  local function to_list(t) return new_list(t) end

  -- attribute="a.b" or "0": follows dots, as Jinja's make_attrgetter does.
  local function getter(attribute, default)
    if is_none(attribute) then return function(x) return x end end
    local parts = {}
    for p in tostring(attribute):gmatch("[^.]+") do parts[#parts + 1] = tonumber(p) and math.tointeger(tonumber(p)) or p end
    return function(x)
      for _, p in ipairs(parts) do
        x = R.item(x, p, tostring(attribute))
        if R.is_undef(x) then
          if default ~= nil then return default end
          return x
        end
      end
      return x
    end
  end
  R.getter = getter

  function F.default(v, a, kw)
    local d = a[1]
    if d == nil then d = kw and kw.default_value end
    if d == nil then d = "" end
    local boolean = arg(a, kw, 2, "boolean", false)
    if R.is_undef(v) or (truthy(boolean) and not truthy(v)) then return d end
    return v
  end
  F.d = F.default

  function F.mandatory(v, a, kw)
    if R.is_undef(v) then
      local msg = arg(a, kw, 1, "msg", NULL)
      if not is_none(msg) then fail(str(msg)) end
      fail("Mandatory variable not defined: " .. v.msg)
    end
    return v
  end

  -- Python int(): "42" -> 42, "4.2" -> 0 (the default) as Jinja does, floats truncate.
  function F.int(v, a, kw)
    local default, base = arg(a, kw, 1, "default", 0), arg(a, kw, 2, "base", 10)
    local k = kind(v)
    if k == "int" then return v end
    if k == "bool" then return v and 1 or 0 end
    if k == "float" then return math.tointeger(v < 0 and math.ceil(v) or math.floor(v)) or default end
    if k == "string" then
      local s = v:gsub("^%s+", ""):gsub("%s+$", ""):gsub("_", "")
      if base == 10 then
        if s:match("^[+-]?%d+$") then return math.tointeger(tonumber(s)) or default end
        local f = tonumber(s)
        if f and s:match("^[+-]?%d*%.?%d*[eE]?[+-]?%d*$") then return math.tointeger(f < 0 and math.ceil(f) or math.floor(f)) or default end
        return default
      end
      s = s:gsub("^0[xXoObB]", "")
      return tonumber(s, base) or default
    end
    return default
  end

  function F.float(v, a, kw)
    local default = arg(a, kw, 1, "default", 0.0)
    local k = kind(v)
    if k == "float" then return v end
    if k == "int" then return v + 0.0 end
    if k == "bool" then return v and 1.0 or 0.0 end
    if k == "string" then
      local f = tonumber((v:gsub("^%s+", ""):gsub("%s+$", "")))
      if f then return f + 0.0 end
    end
    return default
  end

  -- Ansible's bool: yes/on/1/true (any case) are True, everything else False.
  function F.bool(v)
    local k = kind(v)
    if k == "bool" then return v end
    if is_none(v) then return false end
    local s = str(v):lower():gsub("^%s+", ""):gsub("%s+$", "")
    return s == "yes" or s == "on" or s == "1" or s == "true" or s == "y" or s == "t" or s == "1.0"
  end

  function F.string(v) return str(v) end
  F.to_text = F.string
  function F.list(v) return to_list(R.iter(v)) end
  function F.length(v) return R.length(v) end
  F.count = F.length
  function F.abs(v) local r = math.abs(v) return r end
  function F.round(v, a, kw)
    local precision, method = arg(a, kw, 1, "precision", 0), arg(a, kw, 2, "method", "common")
    local m = 10 ^ precision
    local x = v * m
    if method == "ceil" then x = math.ceil(x)
    elseif method == "floor" then x = math.floor(x)
    else
      -- Python's round(): halves go to the even neighbour.
      local r = math.floor(x + 0.5)
      if r - x == 0.5 and r % 2 ~= 0 then r = r - 1 end
      x = r
    end
    return (x / m) + 0.0
  end

  function F.upper(v) return str(v):upper() end
  function F.lower(v) return str(v):lower() end
  function F.capitalize(v) local s = str(v) return s:sub(1, 1):upper() .. s:sub(2):lower() end
  function F.title(v) return (str(v):lower():gsub("(%w)(%w*)", function(x, y) return x:upper() .. y end)) end
  function F.trim(v, a, kw) return R.strip_chars(str(v), arg(a, kw, 1, "chars", NULL), true, true) end
  function F.center(v, a, kw) return R.center(str(v), arg(a, kw, 1, "width", 80), " ") end
  function F.wordcount(v) local n = 0 for _ in str(v):gmatch("%w+") do n = n + 1 end return n end
  function F.replace(v, a, kw)
    return R.replace_text(str(v), str(arg(a, kw, 1, "old")), str(arg(a, kw, 2, "new")), arg(a, kw, 3, "count", -1))
  end
  function F.split(v, a, kw) return R.split(str(v), arg(a, kw, 1, "sep", NULL), arg(a, kw, 2, "maxsplit", -1)) end
  function F.format(v, a) return R.percent_format(str(v), new_list({ table.unpack(a) })) end
  function F.indent(v, a, kw)
    local width, first, blank = arg(a, kw, 1, "width", 4), arg(a, kw, 2, "first", false), arg(a, kw, 3, "blank", false)
    local pad = type(width) == "string" and width or string.rep(" ", width)
    local s = str(v)
    local lines = {}
    for line in (s .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
    if s:sub(-1) == "\n" then lines[#lines] = nil end
    for i, line in ipairs(lines) do
      if (i > 1 or truthy(first)) and (truthy(blank) or line ~= "") then lines[i] = pad .. line end
    end
    local out = table.concat(lines, "\n")
    if s:sub(-1) == "\n" then out = out .. "\n" end
    return out
  end
  function F.quote(v)
    local s = str(v)
    if s == "" then return "''" end
    if not s:find("[^%w@%%+=:,./_-]") then return s end
    return "'" .. s:gsub("'", "'\"'\"'") .. "'"
  end
  function F.ternary(v, a, kw)
    local t, f, n = arg(a, kw, 1, "true_val"), arg(a, kw, 2, "false_val"), arg(a, kw, 3, "none_val", nil)
    if n ~= nil and is_none(v) then return n end
    if truthy(v) then return t end
    return f
  end
  function F.type_debug(v)
    local names = { map = "dict", list = "list", string = "str", int = "int", float = "float", bool = "bool", null = "NoneType" }
    return names[kind(v)] or kind(v)
  end

  function F.join(v, a, kw)
    local sep, get = str(arg(a, kw, 1, "d", "")), getter(arg(a, kw, 2, "attribute", NULL))
    local parts = {}
    for i, x in ipairs(list_of(v)) do parts[i] = str(get(x)) end
    return table.concat(parts, sep)
  end

  function F.first(v)
    local items = list_of(v)
    if #items == 0 then return R.undef("'first' of an empty sequence is undefined") end
    return items[1]
  end
  function F.last(v)
    local items = list_of(v)
    if #items == 0 then return R.undef("'last' of an empty sequence is undefined") end
    return items[#items]
  end

  local function reduce_by(v, a, kw, better)
    local get = getter(arg(a, kw, 2, "attribute", NULL))
    local best, bestk
    for _, x in ipairs(list_of(v)) do
      local k = get(x)
      if kind(k) == "string" and not truthy(arg(a, kw, 1, "case_sensitive", false)) then k = k:lower() end
      if best == nil or better(k, bestk) then best, bestk = x, k end
    end
    if best == nil then return R.undef("no min/max of an empty sequence") end
    return best
  end
  function F.min(v, a, kw) return reduce_by(v, a, kw, R.lt) end
  function F.max(v, a, kw) return reduce_by(v, a, kw, function(x, y) return R.lt(y, x) end) end
  function F.sum(v, a, kw)
    local get, total = getter(arg(a, kw, 1, "attribute", NULL)), arg(a, kw, 2, "start", 0)
    for _, x in ipairs(list_of(v)) do total = R.add(total, get(x)) end
    return total
  end

  local function sort_key(x, case_sensitive)
    if not case_sensitive and kind(x) == "string" then return x:lower() end
    return x
  end
  function F.sort(v, a, kw)
    local reverse, cs = truthy(arg(a, kw, 1, "reverse", false)), truthy(arg(a, kw, 2, "case_sensitive", false))
    local get = getter(arg(a, kw, 3, "attribute", NULL))
    local items = {}
    for i, x in ipairs(list_of(v)) do items[i] = { x = x, k = sort_key(get(x), cs), i = i } end
    table.sort(items, function(p, q)
      if R.eq(p.k, q.k) then return p.i < q.i end  -- stable, as Python's sort
      if reverse then return R.lt(q.k, p.k) end
      return R.lt(p.k, q.k)
    end)
    local out = new_list()
    for i, it in ipairs(items) do out[i] = it.x end
    return out
  end
  function F.reverse(v)
    if kind(v) == "string" then return R.slice(v, nil, nil, -1) end
    local items, out = list_of(v), new_list()
    for i = #items, 1, -1 do out[#out + 1] = items[i] end
    return out
  end

  local function contains(list, x)
    for i = 1, #list do if R.eq(list[i], x) then return true end end
    return false
  end
  function F.unique(v, a, kw)
    local get, out, seen = getter(arg(a, kw, 2, "attribute", NULL)), new_list(), {}
    for _, x in ipairs(list_of(v)) do
      local k = get(x)
      if not contains(seen, k) then seen[#seen + 1] = k; out[#out + 1] = x end
    end
    return out
  end
  function F.union(v, a, kw) return F.unique(R.add(F.list(v), F.list(arg(a, kw, 1, "b"))), {}) end
  function F.intersect(v, a, kw)
    local other, out = list_of(arg(a, kw, 1, "b")), new_list()
    for _, x in ipairs(list_of(v)) do if contains(other, x) and not contains(out, x) then out[#out + 1] = x end end
    return out
  end
  function F.difference(v, a, kw)
    local other, out = list_of(arg(a, kw, 1, "b")), new_list()
    for _, x in ipairs(list_of(v)) do if not contains(other, x) and not contains(out, x) then out[#out + 1] = x end end
    return out
  end
  function F.symmetric_difference(v, a, kw)
    local b = arg(a, kw, 1, "b")
    return F.difference(F.union(v, { b }), { F.intersect(v, { b }) })
  end

  function F.flatten(v, a, kw)
    local levels, skip_nulls = arg(a, kw, 1, "levels", NULL), arg(a, kw, 2, "skip_nulls", true)
    local out = new_list()
    local function walk(list, depth)
      for _, x in ipairs(list_of(list)) do
        if kind(x) == "list" and (is_none(levels) or depth < levels) then walk(x, depth + 1)
        elseif not (is_none(x) and truthy(skip_nulls)) then out[#out + 1] = x end
      end
    end
    walk(v, 0)
    return out
  end

  -- map('filter', args...) or map(attribute='x', default=d)
  function F.map(v, a, kw)
    local out = new_list()
    if a[1] == nil then
      local get = getter(kw and kw.attribute, kw and kw.default)
      for i, x in ipairs(list_of(v)) do out[i] = get(x) end
      return out
    end
    local name, rest = str(a[1]), { table.unpack(a, 2) }
    local extra_kw = {}
    if kw then for k, x in pairs(kw) do extra_kw[k] = x end end
    for i, x in ipairs(list_of(v)) do out[i] = R.filter(name, x, rest, next(extra_kw) and extra_kw or nil) end
    return out
  end

  local function select_impl(v, a, kw, by_attr, keep)
    local out = new_list()
    local get, test_at = function(x) return x end, 1
    if by_attr then get, test_at = getter(a[1]), 2 end
    local test = a[test_at]
    local targs = { table.unpack(a, test_at + 1) }
    for _, x in ipairs(list_of(v)) do
      local value = get(x)
      local ok
      if test == nil then ok = truthy(value) else ok = R.test(str(test), value, targs, kw) end
      if ok == keep then out[#out + 1] = x end
    end
    return out
  end
  function F.select(v, a, kw) return select_impl(v, a, kw, false, true) end
  function F.reject(v, a, kw) return select_impl(v, a, kw, false, false) end
  function F.selectattr(v, a, kw) return select_impl(v, a, kw, true, true) end
  function F.rejectattr(v, a, kw) return select_impl(v, a, kw, true, false) end

  local function merge(x, y, recursive, list_merge)
    local out = new_dict()
    for _, k in ipairs(R.keys_of(x)) do out[k] = R.map_get(x, k) end
    for _, k in ipairs(R.keys_of(y)) do
      local yv, xv = R.map_get(y, k), out[k]
      if recursive and xv ~= nil and kind(xv) == "map" and kind(yv) == "map" then
        out[k] = merge(xv, yv, recursive, list_merge)
      elseif xv ~= nil and kind(xv) == "list" and kind(yv) == "list" and list_merge ~= "replace" then
        if list_merge == "append" then out[k] = R.add(xv, yv)
        elseif list_merge == "prepend" then out[k] = R.add(yv, xv)
        elseif list_merge == "append_rp" then out[k] = R.add(F.difference(xv, { yv }), yv)
        elseif list_merge == "prepend_rp" then out[k] = R.add(yv, F.difference(xv, { yv }))
        else out[k] = yv end
      else
        out[k] = yv
      end
    end
    return out
  end
  function F.combine(v, a, kw)
    local recursive = truthy(kw and kw.recursive or false)
    local list_merge = kw and kw.list_merge or "replace"
    local dicts = { v }
    for _, x in ipairs(a) do
      if kind(x) == "list" then for _, y in ipairs(list_of(x)) do dicts[#dicts + 1] = y end
      else dicts[#dicts + 1] = x end
    end
    local out = new_dict()
    for _, d in ipairs(dicts) do
      if kind(d) ~= "map" then fail("combine: expected dicts, got " .. R.type_name(d)) end
      out = merge(out, d, recursive, list_merge)
    end
    return out
  end

  function F.dict2items(v, a, kw)
    local kn, vn = arg(a, kw, 1, "key_name", "key"), arg(a, kw, 2, "value_name", "value")
    if kind(v) ~= "map" then fail("dict2items requires a dictionary, got " .. R.type_name(v)) end
    local out = new_list()
    for _, k in ipairs(R.keys_of(v)) do out[#out + 1] = new_dict({ [kn] = k, [vn] = R.map_get(v, k) }) end
    return out
  end
  function F.items2dict(v, a, kw)
    local kn, vn = arg(a, kw, 1, "key_name", "key"), arg(a, kw, 2, "value_name", "value")
    local out = new_dict()
    for _, x in ipairs(list_of(v)) do out[R.map_get(x, kn)] = R.map_get(x, vn) end
    return out
  end
  function F.dictsort(v, a, kw)
    local cs, by, reverse = truthy(arg(a, kw, 1, "case_sensitive", false)), arg(a, kw, 2, "by", "key"), truthy(arg(a, kw, 3, "reverse", false))
    local items = R.method(v, "items", {}, nil, "dictsort")
    return F.sort(items, { reverse, cs, by == "value" and "1" or "0" })
  end

  function F.zip(v, a)
    local lists = { list_of(v) }
    for _, x in ipairs(a) do lists[#lists + 1] = list_of(x) end
    local n = math.huge
    for _, l in ipairs(lists) do n = math.min(n, #l) end
    local out = new_list()
    for i = 1, n do
      local row = R.tuple({})
      for j, l in ipairs(lists) do row[j] = l[i] end
      out[i] = row
    end
    return out
  end
  function F.zip_longest(v, a, kw)
    local fill = kw and kw.fillvalue or NULL
    local lists = { list_of(v) }
    for _, x in ipairs(a) do lists[#lists + 1] = list_of(x) end
    local n = 0
    for _, l in ipairs(lists) do n = math.max(n, #l) end
    local out = new_list()
    for i = 1, n do
      local row = R.tuple({})
      for j, l in ipairs(lists) do row[j] = l[i] == nil and fill or l[i] end
      out[i] = row
    end
    return out
  end

  function F.batch(v, a, kw)
    local size, fill = arg(a, kw, 1, "linecount"), arg(a, kw, 2, "fill_with", nil)
    local out, cur = new_list(), new_list()
    for _, x in ipairs(list_of(v)) do
      cur[#cur + 1] = x
      if #cur == size then out[#out + 1] = cur; cur = new_list() end
    end
    if #cur > 0 then
      if fill ~= nil then while #cur < size do cur[#cur + 1] = fill end end
      out[#out + 1] = cur
    end
    return out
  end
  function F.slice(v, a, kw)
    local slices, fill = arg(a, kw, 1, "slices"), arg(a, kw, 2, "fill_with", nil)
    local items = list_of(v)
    local per, extra = #items // slices, #items % slices
    local out, offset = new_list(), 0
    for i = 0, slices - 1 do
      local start = offset + i * per
      if i < extra then offset = offset + 1 end
      local stop = offset + (i + 1) * per
      local part = new_list({ table.unpack(items, start + 1, stop) })
      if fill ~= nil and i >= extra then part[#part + 1] = fill end
      out[#out + 1] = part
    end
    return out
  end
  function F.groupby(v, a, kw)
    local get = getter(arg(a, kw, 1, "attribute"), kw and kw.default)
    local sorted = F.sort(v, { false, false, arg(a, kw, 1, "attribute") })
    local out = new_list()
    for _, x in ipairs(sorted) do
      local k = get(x)
      local last = out[#out]
      if last and R.eq(last[1], k) then last[2][#last[2] + 1] = x
      else out[#out + 1] = new_list({ k, new_list({ x }) }) end
    end
    return out
  end
  function F.subelements(v, a, kw)
    local path, skip = arg(a, kw, 1, "subelements"), truthy(arg(a, kw, 2, "skip_missing", false))
    local out = new_list()
    for _, x in ipairs(list_of(v)) do
      local sub = getter(path)(x)
      if R.is_undef(sub) then
        if not skip then fail("could not find '" .. str(path) .. "' key in iterated item " .. R.repr(x)) end
      else
        for _, y in ipairs(list_of(sub)) do out[#out + 1] = new_list({ x, y }) end
      end
    end
    return out
  end

  -- Seeded shuffles and picks are deterministic per seed (not Python's sequence).
  local function rng(seed)
    local state = 0
    for c in str(seed):gmatch(".") do state = (state * 31 + c:byte()) % 2147483647 end
    if state == 0 then state = 1 end
    return function(n)
      state = (state * 48271) % 2147483647
      return state % n
    end
  end
  function F.random(v, a, kw)
    local seed = arg(a, kw, 3, "seed", NULL)
    local r = rng(is_none(seed) and tostring(os and os.time() or {}) or seed)
    if kind(v) == "int" then
      local start, step = arg(a, kw, 1, "start", 0), arg(a, kw, 2, "step", 1)
      local n = (v - start + step - 1) // step
      return start + r(n) * step
    end
    local items = list_of(v)
    return items[r(#items) + 1]
  end
  function F.shuffle(v, a, kw)
    local seed = arg(a, kw, 1, "seed", NULL)
    local r = rng(is_none(seed) and tostring({}) or seed)
    local items = new_list({ table.unpack(list_of(v)) })
    for i = #items, 2, -1 do
      local j = r(i) + 1
      items[i], items[j] = items[j], items[i]
    end
    return items
  end

  -- Paths, like Python's os.path.
  function F.basename(v) return (str(v):match("([^/]*)$")) end
  function F.dirname(v)
    local s = str(v)
    local head = s:match("^(.*/)") or ""
    if head ~= "" and not head:match("^/+$") then head = head:gsub("/+$", "") end
    return head
  end
  function F.splitext(v)
    local s = str(v)
    local base = s:match("([^/]*)$")
    local dot = base:match("^.*()%.")
    if not dot or base:sub(1, dot - 1):match("^%.*$") then return R.tuple({ s, "" }) end
    local cut = #s - #base + dot
    return R.tuple({ s:sub(1, cut - 1), s:sub(cut) })
  end
  function F.expanduser(v) return jn.expanduser(str(v)) end
  function F.realpath(v) return jn.realpath(str(v)) end
  function F.path_join(v)
    local out = ""
    for _, p in ipairs(list_of(v)) do
      p = str(p)
      if p:sub(1, 1) == "/" or out == "" then out = p
      elseif out:sub(-1) == "/" then out = out .. p
      else out = out .. "/" .. p end
    end
    return out
  end

  function F.b64encode(v) return native.b64encode(str(v)) end
  function F.b64decode(v) return native.b64decode(str(v)) end
  function F.hash(v, a, kw) return jn.hash(str(v), str(arg(a, kw, 1, "hashtype", "sha1"))) end
  function F.checksum(v) return jn.hash(str(v), "sha1") end
  function F.md5(v) return jn.hash(str(v), "md5") end
  function F.sha1(v) return jn.hash(str(v), "sha1") end
  function F.password_hash(v, a, kw)
    local scheme, salt = str(arg(a, kw, 1, "hashtype", "sha512")), arg(a, kw, 2, "salt", NULL)
    local rounds = arg(a, kw, 3, "rounds", 5000)
    return jn.password_hash(str(v), scheme, is_none(salt) and "" or str(salt), rounds)
  end

  -- Python's json.dumps (ensure_ascii, ", " and ": " separators, or indent).
  local function json_string(s)
    local out = { '"' }
    local ok = utf8.len(s)
    local function esc(cp)
      if cp == 34 then return '\\"' elseif cp == 92 then return "\\\\" elseif cp == 10 then return "\\n"
      elseif cp == 13 then return "\\r" elseif cp == 9 then return "\\t" elseif cp == 8 then return "\\b"
      elseif cp == 12 then return "\\f" end
      if cp < 32 or cp >= 127 then
        if cp >= 0x10000 then
          cp = cp - 0x10000
          return string.format("\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF))
        end
        return string.format("\\u%04x", cp)
      end
      return utf8.char(cp)
    end
    if ok then
      for _, cp in utf8.codes(s) do out[#out + 1] = esc(cp) end
    else
      for i = 1, #s do out[#out + 1] = esc(s:byte(i)) end
    end
    out[#out + 1] = '"'
    return table.concat(out)
  end
  local function json(v, indent, sort_keys, level)
    local k = kind(v)
    if k == "string" then return json_string(v) end
    if k == "int" then return tostring(v) end
    if k == "float" then
      if v ~= v then return "NaN" end
      if v == math.huge then return "Infinity" elseif v == -math.huge then return "-Infinity" end
      return R.float_repr(v)
    end
    if k == "bool" then return v and "true" or "false" end
    if k == "null" then return "null" end
    need(v)
    local nl, pad, inner = "", "", ""
    if indent then
      nl = "\n"
      pad = string.rep(" ", indent * level)
      inner = string.rep(" ", indent * (level + 1))
    end
    local sep = indent and "," or ", "
    if k == "list" then
      if #v == 0 then return "[]" end
      local parts = {}
      for i = 1, #v do parts[i] = inner .. json(v[i], indent, sort_keys, level + 1) end
      return "[" .. nl .. table.concat(parts, sep .. nl) .. nl .. pad .. "]"
    end
    if k == "map" then
      local keys = R.keys_of(v)
      if #keys == 0 then return "{}" end
      local parts = {}
      for i, key in ipairs(keys) do
        local ks = type(key) == "string" and key or str(key)
        parts[i] = inner .. json_string(ks) .. ": " .. json(R.map_get(v, key), indent, sort_keys, level + 1)
      end
      return "{" .. nl .. table.concat(parts, sep .. nl) .. nl .. pad .. "}"
    end
    fail("Object of type " .. R.type_name(v) .. " is not JSON serializable")
  end
  R.json = json
  function F.to_json(v, a, kw)
    local indent = kw and kw.indent
    if indent == NULL then indent = nil end
    return json(v, indent, true, 0)
  end
  function F.to_nice_json(v, a, kw) return json(v, arg(a, kw, 1, "indent", 4), true, 0) end
  function F.from_json(v) return native.from_json(str(v)) end
  function F.to_yaml(v, a, kw) return jn.to_yaml(v, false) end
  function F.to_nice_yaml(v, a, kw) return jn.to_yaml(v, true) end
  function F.from_yaml(v) return jn.from_yaml(str(v)) end
  function F.from_yaml_all(v) return jn.from_yaml(str(v), true) end

  local function flags(a, kw, i)
    return { ignorecase = truthy(arg(a, kw, i, "ignorecase", false)), multiline = truthy(arg(a, kw, i + 1, "multiline", false)) }
  end
  function F.regex_replace(v, a, kw)
    local f = flags(a, kw, 3)
    return jn.re_sub(str(v), str(arg(a, kw, 1, "pattern", "")), str(arg(a, kw, 2, "replacement", "")), f.ignorecase, f.multiline,
                     arg(a, kw, 5, "count", 0))
  end
  function F.regex_search(v, a, kw)
    local pattern = str(a[1] or "")
    local refs = {}
    for i = 2, #a do refs[#refs + 1] = str(a[i]) end
    local ic, ml = truthy(kw and kw.ignorecase or false), truthy(kw and kw.multiline or false)
    local m = jn.re_search(str(v), pattern, ic, ml)
    if not m then return NULL end
    if #refs == 0 then return m[0] end
    local out = new_list()
    for _, r in ipairs(refs) do
      local g = r:match("^\\g<(.+)>$")
      local n = r:match("^\\(%d+)$")
      if g then out[#out + 1] = m[tonumber(g) or g] or NULL
      elseif n then out[#out + 1] = m[tonumber(n)] or NULL
      else fail("regex_search: unknown argument '" .. r .. "'") end
    end
    return out
  end
  function F.regex_findall(v, a, kw)
    local f = flags(a, kw, 2)
    return new_list(jn.re_findall(str(v), str(arg(a, kw, 1, "regex", "")), f.ignorecase, f.multiline))
  end
  function F.regex_escape(v, a, kw)
    return (str(v):gsub("[^%w_]", function(c)
      if c:byte() >= 128 then return c end
      return "\\" .. c
    end))
  end

  function F.urlencode(v)
    local function enc(s) return (str(s):gsub("[^%w%-%._~/]", function(c) return string.format("%%%02X", c:byte()) end)) end
    if kind(v) == "map" then
      local parts = {}
      for _, k in ipairs(R.keys_of(v)) do parts[#parts + 1] = enc(k):gsub("/", "%%2F") .. "=" .. enc(R.map_get(v, k)):gsub("/", "%%2F") end
      return table.concat(parts, "&")
    end
    return enc(v)
  end

  function F.version_compare(v, a, kw)
    local op, strict = arg(a, kw, 2, "operator", "eq"), arg(a, kw, 3, "strict", false)
    return version.test(str(v), str(arg(a, kw, 1, "version")), op)
  end
  F.version = F.version_compare

  function F.items(v) return R.method(v, "items", {}, nil, "items") end
  function F.dict(v) local out = new_dict() for _, p in ipairs(list_of(v)) do out[R.item(p, 0, "dict")] = R.item(p, 1, "dict") end return out end
  function F.attr(v, a, kw) return R.attr(v, str(arg(a, kw, 1, "name")), str(arg(a, kw, 1, "name"))) end
  function F.safe(v) return v end
  function F.e(v)
    return (str(v):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&#34;", ["'"] = "&#39;" }))
  end
  F.escape = F.e
  function F.comment(v, a, kw)
    local s = str(v)
    local lines = {}
    for line in (s .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = "# " .. line end
    return "#\n" .. table.concat(lines, "\n") .. "\n#"
  end

  -- Filters may come with their collection prefix (ansible.builtin.to_json).
  local allow_undefined = { default = true, d = true, mandatory = true }
  function R.filter(name, v, a, kw)
    local short = name:match("^ansible%.builtin%.(.+)$") or name:match("^community%.general%.(.+)$") or name
    local f = F[short]
    if not f then
      -- A filter of the playbook's lua/filters/*.lua: called as f(value, args..., kwargs).
      local user = native.user_filter(short)
      if not user then fail("no filter named '" .. name .. "'") end
      f = function(x, args, kwargs)
        local n = #args
        local all = { table.unpack(args, 1, n) }
        if kwargs then n = n + 1; all[n] = kwargs end
        return user(x, table.unpack(all, 1, n))
      end
    end
    if not allow_undefined[short] then need(v) end
    for i = 1, #a do need(a[i]) end
    if kw then for _, x in pairs(kw) do need(x) end end
    local r = f(v, a, kw)
    if r == nil then return NULL end
    return r
  end
end
