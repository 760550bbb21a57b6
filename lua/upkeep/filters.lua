-- Jinja-style filters and tests for upkeep expressions. The expression rewriter
-- turns `a | f(x)` into `__f.f(a, x)` and `a is t(x)` into `__t.t(a, x)`; the two
-- tables are `filters` and `tests` here. Lists and maps coming from the engine
-- are read-only proxies: index them, use # and pairs/ipairs, but do not modify them.
local version = require("upkeep.version")
local native = upkeep
local null, kind = native.null, native.kind

local filters, tests = {}, {}

local function is_nil(v)
  return v == nil or v == null
end

local function describe(v)
  local k = kind(v)
  if k == "string" then return "the string '" .. v .. "'" end
  if k == "nil" then return "nothing (nil)" end
  return "a " .. k
end

local function fail(filter, message)
  error("filter '" .. filter .. "': " .. message, 0)
end

local function need_list(filter, v)
  if kind(v) ~= "list" then fail(filter, "expected a list, got " .. describe(v)) end
  return v
end

local function str(v)
  return native.to_string(v)
end

local function count(v)
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  return n
end

-- Value or default: `x | default(d)`; with `true` as second argument, falsy values
-- ("" , 0, false, empty list) are replaced as well.
function filters.default(v, d, boolean)
  if is_nil(v) or (boolean and not native.truthy(v)) then return d end
  return v
end

local function to_number(filter, v, fallback)
  local k = kind(v)
  if k == "int" or k == "float" then return v end
  if k == "bool" then return v and 1 or 0 end
  if k == "string" then
    local n = tonumber((v:match("^%s*(.-)%s*$")))
    if n then return n end
  end
  if fallback ~= nil then return fallback end
  fail(filter, "cannot convert " .. describe(v) .. " to a number")
end

-- Integer, truncating toward zero; `int(x, d)` returns d when x is not a number.
function filters.int(v, fallback)
  local n = to_number("int", v, fallback)
  if math.type(n) == "float" then
    n = n < 0 and math.ceil(n) or math.floor(n)
    n = math.tointeger(n) or fail("int", "number out of range")
  end
  return n
end

function filters.float(v, fallback)
  return to_number("float", v, fallback) + 0.0
end

-- Ansible's bool: true, "yes", "on", "true", "1" and 1 are true; anything else is false.
function filters.bool(v)
  local k = kind(v)
  if k == "bool" then return v end
  if k == "string" then
    local s = v:lower():match("^%s*(.-)%s*$")
    return s == "yes" or s == "on" or s == "true" or s == "1" or s == "y"
  end
  if k == "int" or k == "float" then return v == 1 end
  return false
end

function filters.string(v)
  return str(v)
end

function filters.lower(v)
  return str(v):lower()
end

function filters.upper(v)
  return str(v):upper()
end

-- Characters of a string (UTF-8), elements of a list, keys of a map.
function filters.length(v)
  local k = kind(v)
  if k == "string" then return utf8.len(v) or #v end
  if k == "list" then return #v end
  if k == "map" then return type(v) == "table" and count(v) or #v end
  fail("length", "expected a string, list or map, got " .. describe(v))
end

function filters.join(v, sep)
  need_list("join", v)
  local parts = {}
  for i = 1, #v do parts[i] = str(v[i]) end
  return table.concat(parts, sep == nil and "" or str(sep))
end

function filters.trim(v)
  return (str(v):match("^%s*(.-)%s*$"))
end

