-- The runtime of compiled Jinja expressions and templates (engine/lua/jinja_compiler.cpp
-- emits calls to the functions of R). It gives Python/Jinja semantics on top of Lua:
-- 0-based indexing, Python truthiness and equality, str() as Python prints values,
-- and undefined values (Ansible's StrictUndefined) that fail as soon as they are used.
--
-- Values: strings, integers, floats, booleans, R.null (None), lists and maps from the
-- engine (read-only proxies), lists and dicts built here (tables with the LIST or
-- DICT metatable), functions (macros, globals) and undefined values (UNDEF tables).
local native, jn = upkeep, __jn
local NULL = native.null
local native_kind = native.kind
local mtype, floor, huge = math.type, math.floor, math.huge
local concat, sort, unpack_list = table.concat, table.sort, table.unpack
local raw_error, rawequal = error, rawequal

local R = {}
R.null = NULL
local LIST = { __jkind = "list" }
local DICT = { __jkind = "dict" }
local UNDEF = { __jkind = "undef" }
local TUPLE = { __jkind = "list" }  -- a list that prints as a Python tuple
R.LIST, R.DICT, R.UNDEF, R.TUPLE = LIST, DICT, UNDEF, TUPLE
function R.tuple(t) return setmetatable(t, TUPLE) end

local function fail(msg) raw_error(msg, 0) end
R.fail = fail

function R.undef(msg) return setmetatable({ msg = msg }, UNDEF) end
local undef = R.undef
-- Jinja's plain Undefined, used for `a if c` without else (Jinja 3): prints as
-- "", is false and iterates as empty; anything else fails like the strict one.
function R.lenient_undef(msg) return setmetatable({ msg = msg, lenient = true }, UNDEF) end

-- "list", "map", "string", "int", "float", "bool", "null", "undef", "function", "nil".
local function kind(v)
  local mt = getmetatable(v)
  if mt == LIST or mt == TUPLE then return "list" end
  if mt == DICT then return "map" end
  if mt == UNDEF then return "undef" end
  return native_kind(v)
end
R.kind = kind

local function is_undef(v) return getmetatable(v) == UNDEF end
R.is_undef = is_undef

-- Fails with the undefined value's message when v is undefined.
local function need(v)
  if getmetatable(v) == UNDEF then fail(v.msg) end
  return v
end
R.need = need

local function new_list(t) return setmetatable(t or {}, LIST) end
local function new_dict(t) return setmetatable(t or {}, DICT) end
R.new_list, R.new_dict = new_list, new_dict

local py_types = { list = "list", map = "dict", string = "str", int = "int", float = "float", bool = "bool",
                   null = "NoneType", ["function"] = "function", undef = "AnsibleUndefined", ["nil"] = "NoneType" }
local function type_name(v) return py_types[kind(v)] or kind(v) end
R.type_name = type_name

-- Length of a list, map or string (characters, UTF-8 aware).
local function length(v)
  local k = kind(v)
  if k == "string" then return utf8.len(v) or #v end
  if k == "list" then return #v end
  if k == "map" then
    local n = 0
    for _ in pairs(v) do n = n + 1 end
    return n
  end
  need(v)
  fail("object of type '" .. type_name(v) .. "' has no len()")
end
R.length = length

-- Sorted keys of a map (Python dicts keep insertion order; upkeep maps are sorted).
local function keys_of(m)
  local ks = {}
  for k in pairs(m) do ks[#ks + 1] = k end
  sort(ks, function(a, b)
    local ta, tb = mtype(a), mtype(b)
    if ta and tb then return a < b end
    if ta then return true end
    if tb then return false end
    return tostring(a) < tostring(b)
  end)
  return ks
end
R.keys_of = keys_of

-- The elements of anything iterable, as a Lua array (1-based).
function R.iter(v)
  local k = kind(v)
  local mt = getmetatable(v)
  if mt == LIST or mt == TUPLE then return v end
  if k == "list" then
    local out, n = {}, #v
    for i = 1, n do out[i] = v[i] end
    return out
  end
  if k == "map" then return keys_of(v) end
  if k == "undef" and v.lenient then return {} end
  if k == "string" then
    local out = {}
    if utf8.len(v) then
      for _, c in utf8.codes(v) do out[#out + 1] = utf8.char(c) end
    else
      for i = 1, #v do out[i] = v:sub(i, i) end
    end
    return out
  end
  need(v)
  fail("'" .. type_name(v) .. "' object is not iterable")
end

-- A map lookup that tells a missing key from a key holding None.
local function map_get(m, key)
  if getmetatable(m) == DICT then
    local v = rawget(m, key)
    if v == nil and mtype(key) then v = rawget(m, tostring(key)) end
    if v == nil and type(key) == "string" then v = rawget(m, tonumber(key) or key) end
    return v
  end
  return jn.item(m, key)
end
R.map_get = map_get

local function suggestion(word, candidates)
  local best, best_d = nil, 3
  for _, c in ipairs(candidates) do
    if type(c) == "string" then
      local d = jn.distance(word, c)
      if d < best_d then best, best_d = c, d end
    end
  end
  return best and (", did you mean '" .. best .. "'?") or ""
end

-- Variables, then the globals (range, lookup, ...), else undefined.
local globals = {}
R.globals = globals
function R.var(name)
  local v = jn.var(name)
  if v ~= nil then return v end
  v = globals[name]
  if v ~= nil then return v end
  return undef("'" .. name .. "' is undefined")
end

-- A template local (set, for, macro) or, before its first assignment, the variable.
function R.lv(v, name)
  if v ~= nil then return v end
  return R.var(name)
end

function R.attr(obj, name, src)
  local k = kind(obj)
  if k == "undef" then return obj end
  if k == "map" then
    local v = map_get(obj, name)
    if v ~= nil then return v end
    return undef("'" .. src .. "' is undefined: the mapping has no key '" .. name .. "'" ..
                 suggestion(name, keys_of(obj)))
  end
  return undef("'" .. src .. "' is undefined: '" .. type_name(obj) .. "' object has no attribute '" .. name .. "'")
end

local function char_at(s, i)
  local n = utf8.len(s)
  if not n then return s:sub(i + 1, i + 1), #s end
  local start = utf8.offset(s, i + 1)
  local stop = utf8.offset(s, i + 2)
  return s:sub(start, (stop or #s + 1) - 1), n
end

function R.item(obj, key, src)
  local k = kind(obj)
  if k == "undef" then return obj end
  need(key)
  if k == "list" or k == "string" then
    local kk = kind(key)
    if kk == "bool" then key, kk = key and 1 or 0, "int" end
    if kk ~= "int" then
      if kk == "string" then return R.attr(obj, key, src) end
      fail("'" .. src .. "': " .. type_name(obj) .. " indices must be integers, not " .. type_name(key))
    end
    local n = k == "list" and #obj or length(obj)
    local i = key < 0 and key + n or key
    if i < 0 or i >= n then
      return undef("'" .. src .. "' is undefined: index " .. key .. " is out of range (the " .. type_name(obj) ..
                   " has " .. n .. " item" .. (n == 1 and "" or "s") .. ")")
    end
    if k == "string" then return (char_at(obj, i)) end
    return obj[i + 1]
  end
  if k == "map" then
    local v = map_get(obj, key)
    if v ~= nil then return v end
    return undef("'" .. src .. "' is undefined: the mapping has no key " .. R.repr(key) ..
                 (type(key) == "string" and suggestion(key, keys_of(obj)) or ""))
  end
  return undef("'" .. src .. "' is undefined: '" .. type_name(obj) .. "' object is not subscriptable")
end

-- Python slicing obj[start:stop:step] of lists and strings.
function R.slice(obj, start, stop, step)
  need(obj)
  local k = kind(obj)
  local items
  if k == "list" then items = obj
  elseif k == "string" then items = R.iter(obj)
  else fail("'" .. type_name(obj) .. "' object is not subscriptable") end
  local n = #items
  step = (step == nil or step == NULL) and 1 or need(step)
  if step == 0 then fail("slice step cannot be zero") end
  local function bound(v, default, lo, hi)
    if v == nil or v == NULL then return default end
    need(v)
    if v < 0 then v = v + n end
    if v < lo then return lo end
    if v > hi then return hi end
    return v
  end
  local out = {}
  if step > 0 then
    local i, j = bound(start, 0, 0, n), bound(stop, n, 0, n)
    while i < j do out[#out + 1] = items[i + 1]; i = i + step end
  else
    local i, j = bound(start, n - 1, -1, n - 1), bound(stop, -1, -1, n - 1)
    if stop ~= nil and stop ~= NULL and stop + (stop < 0 and n or 0) < 0 then j = -1 end
    while i > j do out[#out + 1] = items[i + 1]; i = i + step end
  end
  if k == "string" then return concat(out) end
  return new_list(out)
end

function R.list(t) return setmetatable(t, LIST) end
function R.join(parts) return concat(parts) end

function R.dict(kv)
  local d = new_dict()
  for i = 1, #kv, 2 do
    local key = need(kv[i])
    if key == NULL then key = "None" end
    if type(key) == "boolean" then key = key and "True" or "False" end
    d[key] = need(kv[i + 1])
  end
  return d
end

-- Python truthiness: None, False, 0, "" and empty containers are false.
local function truthy(v)
  if v == nil or v == false or v == NULL then return false end
  if v == true then return true end
  local t = type(v)
  if t == "number" then return v ~= 0 end
  if t == "string" then return v ~= "" end
  local k = kind(v)
  if k == "undef" then
    if v.lenient then return false end
    fail(v.msg)
  end
  if k == "list" then return #v > 0 end
  if k == "map" then return next(v) ~= nil or length(v) > 0 end
  return true
end
R.truthy = truthy

function R.and_(a, b)
  if not truthy(a) then return a end
  return b()
end

function R.or_(a, b)
  if truthy(a) then return a end
  return b()
end

function R.cond(c, a, b)
  if truthy(c) then return a() end
  return b()
end

-- Python's repr of a float: the shortest text that reads back to the same number.
local function float_repr(x)
  if x ~= x then return "nan" end
  if x == huge then return "inf" end
  if x == -huge then return "-inf" end
  local s
  for p = 1, 17 do
    s = string.format("%." .. (p - 1) .. "e", x)
    if tonumber(s) == x then break end
  end
  local sign, d1, rest, exp = s:match("^(%-?)(%d)%.?(%d*)e([-+]%d+)$")
  local digits = (d1 .. rest):gsub("0+$", "")
  if digits == "" then digits = "0" end
  local e = tonumber(exp)
  if e < -4 or e >= 16 then
    local m = digits:sub(1, 1) .. (#digits > 1 and ("." .. digits:sub(2)) or "")
    return sign .. m .. "e" .. (e < 0 and "-" or "+") .. string.format("%02d", math.abs(e))
  end
  if e >= 0 then
    local int = digits:sub(1, e + 1)
    int = int .. string.rep("0", e + 1 - #int)
    local frac = digits:sub(e + 2)
    return sign .. int .. "." .. (frac == "" and "0" or frac)
  end
  return sign .. "0." .. string.rep("0", -e - 1) .. digits
end
R.float_repr = float_repr

local function str_repr(s)
  local q = "'"
  if s:find("'", 1, true) and not s:find('"', 1, true) then q = '"' end
  local out = s:gsub("[%c\\'\"]", function(c)
    if c == "\\" then return "\\\\" end
    if c == "\n" then return "\\n" end
    if c == "\r" then return "\\r" end
    if c == "\t" then return "\\t" end
    if c == q then return "\\" .. q end
    if c == "'" or c == '"' then return c end
    return string.format("\\x%02x", c:byte())
  end)
  return q .. out .. q
end

local str

-- Python's repr(): how values print inside lists and dicts.
local function repr(v)
  if type(v) == "string" then return str_repr(v) end
  return str(v)
end
R.repr = repr

-- Python's str(): the text of a value in a template.
str = function(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then
    if mtype(v) == "integer" then return tostring(v) end
    return float_repr(v)
  end
  if t == "boolean" then return v and "True" or "False" end
  if v == NULL or v == nil then return "None" end
  local k = kind(v)
  if k == "undef" then
    if v.lenient then return "" end
    fail(v.msg)
  end
  if k == "list" then
    local parts = {}
    for i = 1, #v do parts[i] = repr(v[i]) end
    if getmetatable(v) == TUPLE then return "(" .. concat(parts, ", ") .. (#v == 1 and ",)" or ")") end
    return "[" .. concat(parts, ", ") .. "]"
  end
  if k == "map" then
    local parts = {}
    for _, key in ipairs(keys_of(v)) do parts[#parts + 1] = repr(key) .. ": " .. repr(map_get(v, key)) end
    return "{" .. concat(parts, ", ") .. "}"
  end
  if k == "function" then return "<function>" end
  return native.to_string(v)
end
R.str = str

-- What a {{ }} of a template prints: None prints nothing (Ansible's finalize).
function R.out(v)
  if v == NULL then return "" end
  return str(v)
end

-- Python ==: 1 == 1.0 == True, containers element by element.
local function eq(a, b)
  if rawequal(a, b) then return true end
  local ka, kb = kind(a), kind(b)
  if ka == "undef" then fail(a.msg) end
  if kb == "undef" then fail(b.msg) end
  if ka == "bool" then a, ka = a and 1 or 0, "int" end
  if kb == "bool" then b, kb = b and 1 or 0, "int" end
  if (ka == "int" or ka == "float") and (kb == "int" or kb == "float") then return a == b end
  if ka ~= kb then return false end
  if ka == "string" then return a == b end
  if ka == "list" then
    if #a ~= #b then return false end
    for i = 1, #a do
      if not eq(a[i], b[i]) then return false end
    end
    return true
  end
  if ka == "map" then
    local ks = keys_of(a)
    if #ks ~= length(b) then return false end
    for _, key in ipairs(ks) do
      local bv = map_get(b, key)
      if bv == nil or not eq(map_get(a, key), bv) then return false end
    end
    return true
  end
  return a == b
end
R.eq = eq

local function lt(a, b)
  local ka, kb = kind(need(a)), kind(need(b))
  if ka == "bool" then a, ka = a and 1 or 0, "int" end
  if kb == "bool" then b, kb = b and 1 or 0, "int" end
  if (ka == "int" or ka == "float") and (kb == "int" or kb == "float") then return a < b end
  if ka == "string" and kb == "string" then return a < b end
  if ka == "list" and kb == "list" then
    for i = 1, math.min(#a, #b) do
      if not eq(a[i], b[i]) then return lt(a[i], b[i]) end
    end
    return #a < #b
  end
  fail("'<' not supported between instances of '" .. type_name(a) .. "' and '" .. type_name(b) .. "'")
end
R.lt = lt
function R.le(a, b) return eq(a, b) or lt(a, b) end

-- `x in c`: an element of a list, a key of a map, a substring of a string.
function R.contains(c, x)
  local k = kind(need(c))
  need(x)
  if k == "string" then
    if type(x) ~= "string" then fail("'in <string>' requires string as left operand, not " .. type_name(x)) end
    return c:find(x, 1, true) ~= nil
  end
  if k == "list" then
    for i = 1, #c do
      if eq(c[i], x) then return true end
    end
    return false
  end
  if k == "map" then
    local kx = kind(x)
    if kx ~= "string" and kx ~= "int" and kx ~= "float" then return false end
    return map_get(c, x) ~= nil
  end
  fail("argument of type '" .. type_name(c) .. "' is not iterable")
end

local function number(v, op, other)
  local k = kind(need(v))
  if k == "int" or k == "float" then return v end
  if k == "bool" then return v and 1 or 0 end
  fail("unsupported operand type(s) for " .. op .. ": '" .. type_name(v) .. "' and '" .. type_name(other) .. "'")
end

local function concat_lists(a, b)
  local out = new_list()
  for i = 1, #a do out[#out + 1] = a[i] end
  for i = 1, #b do out[#out + 1] = b[i] end
  return out
end

function R.add(a, b)
  local ka, kb = kind(need(a)), kind(need(b))
  if ka == "string" and kb == "string" then return a .. b end
  if ka == "list" and kb == "list" then return concat_lists(a, b) end
  if ka == "string" or kb == "string" or ka == "list" or kb == "list" then
    fail("unsupported operand type(s) for +: '" .. type_name(a) .. "' and '" .. type_name(b) .. "'")
  end
  return number(a, "+", b) + number(b, "+", a)
end

function R.sub(a, b) return number(a, "-", b) - number(b, "-", a) end

local function repeat_times(seq, n)
  if kind(seq) == "string" then return n > 0 and string.rep(seq, n) or "" end
  local out = new_list()
  for _ = 1, n do
    for i = 1, #seq do out[#out + 1] = seq[i] end
  end
  return out
end

function R.mul(a, b)
  local ka, kb = kind(need(a)), kind(need(b))
  if (ka == "string" or ka == "list") and (kb == "int" or kb == "bool") then return repeat_times(a, number(b)) end
  if (kb == "string" or kb == "list") and (ka == "int" or ka == "bool") then return repeat_times(b, number(a)) end
  return number(a, "*", b) * number(b, "*", a)
end

function R.div(a, b)
  local x, y = number(a, "/", b), number(b, "/", a)
  if y == 0 then fail("division by zero") end
  return x / y
end

function R.floordiv(a, b)
  local x, y = number(a, "//", b), number(b, "//", a)
  if y == 0 then fail("integer division or modulo by zero") end
  return x // y
end

function R.mod(a, b)
  if kind(need(a)) == "string" then return R.percent_format(a, b) end
  local x, y = number(a, "%", b), number(b, "%", a)
  if y == 0 then fail("integer division or modulo by zero") end
  return x % y
end

function R.pow(a, b)
  local x, y = number(a, "**", b), number(b, "**", a)
  if mtype(x) == "integer" and mtype(y) == "integer" and y >= 0 then
    local r = 1
    for _ = 1, y do r = r * x end
    return r
  end
  return x ^ y
end

function R.concat(a, b) return str(a) .. str(b) end
function R.neg(a) return -number(a, "unary -", a) end
function R.pos(a) return number(a, "unary +", a) end

-- Python's "%s %d" % args.
function R.percent_format(fmt, args)
  local list = kind(args) == "list" and R.iter(args) or { args }
  local i = 0
  return (fmt:gsub("%%([%-#0 +]*%d*%.?%d*)([sdifrxXoeEgG%%])", function(flags, conv)
    if conv == "%" then return "%" end
    i = i + 1
    local v = list[i]
    if v == nil then fail("not enough arguments for format string") end
    if conv == "s" then return string.format("%" .. flags .. "s", str(v)) end
    if conv == "r" then return string.format("%" .. flags .. "s", repr(v)) end
    if conv == "d" or conv == "i" then return string.format("%" .. flags .. "d", math.tointeger(floor(number(v, "%", v)))) end
    return string.format("%" .. flags .. conv, number(v, "%", v))
  end))
end

-- Calls a macro or a global function: f(args, kwargs).
function R.call(f, args, kw, src)
  need(f)
  for i = 1, #args do need(args[i]) end
  if kw then for _, v in pairs(kw) do need(v) end end
  if type(f) ~= "function" then fail("'" .. src .. "' is not callable (it is a " .. type_name(f) .. ")") end
  local r = f(args, kw or {})
  if r == nil then return NULL end
  return r
end

function R.macro(name, params, defaults, body)
  return function(args, kw)
    local bound = {}
    for i, p in ipairs(params) do
      local v = args[i]
      if v == nil then v = kw[p] end
      if v == nil and defaults[p] then v = defaults[p]() end
      if v == nil then v = undef("'" .. p .. "' is undefined (a parameter of macro '" .. name .. "')") end
      bound[i] = v
    end
    if #args > #params then fail("macro '" .. name .. "' takes not more than " .. #params .. " argument(s)") end
    bound[#params + 1] = kw.caller  -- the body of a {% call %}, or nil
    return body(unpack_list(bound, 1, #params + 1))
  end
end

function R.loop(items, i)
  local n = #items
  local loop = new_dict({ index = i, index0 = i - 1, revindex = n - i + 1, revindex0 = n - i,
                          first = i == 1, last = i == n, length = n, depth = 1, depth0 = 0 })
  loop.previtem = i > 1 and items[i - 1] or undef("'loop.previtem' is undefined (first iteration)")
  loop.nextitem = i < n and items[i + 1] or undef("'loop.nextitem' is undefined (last iteration)")
  loop.cycle = function(args)
    if #args == 0 then fail("no items for cycling given") end
    return args[(i - 1) % #args + 1]
  end
  return loop
end

function R.keep(items, pred)
  local out = {}
  for i = 1, #items do
    if pred(items[i]) then out[#out + 1] = items[i] end
  end
  return out
end

function R.unpack(v, n)
  local items = R.iter(v)
  if #items ~= n then
    fail((#items > n and "too many" or "not enough") .. " values to unpack (expected " .. n .. ", got " .. #items .. ")")
  end
  return items
end

-- Values handed back to the engine: undefined ones fail here.
function R.finish(v)
  if getmetatable(v) == UNDEF then
    if v.lenient then return "" end
    fail(v.msg)
  end
  if v == nil then return NULL end
  return v
end

function R.include(name, ignore_missing)
  need(name)
  local fn = jn.load_template(str(name), ignore_missing, R)
  if fn == nil then return "" end
  return fn()
end

-- Template inheritance. `blocks` maps a block name to its versions, the most
-- derived first: a child registers its blocks, then renders its parent with them.
function R.add_block(blocks, name, fn)
  local chain = blocks[name]
  if chain == nil then
    chain = {}
    blocks[name] = chain
  end
  chain[#chain + 1] = fn
end

function R.render_block(blocks, name)
  return blocks[name][1](1)
end

-- super() inside version k of a block: a callable rendering version k + 1.
function R.super(blocks, name, k)
  return function()
    local next_fn = blocks[name][k + 1]
    if next_fn == nil then fail("there is no parent block called '" .. name .. "'") end
    return next_fn(k + 1)
  end
end

-- self.name(): renders block `name` again.
function R.self_blocks(blocks)
  local obj = {}
  for name in pairs(blocks) do obj[name] = function() return R.render_block(blocks, name) end end
  return new_dict(obj)
end

function R.extend(name, blocks)
  need(name)
  local fn = jn.load_template(str(name), false, R)
  return fn(blocks)
end

require("upkeep.jinja_methods")(R)
require("upkeep.jinja_filters")(R)
require("upkeep.jinja_tests")(R)
require("upkeep.jinja_globals")(R)
return R
