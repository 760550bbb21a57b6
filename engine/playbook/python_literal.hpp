// The value typing of Ansible's INI inventory: every value goes through Python's
// ast.literal_eval, and whatever that rejects stays the original text. So `5` is an
// int, `True` a bool, `None` null, `80,443` a list, `'x'` the string x, and
// `true`, `yes`, `0777` or `a b` stay strings, exactly as Ansible loads them.
#pragma once

#include <optional>
#include <string>

#include "engine/value/value.hpp"

namespace upkeep {

// Evaluates text as a Python literal (numbers, strings, True/False/None, lists,
// tuples, sets, dicts, with comments and adjacent-string concatenation), or returns
// nothing when Python's literal_eval would raise.
std::optional<Value> python_literal(const std::string& text);

// python_literal, falling back to the text itself, as Ansible's INI parser does.
Value ini_value(const std::string& text);

}  // namespace upkeep
