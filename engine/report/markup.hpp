// Escaping for the XML (JUnit) and HTML reports. Host data may hold any bytes:
// the result is always valid UTF-8 and well-formed XML 1.0.
#pragma once

#include <string>
#include <string_view>

namespace upkeep {

// &, <, >, " and ' as entities; bytes that are not UTF-8 as \xNN; control
// characters XML 1.0 cannot carry at all (anything below 0x20 but tab, newline
// and carriage return) as \xNN too.
std::string xml_escape(std::string_view text);

}  // namespace upkeep
