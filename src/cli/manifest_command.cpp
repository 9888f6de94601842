// `genlab manifest [DIR]` (default weights/): writes DIR/manifest.json describing every
// DIR/*.safetensors, for the web loader (cache keys, sizes) and for people:
//   {"format_version": 1, "files": [{"file", "bytes", "sha256", "model", "format_version",
//     "trained_with", "config": {...}, "metrics": {...}, "training": {...}}, ...]}
// Metadata keys "metric.X" (or "metric_X") go to metrics as X, "train_X"/"trainer.X" to
// training, "model"/"format_version"/"trained_with" to their own fields, the rest to config.
// Values that parse completely as numbers are written as JSON numbers.
#include "cli/cli.h"
#include "io/safetensors.h"
#include "io/sha256.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace {

using json = nlohmann::json;

json value_of(const std::string& s) {
    if (!s.empty()) {
        try {
            size_t used = 0;
            const double v = std::stod(s, &used);
            if (used == s.size()) {
                if (s.find_first_of(".eE") == std::string::npos) return json(std::stoll(s));
                return json(v);
            }
        } catch (const std::exception&) {
        }
    }
    return json(s);
}

bool strip_prefix(const std::string& key, const std::string& prefix, std::string& rest) {
    if (key.rfind(prefix, 0) != 0) return false;
    rest = key.substr(prefix.size());
    return true;
}

json describe_file(const std::filesystem::path& path) {
    io::SafetensorsFile file = io::read_safetensors(path.string());
    json entry;
    entry["file"] = path.filename().string();
    entry["bytes"] = file.bytes.size();
    entry["sha256"] = io::sha256_hex(file.bytes);
    json config = json::object(), metrics = json::object(), training = json::object();
    int64_t params = 0;
    for (const io::TensorInfo& t : file.tensors) params += t.numel();
    entry["tensors"] = file.tensors.size();
    entry["parameters"] = params;
    entry["dtype"] = file.tensors.empty() ? "" : file.tensors.front().dtype;
    for (const auto& [key, value] : file.metadata) {
        std::string rest;
        if (key == "model" || key == "trained_with") {
            entry[key] = value;
        } else if (key == "format_version") {
            entry[key] = value_of(value);
        } else if (strip_prefix(key, "metric.", rest) || strip_prefix(key, "metric_", rest)) {
            metrics[rest] = value_of(value);
        } else if (strip_prefix(key, "train_", rest) || strip_prefix(key, "trainer.", rest)) {
            training[rest] = value_of(value);
        } else {
            config[key] = value_of(value);
        }
    }
    if (!entry.contains("model"))
        throw std::runtime_error(path.string() + ": no \"model\" in __metadata__; not a GenLab "
                                 "weights file (move it out of the directory or re-export it)");
    entry["config"] = config;
    entry["metrics"] = metrics;
    entry["training"] = training;
    return entry;
}

int manifest(const cli::Args& args) {
    args.allow_only({"out"});
    const std::string dir = args.positional.empty() ? "weights" : args.positional[0];
    if (!std::filesystem::is_directory(dir))
        throw std::runtime_error(dir + " is not a directory (usage: genlab manifest weights/)");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".safetensors") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    json doc;
    doc["format_version"] = 1;
    doc["files"] = json::array();
    uint64_t total = 0;
    for (const auto& path : files) {
        json entry = describe_file(path);
        total += entry["bytes"].get<uint64_t>();
        doc["files"].push_back(entry);
    }
    doc["total_bytes"] = total;
    const std::string out = args.get("out", (std::filesystem::path(dir) / "manifest.json").string());
    const std::string text = doc.dump(2) + "\n";
    std::FILE* f = std::fopen(out.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + out);
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok) throw std::runtime_error("error writing " + out);
    std::printf("%s: %zu files, %llu bytes in total\n", out.c_str(), files.size(),
                static_cast<unsigned long long>(total));
    return 0;
}

const bool registered = cli::register_command(
    "manifest", "", "[DIR=weights]: write DIR/manifest.json (sizes, sha256, config, metrics)",
    manifest);

}  // namespace
