// A strict JSON reader for tests: the expected data of the YAML conformance suite
// must not be read by the YAML loader under test.
#pragma once

#include <string>
#include <vector>

#include "engine/value/value.hpp"

namespace upkeep::test {

// Every JSON value of `text` (the suite's in.json holds one per YAML document,
// separated by whitespace). Throws std::runtime_error on malformed JSON.
std::vector<Value> parse_json_values(const std::string& text);

}  // namespace upkeep::test
