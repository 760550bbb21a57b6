// libFuzzer target for the lossless XML edit core. Input: one line with an
// operation selector and an XPath, then the document. Invariants checked: bad
// input only ever raises UserError; an edit's output parses again; a second run
// of the same edit is a no-op (idempotence); an edit that changes nothing gives
// back the input byte for byte.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/util/error.hpp"
#include "modules/formats/xml_edit.hpp"

using namespace upkeep;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string in(reinterpret_cast<const char*>(data), size);
    size_t nl = in.find('\n');
    if (nl == std::string::npos || nl < 1) return 0;
    char op = in[0];
    xml::EditRequest req;
    req.xpath = in.substr(1, nl - 1);
    std::string doc = in.substr(nl + 1);
    switch (op % 8) {
        case 0: req.attribute = "k"; req.value = "v&\"'<"; break;
        case 1: req.value = "text <&>"; break;
        case 2: req.absent = true; break;
        case 3: req.add_children = {"<n a=\"1\"><m/></n>"}; break;
        case 4: req.set_children = std::vector<std::string>{"<x/>", "<y>t</y>"}; break;
        case 5: req.position = "first"; break;
        case 6: req.position = "last"; break;
        default: req.attribute = "k"; req.absent = true; break;
    }
    xml::EditResult first;
    try {
        first = xml::edit_xml(doc, "fuzz.xml", req);
    } catch (const UserError&) {
        return 0;
    } catch (const TaskError&) {  // modules' parse errors
        return 0;
    }
    if (!first.changed && first.text != doc) std::abort();
    xml::EditResult second = xml::edit_xml(first.text, "fuzz.xml", req);  // must parse and not throw
    if (second.text != first.text) std::abort();
    return 0;
}
