#include "engine/util/error.hpp"

#include <fstream>

namespace upkeep {

std::string UserError::describe() const {
    std::string where = m_mark.to_string();
    std::string out = where.empty() ? what() : where + ": " + what();
    if (!m_mark.known() || m_mark.line <= 0) return out;
    std::ifstream in(*m_mark.file);
    std::string line;
    for (int i = 0; i < m_mark.line && std::getline(in, line); ++i) {
    }
    if (!in) return out;
    out += "\n    " + line + "\n";
    out += "    " + std::string(m_mark.col > 1 ? m_mark.col - 1 : 0, ' ') + "^";
    return out;
}

}  // namespace upkeep
