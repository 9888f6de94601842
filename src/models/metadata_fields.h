// Reading typed config fields from safetensors `__metadata__` (all values are strings), with
// errors that name the file, the field, what was found and what to do.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace models::meta {

// Checks "model" == expected_kind and "format_version" == "1".
inline void require_kind(const std::map<std::string, std::string>& metadata,
                         const std::string& expected_kind, const std::string& source) {
    auto it = metadata.find("model");
    if (it == metadata.end())
        throw std::invalid_argument(source + ": no \"model\" field in __metadata__; expected a " +
                                    expected_kind + " weights file written by genlab");
    if (it->second != expected_kind)
        throw std::invalid_argument(source + ": this is a \"" + it->second +
                                    "\" weights file, expected \"" + expected_kind +
                                    "\" (load it in the " + it->second + " panel/command instead)");
    auto v = metadata.find("format_version");
    if (v == metadata.end() || v->second != "1")
        throw std::invalid_argument(source + ": format_version is " +
                                    (v == metadata.end() ? std::string("missing") : "\"" + v->second + "\"") +
                                    ", expected \"1\"; re-export the file with this genlab version");
}

inline const std::string& require_string(const std::map<std::string, std::string>& metadata,
                                         const std::string& field, const std::string& source) {
    auto it = metadata.find(field);
    if (it == metadata.end())
        throw std::invalid_argument(source + ": __metadata__ field \"" + field +
                                    "\" is missing; the file was not written by genlab or is damaged");
    return it->second;
}

inline int require_int(const std::map<std::string, std::string>& metadata, const std::string& field,
                       const std::string& source, int lo, int hi) {
    const std::string& s = require_string(metadata, field, source);
    long long v = 0;
    size_t used = 0;
    bool ok = !s.empty();
    try {
        v = std::stoll(s, &used);
    } catch (const std::exception&) {
        ok = false;
    }
    if (!ok || used != s.size() || v < lo || v > hi)
        throw std::invalid_argument(source + ": __metadata__ field \"" + field + "\" is \"" + s +
                                    "\", expected an integer in [" + std::to_string(lo) + ", " +
                                    std::to_string(hi) + "]");
    return static_cast<int>(v);
}

// "0.7,1,1.25" -> {0.7, 1, 1.25}. Throws std::invalid_argument naming `what` for an empty
// item, trailing characters or a value that is not a finite number.
inline std::vector<float> parse_float_list(const std::string& text, const std::string& what) {
    std::vector<float> values;
    size_t begin = 0;
    while (true) {
        const size_t end = std::min(text.find(',', begin), text.size());
        const std::string item = text.substr(begin, end - begin);
        size_t used = 0;
        float v = 0;
        bool ok = !item.empty();
        try {
            v = std::stof(item, &used);
        } catch (const std::exception&) {
            ok = false;
        }
        if (!ok || used != item.size() || !(v - v == 0))  // v - v is NaN for NaN and +-inf
            throw std::invalid_argument(what + ": \"" + text + "\" is not a comma-separated list "
                                        "of numbers (item \"" + item + "\")");
        values.push_back(v);
        if (end == text.size()) return values;
        begin = end + 1;
    }
}

}  // namespace models::meta
