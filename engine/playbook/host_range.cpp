#include "engine/playbook/host_range.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>

#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// Ansible orders letter ranges by string.ascii_letters: a..z then A..Z.
constexpr size_t k_max_hosts = 1000000;

constexpr std::string_view k_letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

}  // namespace

HostSpec split_host_port(const std::string& entry) {
    HostSpec spec;
    spec.pattern = entry;
    if (entry.empty()) return spec;
    // "[v6addr]:port": the brackets hold an address (2+ colons), not a range.
    if (entry[0] == '[') {
        size_t close = entry.find(']');
        if (close != std::string::npos && close + 1 < entry.size() && entry[close + 1] == ':' &&
            std::count(entry.begin(), entry.begin() + static_cast<long>(close), ':') >= 2) {
            std::string port = entry.substr(close + 2);
            if (!all_digits(port)) throw std::invalid_argument("the port '" + port + "' is not a number");
            spec.pattern = entry.substr(1, close - 1);
            spec.port = std::stoi(port);
            return spec;
        }
    }
    std::vector<size_t> colons;
    int depth = 0;
    for (size_t i = 0; i < entry.size(); ++i) {
        if (entry[i] == '[') ++depth;
        else if (entry[i] == ']') depth = std::max(0, depth - 1);
        else if (entry[i] == ':' && depth == 0) colons.push_back(i);
    }
    if (colons.size() != 1) return spec;  // no port, or a bare IPv6 address
    if (colons[0] + 1 == entry.size())
        throw std::invalid_argument("a host name must not end in ':', that character introduces a port");
    std::string port = entry.substr(colons[0] + 1);
    if (!all_digits(port)) return spec;  // Ansible keeps such names whole
    if (port.size() > 5 || std::stoi(port) > 65535) throw std::invalid_argument("the port " + port + " is out of range");
    spec.pattern = entry.substr(0, colons[0]);
    spec.port = std::stoi(port);
    return spec;
}

std::vector<std::string> expand_host_range(const std::string& pattern) {
    size_t open = pattern.find('[');
    if (open == std::string::npos) return {pattern};
    size_t close = pattern.find(']', open);
    if (close == std::string::npos) throw std::invalid_argument("'[' is never closed");
    std::string head = pattern.substr(0, open);
    std::string tail = pattern.substr(close + 1);
    std::vector<std::string> bounds = split(pattern.substr(open + 1, close - open - 1), ':');
    if (bounds.size() != 2 && bounds.size() != 3) throw std::invalid_argument("expected [begin:end] or [begin:end:step]");
    std::string beg = trim(bounds[0]);
    std::string end = trim(bounds[1]);
    int step = 1;
    if (bounds.size() == 3) {
        std::string s = trim(bounds[2]);
        if (!all_digits(s) || s.size() > 6 || std::stoi(s) < 1)
            throw std::invalid_argument("the step must be a positive integer");
        step = std::stoi(s);
    }
    if (beg.empty()) beg = "0";
    if (end.empty()) throw std::invalid_argument("the range has no end");

    std::vector<std::string> names;
    size_t ib = beg.size() == 1 ? k_letters.find(beg[0]) : std::string_view::npos;
    size_t ie = end.size() == 1 ? k_letters.find(end[0]) : std::string_view::npos;
    if (ib != std::string_view::npos && ie != std::string_view::npos) {
        if (ib > ie) throw std::invalid_argument("begin must not come after end");
        for (size_t i = ib; i <= ie; i += static_cast<size_t>(step)) names.push_back(head + k_letters[i] + tail);
    } else {
        if (!all_digits(beg) || !all_digits(end))
            throw std::invalid_argument("the bounds must both be numbers or both single letters");
        size_t width = 0;
        if (beg.size() > 1 && beg[0] == '0') {
            if (beg.size() != end.size())
                throw std::invalid_argument("zero-padded bounds must have the same width ('" + beg + "' and '" + end + "')");
            width = beg.size();
        }
        if (beg.size() > 9 || end.size() > 9) throw std::invalid_argument("the bounds are too large");
        long b = std::stol(beg), e = std::stol(end);
        if (b > e) throw std::invalid_argument("begin must not be greater than end");
        if ((e - b) / step >= static_cast<long>(k_max_hosts)) throw std::invalid_argument("the range is too large");
        for (long i = b; i <= e; i += step) {
            std::string n = std::to_string(i);
            if (n.size() < width) n.insert(0, width - n.size(), '0');
            names.push_back(head + n + tail);
        }
    }
    std::vector<std::string> out;
    for (const auto& n : names) {
        if (n.find('[') == std::string::npos) {
            out.push_back(n);
        } else {
            auto more = expand_host_range(n);
            out.insert(out.end(), more.begin(), more.end());
        }
        // Nested ranges multiply (h[1:1000][1:1000000]): bound the total, not only each range.
        if (out.size() > k_max_hosts)
            throw std::invalid_argument("the ranges expand to more than " + std::to_string(k_max_hosts) + " hosts");
    }
    return out;
}

}  // namespace upkeep
