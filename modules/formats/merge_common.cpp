#include "modules/formats/merge_common.hpp"


#include "engine/util/strings.hpp"
#include "engine/value/value.hpp"

namespace upkeep::merge {

Pick pick(const std::optional<std::string>& base, bool have_base, const std::optional<std::string>& ours,
          const std::optional<std::string>& theirs) {
    if (ours == theirs) return Pick::Theirs;
    if (have_base) {
        if (ours == base) return Pick::Theirs;
        if (theirs == base) return Pick::Ours;
        return Pick::Conflict;
    }
    if (!theirs) return Pick::Ours;    // only the operator has it: carried over
    if (!ours) return Pick::Theirs;    // only the package has it: a new default
    return Pick::Conflict;
}

Pick resolve(Pick p, Prefer prefer) {
    if (p != Pick::Conflict) return p;
    if (prefer == Prefer::Ours) return Pick::Ours;
    if (prefer == Prefer::Theirs) return Pick::Theirs;
    return Pick::Conflict;
}

namespace {

bool secret_word(const std::string& s) {
    std::string l = to_lower(s);
    return l.find("password") != std::string::npos || l.find("secret") != std::string::npos ||
           l.find("passwd") != std::string::npos;
}

}  // namespace

bool is_secret(const std::string& name, const std::optional<std::string>& value) {
    return secret_word(name) || (value && value->find("ENC(") != std::string::npos);
}

bool diff_touches_secret(const std::string& before, const std::string& after) {
    // Any secret line counts, changed or not: a diff's context lines could show it.
    for (const std::string* text : {&before, &after})
        for (const auto& line : split_lines_keep(*text)) {
            size_t sep = line.find_first_of("=:");
            std::string value = sep == std::string::npos ? "" : trim(line.substr(sep + 1));
            bool comment = starts_with(trim(line), "#") || starts_with(trim(line), "!");
            if (line.find("ENC(") != std::string::npos) return true;
            if (!comment && !value.empty() && secret_word(line.substr(0, sep))) return true;
        }
    return false;
}

std::string describe(const Conflict& c) {
    auto show = [&](const std::optional<std::string>& v) {
        if (!v) return std::string("(absent)");
        return c.secret ? std::string(k_masked) : "'" + *v + "'";
    };
    std::string out = c.where + ": ours " + show(c.ours) + ", theirs " + show(c.theirs);
    if (c.base) out += ", base " + show(c.base);
    return out;
}

}  // namespace upkeep::merge
