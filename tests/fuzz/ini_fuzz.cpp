// libFuzzer target for the INI document: lossless round trip, idempotent edits.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/util/error.hpp"
#include "modules/formats/ini_doc.hpp"

using upkeep::ini::Document;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    upkeep::ini::ParseOptions po;
    po.allow_no_value = size % 2 == 0;
    try {
        Document doc = Document::parse(text, "fuzz.ini", po);
        if (doc.render() != text) std::abort();
        auto sections = doc.section_names();
        upkeep::ini::Section section;
        if (!sections.empty()) section = sections[size % sections.size()];
        auto options = doc.option_names(section);
        std::string key = options.empty() ? "newkey" : options[size % options.size()];
        std::string value = size % 3 == 0 ? "a\nb" : "value";
        upkeep::ini::Format fmt;
        doc.set(section, key, value, fmt);
        Document again = Document::parse(doc.render(), "fuzz.ini", po);
        if (again.get(section, key) != value) std::abort();
        if (again.set(section, key, value, fmt)) std::abort();
        again.remove_option(section, key);
        if (!Document::parse(again.render(), "fuzz.ini", po).get_all(section, key).empty()) std::abort();
        if (section) {
            again.remove_section(*section);
            Document::parse(again.render(), "fuzz.ini", po);
        }
    } catch (const upkeep::UserError&) {
    } catch (const upkeep::TaskError&) {  // modules' parse errors
    }
    return 0;
}
