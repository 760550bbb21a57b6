// libFuzzer target: any bytes either fail to parse with a UserError or parse
// into a document that renders back byte-identically and whose edits are
// idempotent and re-parse to what was set.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/util/error.hpp"
#include "modules/formats/properties_doc.hpp"

using upkeep::properties::Document;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        Document doc = Document::parse(text, "fuzz.properties");
        if (doc.render() != text) std::abort();
        auto entries = doc.entries();
        std::string key = entries.empty() ? "new.key" : entries[size % entries.size()].key;
        std::string value = text.substr(0, std::min<size_t>(size, 16));
        doc.set(key, value);
        Document again = Document::parse(doc.render(), "fuzz.properties");
        if (again.get(key) != value) std::abort();
        if (again.set(key, value)) std::abort();
        again.remove(key);
        if (Document::parse(again.render(), "fuzz.properties").get(key)) std::abort();
    } catch (const upkeep::UserError&) {
    } catch (const upkeep::TaskError&) {  // modules' parse errors
    }
    return 0;
}