-- Plain text replacement (no patterns); `count` limits the number of replacements.
function filters.replace(v, old, new, limit)
  local s, old_s, new_s = str(v), str(old), str(new)
  if old_s == "" then fail("replace", "the text to replace is empty") end
  local out, pos, done = {}, 1, 0
  while limit == nil or done < limit do
    local a, b = s:find(old_s, pos, true)
    if not a then break end
    out[#out + 1] = s:sub(pos, a - 1)
    out[#out + 1] = new_s
    pos, done = b + 1, done + 1
  end
  out[#out + 1] = s:sub(pos)
  return table.concat(out)
end

-- Regular expressions are ECMAScript (close to Python's for common patterns);
-- the replacement may use \1 or \g<1> as in Ansible.
function filters.regex_replace(v, pattern, replacement, ignorecase)
  return native.regex_replace(str(v), str(pattern), replacement == nil and "" or str(replacement), ignorecase)
end

-- The first match of the pattern, or nil.
function filters.regex_search(v, pattern, ignorecase)
  return native.regex_search(str(v), str(pattern), ignorecase)
end

local function sequence(filter, v)
  local k = kind(v)
  if k ~= "list" and k ~= "string" then fail(filter, "expected a list or a string, got " .. describe(v)) end
  return k
end

function filters.first(v)
  if sequence("first", v) == "string" then return v:sub(1, utf8.offset(v, 2) and utf8.offset(v, 2) - 1 or 1) end
  local e = v[1]
  if e == null then return nil end
  return e
end

function filters.last(v)
  if sequence("last", v) == "string" then return v:sub(utf8.offset(v, -1) or -1) end
  local e = v[#v]
  if e == null then return nil end
  return e
end

-- Like Python's os.path.basename / dirname.
function filters.basename(v)
  return (str(v):match("([^/]*)$"))
end

function filters.dirname(v)
  local s = str(v)
  local dir = s:match("^(.*)/[^/]*$")
  if dir == nil then return "" end
  if dir == "" or dir:match("^/+$") then return s:match("^/+") end
  return (dir:gsub("/+$", ""))
end

function filters.b64encode(v)
  return native.b64encode(str(v))
end

function filters.b64decode(v)
  return native.b64decode(str(v))
end

function filters.to_json(v)
  return native.to_json(v)
end

function filters.from_json(v)
  return native.from_json(str(v))
end

-- `a | version_compare(b, op)`: RPM-style ordering, see upkeep/version.lua.
function filters.version_compare(v, other, op)
  return version.test(v, other, op)
end
filters.version = filters.version_compare

-- `x in xs`: an element of a list, a key of a map, a substring of a string.
function filters.within(x, container)
  local k = kind(container)
  if k == "string" then return container:find(str(x), 1, true) ~= nil end
  if k == "list" then
    for i = 1, #container do
      local e = container[i]
      if e == x or (e == null and x == nil) then return true end
    end
    return false
  end
  if k == "map" then
    if kind(x) ~= "string" and kind(x) ~= "int" then return false end
    return container[x] ~= nil
  end
  if k == "nil" then error("'in': the right side is undefined", 0) end
  error("'in': cannot look into " .. describe(container), 0)
end

-- Evaluates f; a failure to index an undefined value gives nil instead (for
-- `a.b.c | default(x)` and `a.b is defined`, as Ansible's chained undefined does).
function filters.try(f)
  local ok, result = pcall(f)
  if ok then return result end
  if type(result) == "string" and result:find("attempt to index a nil value", 1, true) then return nil end
  error(result, 0)
end

setmetatable(filters, {
  __index = function(_, name) error("unknown filter '" .. tostring(name) .. "'", 2) end,
})

-- Tests: `x is name(args)`. `defined` and `undefined` are rewritten inline.
function tests.none(v) return is_nil(v) end
function tests.string(v) return kind(v) == "string" end
function tests.number(v) local k = kind(v) return k == "int" or k == "float" end
function tests.integer(v) return kind(v) == "int" end
function tests.float(v) return kind(v) == "float" end
function tests.boolean(v) return kind(v) == "bool" end
function tests.mapping(v) return kind(v) == "map" end
function tests.sequence(v) local k = kind(v) return k == "list" or k == "string" end
tests.iterable = tests.sequence
tests.list = function(v) return kind(v) == "list" end
function tests.truthy(v) return native.truthy(v) end
function tests.falsy(v) return not native.truthy(v) end
tests["true"] = function(v) return v == true end
tests["false"] = function(v) return v == false end
function tests.version(v, other, op) return version.test(v, other, op) end
tests.version_compare = tests.version
function tests.match(v, pattern, ignorecase)
  local m = native.regex_search(str(v), "^(?:" .. str(pattern) .. ")", ignorecase)
  return m ~= nil
end
function tests.search(v, pattern, ignorecase)
  return native.regex_search(str(v), str(pattern), ignorecase) ~= nil
end
function tests.contains(container, x) return filters.within(x, container) end

-- Results registered from tasks.
local function result_flag(name)
  return function(r)
    if kind(r) ~= "map" then error("'is " .. name .. "' needs a task result, got " .. describe(r), 0) end
    return native.truthy(r[name])
  end
end
tests.changed = result_flag("changed")
tests.skipped = result_flag("skipped")
tests.failed = result_flag("failed")
function tests.succeeded(r) return not tests.failed(r) end
tests.success = tests.succeeded
tests.failure = tests.failed
tests.change = tests.changed
tests.skip = tests.skipped

setmetatable(tests, {
  __index = function(_, name) error("unknown test '" .. tostring(name) .. "'", 2) end,
})

return { filters = filters, tests = tests }
