// Writing a report file an auditor can rely on: always valid UTF-8 JSON, written
// atomically (a temp file renamed over the target, so a reader never sees half a
// report and a symlink at the target is replaced, not followed), and a failure to
// write is an error the caller must report, never silence.
#pragma once

#include <string>
#include <string_view>

namespace upkeep {

// `text` with every byte that is not part of valid UTF-8 replaced by the four
// characters `\xNN` (Python's "backslashreplace"). Inside a JSON string literal
// the backslash is written escaped, so the result stays valid JSON.
std::string json_text_valid_utf8(std::string_view text);

// `text` with every byte that is not part of valid UTF-8 replaced by the four
// characters `\xNN` (for XML and HTML reports, where a backslash needs no escape).
std::string text_valid_utf8(std::string_view text);

// Throws UserError naming the path and the reason when `path`'s directory does not
// accept a new file (checked before a run, so an audit run never goes unrecorded).
// `kind` names the report in messages ("JSON", "JUnit", "HTML", "plan").
void check_report_path_writable(const std::string& path, const char* kind = "JSON");

// Writes `content` to `path` atomically; throws UserError on any failure, leaving
// no temp file behind.
void write_report_file(const std::string& path, const std::string& content, const char* kind = "JSON");

}  // namespace upkeep
