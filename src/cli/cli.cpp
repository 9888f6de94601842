#include "cli/cli.h"

#include "io/safetensors.h"
#include "nn/threads.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace cli {

std::string Args::get(const std::string& key, const std::string& fallback) const {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
}

int64_t Args::get_int(const std::string& key, int64_t fallback) const {
    auto it = options.find(key);
    if (it == options.end()) return fallback;
    try {
        size_t used = 0;
        int64_t v = std::stoll(it->second, &used);
        if (used == it->second.size()) return v;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument("--" + key + " expects an integer, got '" + it->second + "'");
}

double Args::get_double(const std::string& key, double fallback) const {
    auto it = options.find(key);
    if (it == options.end()) return fallback;
    try {
        size_t used = 0;
        double v = std::stod(it->second, &used);
        if (used == it->second.size()) return v;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument("--" + key + " expects a number, got '" + it->second + "'");
}

int64_t Args::get_int(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) const {
    const int64_t v = get_int(key, fallback);
    if (v < lo || v > hi)
        throw std::invalid_argument("--" + key + " must be in " + std::to_string(lo) + ".." +
                                    std::to_string(hi) + ", got " + get(key, std::to_string(v)));
    return v;
}

double Args::get_double(const std::string& key, double fallback, double lo, double hi) const {
    const double v = get_double(key, fallback);
    if (!(v >= lo && v <= hi)) {
        char range[64];
        std::snprintf(range, sizeof range, "[%g, %g]", lo, hi);
        throw std::invalid_argument("--" + key + " must be in " + range + ", got " +
                                    get(key, std::to_string(v)));
    }
    return v;
}

void Args::allow_only(const std::vector<std::string>& keys) const {
    std::string list;
    for (const auto& k : keys) list += (list.empty() ? "--" : ", --") + k;
    if (has("help")) throw HelpRequested(list);
    for (const auto& [key, value] : options) {
        bool known = false;
        for (const auto& k : keys) known = known || k == key;
        if (known) continue;
        throw std::invalid_argument("unknown option --" + key + " for '" + verb +
                                    (model.empty() ? "" : " " + model) + "' (accepted: " +
                                    (list.empty() ? "none" : list) + ")");
    }
}

Args parse_args(int argc, char** argv) {
    Args args;
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        if (word.rfind("--", 0) == 0 && word.size() > 2) {
            std::string key = word.substr(2), value;
            size_t eq = key.find('=');
            if (eq != std::string::npos) {
                value = key.substr(eq + 1);
                key = key.substr(0, eq);
            } else if (i + 1 < argc) {
                // A following word is this option's value unless it is itself an option;
                // negative numbers ("-0.5") count as values.
                std::string next = argv[i + 1];
                if (next.rfind("--", 0) != 0) {
                    value = next;
                    ++i;
                }
            }
            args.options[key] = value;
        } else {
            words.push_back(word);
        }
    }
    if (!words.empty()) args.verb = words[0];
    if (words.size() > 1) args.model = words[1];
    for (size_t i = 2; i < words.size(); ++i) args.positional.push_back(words[i]);
    return args;
}

std::string command_line(const Args& args) {
    std::string s = "genlab " + args.verb;
    if (!args.model.empty()) s += " " + args.model;
    for (const auto& p : args.positional) s += " " + p;
    for (const auto& [key, value] : args.options) {
        s += " --" + key;
        if (!value.empty()) s += " " + value;
    }
    return s;
}

std::string training_command(const Args& args) {
    const std::string command = command_line(args);
    if (!args.has("resume")) return command;
    const io::SafetensorsFile checkpoint = io::read_safetensors(args.get("resume", ""));
    auto it = checkpoint.metadata.find("trained_with");
    return it == checkpoint.metadata.end() ? command : it->second + " && " + command;
}

static std::vector<Command>& registry() {
    static std::vector<Command> list;
    return list;
}

bool register_command(const std::string& verb, const std::string& model,
                      const std::string& summary, CommandFn run) {
    registry().push_back(Command{verb, model, summary, run});
    return true;
}

const std::vector<Command>& commands() { return registry(); }

std::string format_duration(double seconds) {
    char buf[32];
    if (seconds < 60) {
        std::snprintf(buf, sizeof buf, "%.1fs", seconds);
    } else if (seconds < 3600) {
        std::snprintf(buf, sizeof buf, "%dm%02ds", int(seconds) / 60, int(seconds) % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%dh%02dm", int(seconds) / 3600, (int(seconds) / 60) % 60);
    }
    return buf;
}

ProgressBar::ProgressBar(std::string label, int64_t total, int64_t first, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), first_(first),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void ProgressBar::update(int64_t done, int64_t items, const std::string& stats) {
    auto now = std::chrono::steady_clock::now();
    // Redraw at most ~5 times a second so logs piped to a file stay small.
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    draw(done, items, stats, false);
}

void ProgressBar::finish(const std::string& stats) { draw(total_, -1, stats, true); }

void ProgressBar::draw(int64_t done, int64_t items, const std::string& stats, bool final) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    // Clamped: a run resumed past its end has done > total.
    const double fraction = total_ > 0 ? std::clamp(double(done) / double(total_), 0.0, 1.0) : 1.0;
    const int width = 24;
    const int filled = static_cast<int>(fraction * width + 0.5);
    std::string bar(static_cast<size_t>(filled), '#');
    bar += std::string(static_cast<size_t>(width - filled), '.');
    char rate[64] = "";
    if (items >= 0 && elapsed > 0)
        std::snprintf(rate, sizeof rate, " %.0f samples/s", double(items) / elapsed);
    // The rate counts only this run's steps: a resumed run did first_ of them earlier.
    const int64_t run_done = done - first_;
    std::string eta = final          ? "took " + format_duration(elapsed)
                      : run_done > 0 ? "ETA " + format_duration(elapsed / double(run_done) *
                                                                double(std::max<int64_t>(total_ - done, 0)))
                                     : "ETA ?";
    std::fprintf(stderr, "\r%s [%s] %lld/%lld %s%s %s  %s\x1b[K", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), unit_.c_str(), rate,
                 eta.c_str(), stats.c_str());
    if (final) std::fputc('\n', stderr);
    std::fflush(stderr);
}

}  // namespace cli

namespace cli {

int use_threads(const Args& args, int fallback) {
    int64_t threads = fallback;
    if (const char* env = std::getenv("GENLAB_THREADS"); env && *env) {
        char* end = nullptr;
        threads = std::strtoll(env, &end, 10);
        if (*end != '\0' || threads < 1 || threads > 256)
            throw std::invalid_argument(std::string("GENLAB_THREADS must be in 1..256, got ") + env);
    }
    threads = args.get_int("threads", threads, 1, 256);
    return nn::set_num_threads(static_cast<int>(threads));
}

}  // namespace cli
