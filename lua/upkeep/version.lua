-- Version comparison the way RPM orders packages (rpmvercmp), which also orders
-- plain dotted versions sensibly: 1.10 > 1.9, 4.3.0 < 4.3.0.1,
-- 2.3.0-31.el7_2.21 > 2.3.0-31.el7_2.3. An optional "epoch:" prefix is compared
-- first; "~" sorts before anything (1.0~rc1 < 1.0), "^" after the end but before
-- more segments (1.0^git1 > 1.0, < 1.0.1).
local M = {}

local function is_sep(c)
  return c ~= "" and not c:match("[%w~^]")
end

-- Compares two version strings without epoch: -1, 0 or 1.
function M.rpmvercmp(a, b)
  if a == b then return 0 end
  local i, j = 1, 1
  local la, lb = #a, #b
  while true do
    while i <= la and is_sep(a:sub(i, i)) do i = i + 1 end
    while j <= lb and is_sep(b:sub(j, j)) do j = j + 1 end
    local ca, cb = a:sub(i, i), b:sub(j, j)
    if ca == "~" or cb == "~" then
      if ca ~= "~" then return 1 end
      if cb ~= "~" then return -1 end
      i, j = i + 1, j + 1
    elseif ca == "^" or cb == "^" then
      if i > la then return -1 end
      if j > lb then return 1 end
      if ca ~= "^" then return 1 end
      if cb ~= "^" then return -1 end
      i, j = i + 1, j + 1
    elseif i > la or j > lb then
      break
    else
      local numeric = ca:match("%d") ~= nil
      local pattern = numeric and "^%d+" or "^%a+"
      local sa, sb = a:match(pattern, i), b:match(pattern, j)
      -- A segment of the other kind: numbers are newer than letters.
      if sb == nil then return numeric and 1 or -1 end
      i, j = i + #sa, j + #sb
      if numeric then
        sa, sb = sa:gsub("^0+", ""), sb:gsub("^0+", "")
        if #sa ~= #sb then return #sa > #sb and 1 or -1 end
      end
      if sa ~= sb then return sa > sb and 1 or -1 end
    end
  end
  if i > la and j > lb then return 0 end
  return i > la and -1 or 1
end

local function split_epoch(v)
  local epoch, rest = v:match("^%s*(%d+):(.*)$")
  if epoch then return tonumber(epoch), rest end
  return 0, (v:match("^%s*(.-)%s*$"))
end

local function text(v, what)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  error("version comparison: " .. what .. " must be a string, got " .. (v == nil and "nil" or t), 0)
end

-- Compares two versions ("1:2.3-4" style accepted): -1, 0 or 1.
function M.compare(a, b)
  local ea, va = split_epoch(text(a, "the version"))
  local eb, vb = split_epoch(text(b, "the other version"))
  if ea ~= eb then return ea < eb and -1 or 1 end
  return M.rpmvercmp(va, vb)
end

local operators = {
  ["<"] = function(c) return c < 0 end, lt = function(c) return c < 0 end,
  ["<="] = function(c) return c <= 0 end, le = function(c) return c <= 0 end,
  [">"] = function(c) return c > 0 end, gt = function(c) return c > 0 end,
  [">="] = function(c) return c >= 0 end, ge = function(c) return c >= 0 end,
  ["=="] = function(c) return c == 0 end, ["="] = function(c) return c == 0 end,
  eq = function(c) return c == 0 end,
  ["!="] = function(c) return c ~= 0 end, ["~="] = function(c) return c ~= 0 end,
  ["<>"] = function(c) return c ~= 0 end, ne = function(c) return c ~= 0 end,
}

-- True when `a op b` holds, e.g. test("1.10", "1.9", ">"). The operator defaults to "==".
function M.test(a, b, op)
  op = op or "=="
  local f = operators[op]
  if not f then
    error("version comparison: unknown operator '" .. tostring(op) ..
          "' (use <, <=, >, >=, ==, != or lt, le, gt, ge, eq, ne)", 0)
  end
  return f(M.compare(a, b))
end

return M
