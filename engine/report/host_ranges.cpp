#include "engine/report/host_ranges.hpp"

#include <algorithm>
#include <cctype>

namespace upkeep {

namespace {

// "kvm017" -> {"kvm", "017"}; no trailing digits -> {name, ""}.
std::pair<std::string, std::string> split_number(const std::string& name) {
    size_t i = name.size();
    while (i > 0 && std::isdigit(static_cast<unsigned char>(name[i - 1]))) --i;
    return {name.substr(0, i), name.substr(i)};
}

}  // namespace

bool natural_less(const std::string& a, const std::string& b) {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
        if (digit(a[i]) && digit(b[j])) {
            size_t ie = i, je = j;
            while (ie < a.size() && digit(a[ie])) ++ie;
            while (je < b.size() && digit(b[je])) ++je;
            // Compare the numbers by value without overflow: strip zeros, then length, then text.
            size_t is = i, js = j;
            while (is + 1 < ie && a[is] == '0') ++is;
            while (js + 1 < je && b[js] == '0') ++js;
            if (ie - is != je - js) return ie - is < je - js;
            int c = a.compare(is, ie - is, b, js, je - js);
            if (c != 0) return c < 0;
            i = ie, j = je;
            continue;
        }
        if (a[i] != b[j]) return a[i] < b[j];
        ++i, ++j;
    }
    if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
    return a < b;
}

std::string describe_hosts(std::vector<std::string> hosts) {
    std::sort(hosts.begin(), hosts.end(), natural_less);
    hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
    std::vector<std::string> parts;
    for (size_t i = 0; i < hosts.size();) {
        auto [prefix, num] = split_number(hosts[i]);
        size_t j = i + 1;
        if (!num.empty() && num.size() < 19) {
            unsigned long long last = std::stoull(num);
            while (j < hosts.size()) {
                auto [p2, n2] = split_number(hosts[j]);
                if (p2 != prefix || n2.size() != num.size() || std::stoull(n2) != last + 1) break;
                last++;
                ++j;
            }
        }
        if (j - i >= 3) {
            parts.push_back(hosts[i] + "\u2026" + hosts[j - 1]);
        } else {
            for (size_t k = i; k < j; ++k) parts.push_back(hosts[k]);
        }
        i = j;
    }
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
    return out;
}

}  // namespace upkeep
