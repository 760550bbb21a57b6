-- Python methods callable on values in expressions: str (split, strip, startswith,
-- format...), dict (items, keys, values, get) and list (index, count).
return function(R)
  local NULL, need, kind, str = R.null, R.need, R.kind, R.str
  local new_list, new_dict = R.new_list, R.new_dict
  local fail = R.fail

  local S, D, L = {}, {}, {}

  local function arg(a, kw, i, name, default)
    local v = a[i]
    if v == nil and kw then v = kw[name] end
    if v == nil then return default end
    return need(v)
  end
  R.arg = arg

  local function is_none(v) return v == nil or v == NULL end

  local ws = "[ \t\n\r\f\v]"

  local function strip_chars(s, chars, left, right)
    if is_none(chars) then
      if left then s = s:gsub("^" .. ws .. "+", "") end
      if right then s = s:gsub(ws .. "+$", "") end
      return s
    end
    local set = {}
    for c in chars:gmatch(".") do set[c] = true end
    local i, j = 1, #s
    if left then while i <= j and set[s:sub(i, i)] do i = i + 1 end end
    if right then while j >= i and set[s:sub(j, j)] do j = j - 1 end end
    return s:sub(i, j)
  end
  R.strip_chars = strip_chars

  -- Python's str.split: on runs of whitespace without a separator, else on the text.
  local function split(s, sep, maxsplit)
    maxsplit = maxsplit or -1
    local out = new_list()
    if is_none(sep) then
      local rest = s:gsub("^" .. ws .. "+", "")
      while rest ~= "" do
        if maxsplit >= 0 and #out >= maxsplit then
          out[#out + 1] = rest:gsub(ws .. "+$", "")
          return out
        end
        local a, b = rest:find(ws .. "+")
        if not a then out[#out + 1] = rest; break end
        out[#out + 1] = rest:sub(1, a - 1)
        rest = rest:sub(b + 1)
      end
      return out
    end
    if sep == "" then fail("empty separator") end
    local pos = 1
    while true do
      if maxsplit >= 0 and #out >= maxsplit then break end
      local a, b = s:find(sep, pos, true)
      if not a then break end
      out[#out + 1] = s:sub(pos, a - 1)
      pos = b + 1
    end
    out[#out + 1] = s:sub(pos)
    return out
  end
  R.split = split

  function S.split(s, a, kw) return split(s, arg(a, kw, 1, "sep", NULL), arg(a, kw, 2, "maxsplit", -1)) end
  function S.rsplit(s, a, kw)
    local maxsplit = arg(a, kw, 2, "maxsplit", -1)
    if maxsplit < 0 then return S.split(s, a, kw) end
    local sep = arg(a, kw, 1, "sep", NULL)
    local parts = split(s, sep, -1)
    if #parts <= maxsplit + 1 then return parts end
    local joiner = is_none(sep) and " " or sep
    local out = new_list({ table.concat(parts, joiner, 1, #parts - maxsplit) })
    for i = #parts - maxsplit + 1, #parts do out[#out + 1] = parts[i] end
    return out
  end
  function S.splitlines(s)
    local out = new_list()
    for line in (s .. "\n"):gmatch("(.-)\r?\n") do out[#out + 1] = line end
    if s == "" or s:sub(-1) == "\n" then out[#out] = nil end
    return out
  end
  function S.strip(s, a, kw) return strip_chars(s, arg(a, kw, 1, "chars", NULL), true, true) end
  function S.lstrip(s, a, kw) return strip_chars(s, arg(a, kw, 1, "chars", NULL), true, false) end
  function S.rstrip(s, a, kw) return strip_chars(s, arg(a, kw, 1, "chars", NULL), false, true) end
  function S.upper(s) return s:upper() end
  function S.lower(s) return s:lower() end
  function S.capitalize(s) return s:sub(1, 1):upper() .. s:sub(2):lower() end
  function S.title(s)
    return (s:lower():gsub("(%a)(%a*)", function(a, b) return a:upper() .. b end))
  end
  function S.startswith(s, a, kw)
    local p = arg(a, kw, 1, "prefix")
    if kind(p) == "list" then
      for i = 1, #p do if s:sub(1, #p[i]) == p[i] then return true end end
      return false
    end
    return s:sub(1, #p) == p
  end
  function S.endswith(s, a, kw)
    local p = arg(a, kw, 1, "suffix")
    if kind(p) == "list" then
      for i = 1, #p do if p[i] == "" or s:sub(-#p[i]) == p[i] then return true end end
      return false
    end
    return p == "" or s:sub(-#p) == p
  end
  function S.replace(s, a, kw)
    return R.replace_text(s, str(arg(a, kw, 1, "old")), str(arg(a, kw, 2, "new")), arg(a, kw, 3, "count", -1))
  end
  function S.find(s, a, kw)
    local i = s:find(str(arg(a, kw, 1, "sub")), 1, true)
    return i and i - 1 or -1
  end
  function S.count(s, a, kw)
    local sub, n, pos = str(arg(a, kw, 1, "sub")), 0, 1
    if sub == "" then return (utf8.len(s) or #s) + 1 end
    while true do
      local i, j = s:find(sub, pos, true)
      if not i then return n end
      n, pos = n + 1, j + 1
    end
  end
  function S.join(s, a, kw)
    local parts = {}
    for i, v in ipairs(R.iter(arg(a, kw, 1, "iterable"))) do parts[i] = str(v) end
    return table.concat(parts, s)
  end
  function S.isdigit(s) return s ~= "" and s:find("^%d+$") ~= nil end
  function S.isalpha(s) return s ~= "" and s:find("^%a+$") ~= nil end
  function S.isalnum(s) return s ~= "" and s:find("^%w+$") ~= nil end
  function S.isspace(s) return s ~= "" and s:find("^%s+$") ~= nil end
  function S.isupper(s) return s:find("%u") ~= nil and s:find("%l") == nil end
  function S.islower(s) return s:find("%l") ~= nil and s:find("%u") == nil end
  function S.zfill(s, a, kw)
    local w = arg(a, kw, 1, "width")
    local sign = s:match("^[+-]") or ""
    local body = s:sub(#sign + 1)
    return sign .. string.rep("0", w - #s) .. body
  end
  function S.ljust(s, a, kw) local w = arg(a, kw, 1, "width") return s .. string.rep(arg(a, kw, 2, "fillchar", " "), w - R.length(s)) end
  function S.rjust(s, a, kw) local w = arg(a, kw, 1, "width") return string.rep(arg(a, kw, 2, "fillchar", " "), w - R.length(s)) .. s end
  function S.center(s, a, kw) return R.center(s, arg(a, kw, 1, "width"), arg(a, kw, 2, "fillchar", " ")) end
  function S.partition(s, a, kw)
    local sep = arg(a, kw, 1, "sep")
    local i, j = s:find(sep, 1, true)
    if not i then return new_list({ s, "", "" }) end
    return new_list({ s:sub(1, i - 1), sep, s:sub(j + 1) })
  end

  -- str.format: {} {0} {name} with optional :format specs of the simple kinds.
  function S.format(s, a, kw)
    local auto = 0
    return (s:gsub("{{", "\1"):gsub("}}", "\2"):gsub("{([^{}:]*):?([^{}]*)}", function(field, spec)
      local v
      if field == "" then
        auto = auto + 1
        v = a[auto]
      elseif field:match("^%d+$") then
        v = a[tonumber(field) + 1]
      else
        local head, rest = field:match("^([%w_]+)(.*)$")
        v = kw and kw[head]
        for attr in rest:gmatch("%.([%w_]+)") do v = R.attr(v, attr, field) end
      end
      if v == nil then fail("format: no value for '{" .. field .. "}'") end
      need(v)
      if spec == "" then return str(v) end
      local fill_align, width, prec, conv = spec:match("^([<>^]?)(%d*)%.?(%d*)([sdf]?)$")
      if not fill_align then fail("format spec '" .. spec .. "' is not supported") end
      local text
      if conv == "f" or (prec ~= "" and type(v) == "number") then
        text = string.format("%." .. (prec == "" and "6" or prec) .. "f", v)
      else
        text = str(v)
      end
      local w = tonumber(width) or 0
      local pad = w - R.length(text)
      if pad > 0 then
        local align = fill_align ~= "" and fill_align or (type(v) == "number" and ">" or "<")
        if align == ">" then text = string.rep(" ", pad) .. text
        elseif align == "^" then text = string.rep(" ", pad // 2) .. text .. string.rep(" ", pad - pad // 2)
        else text = text .. string.rep(" ", pad) end
      end
      return text
    end):gsub("\1", "{"):gsub("\2", "}"))
  end

  function D.items(m)
    local out = new_list()
    for _, k in ipairs(R.keys_of(m)) do out[#out + 1] = R.tuple({ k, R.map_get(m, k) }) end
    return out
  end
  function D.keys(m) return new_list(R.keys_of(m)) end
  function D.values(m)
    local out = new_list()
    for _, k in ipairs(R.keys_of(m)) do out[#out + 1] = R.map_get(m, k) end
    return out
  end
  function D.get(m, a, kw)
    local v = R.map_get(m, arg(a, kw, 1, "key"))
    if v == nil then return arg(a, kw, 2, "default", NULL) end
    return v
  end
  function D.copy(m)
    local out = new_dict()
    for _, k in ipairs(R.keys_of(m)) do out[k] = R.map_get(m, k) end
    return out
  end

  function L.index(l, a, kw)
    local x = arg(a, kw, 1, "value")
    for i = 1, #l do if R.eq(l[i], x) then return i - 1 end end
    fail(R.repr(x) .. " is not in list")
  end
  function L.count(l, a, kw)
    local x, n = arg(a, kw, 1, "value"), 0
    for i = 1, #l do if R.eq(l[i], x) then n = n + 1 end end
    return n
  end

  local tables = { string = S, map = D, list = L }

  function R.method(obj, name, a, kw, src)
    need(obj)
    for i = 1, #a do need(a[i]) end
    local k = kind(obj)
    if k == "map" then
      local f = R.map_get(obj, name)
      if type(f) == "function" then return R.call(f, a, kw, src) end
    end
    local t = tables[k]
    local m = t and t[name]
    if not m then
      fail("'" .. src .. "': '" .. R.type_name(obj) .. "' object has no method '" .. name .. "'")
    end
    local r = m(obj, a, kw)
    if r == nil then return NULL end
    return r
  end

  -- Plain text replacement; `count` < 0 replaces all.
  function R.replace_text(s, old, new, count)
    count = count or -1
    local out, pos, done = {}, 1, 0
    if old == "" then
      local chars = R.iter(s)
      local res = {}
      for i = 1, #chars do
        if count < 0 or done < count then res[#res + 1] = new; done = done + 1 end
        res[#res + 1] = chars[i]
      end
      if count < 0 or done < count then res[#res + 1] = new end
      return table.concat(res)
    end
    while count < 0 or done < count do
      local a, b = s:find(old, pos, true)
      if not a then break end
      out[#out + 1] = s:sub(pos, a - 1)
      out[#out + 1] = new
      pos, done = b + 1, done + 1
    end
    out[#out + 1] = s:sub(pos)
    return table.concat(out)
  end

  function R.center(s, width, fill)
    local pad = width - R.length(s)
    if pad <= 0 then return s end
    local left = pad // 2 + (pad % 2 == 1 and width % 2 == 1 and 1 or 0)
    return string.rep(fill, left) .. s .. string.rep(fill, pad - left)
  end
end
