#include "engine/report/markup.hpp"

#include <cstdio>

#include "engine/report/report_file.hpp"

namespace upkeep {

std::string xml_escape(std::string_view raw) {
    std::string text = text_valid_utf8(raw);
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (char ch : text) {
        unsigned char c = static_cast<unsigned char>(ch);
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default:
                if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02x", c);
                    out += buf;
                } else {
                    out += ch;
                }
        }
    }
    return out;
}

}  // namespace upkeep
