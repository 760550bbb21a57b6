// libFuzzer target for APT source files (one-line and deb822): lossless round
// trip, and appended entries read back.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/util/error.hpp"
#include "modules/formats/apt_sources.hpp"

using namespace upkeep::apt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    SourceEntry e{"deb", {{"arch", "amd64"}}, "http://fuzz.example/", "stable", {"main"}};
    try {
        ListFile f = ListFile::parse(text, "fuzz.list");
        if (f.render() != text) std::abort();
        for (size_t i = 0; i < f.lines().size(); ++i)
            if (f.lines()[i].kind == ListFile::Kind::Entry) f.replace_entry(i, e);
        f.append(e);
        ListFile g = ListFile::parse(f.render(), "fuzz.list");
        if (!g.lines().back().entry.same_as(e)) std::abort();
    } catch (const upkeep::UserError&) {
    } catch (const upkeep::TaskError&) {  // modules' parse errors
    }
    try {
        Deb822File d = Deb822File::parse(text, "fuzz.sources");
        if (d.render() != text) std::abort();
        for (const auto& s : d.stanzas()) d.entries(s);
        d.append(e);
        Deb822File again = Deb822File::parse(d.render(), "fuzz.sources");
        auto st = again.stanzas();
        if (st.empty() || again.entries(st.back()).empty() || !again.entries(st.back())[0].same_as(e)) std::abort();
        again.remove_stanza(st.back());
        Deb822File::parse(again.render(), "fuzz.sources");
    } catch (const upkeep::UserError&) {
    } catch (const upkeep::TaskError&) {  // modules' parse errors
    }
    return 0;
}
