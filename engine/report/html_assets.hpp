// The stylesheet and script inlined into every HTML report (the report is one
// self-contained file: no network, no external assets; its Content-Security-
// Policy forbids loading anything).
#pragma once

namespace upkeep {

extern const char* const k_html_report_css;
extern const char* const k_html_report_js;

}  // namespace upkeep
