// The `genlab` command line: argument parsing, a command registry and a progress bar.
// Each model's commands live in their own file and register themselves:
//   static const bool registered = cli::register_command("train", "gan", "…", train_gan);
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cli {

// `genlab VERB [MODEL] [--key value | --flag] ...`
struct Args {
    std::string verb, model;
    std::vector<std::string> positional;          // after VERB and MODEL
    std::map<std::string, std::string> options;   // --key value (value "" for a bare flag)

    bool has(const std::string& key) const { return options.count(key) > 0; }
    std::string get(const std::string& key, const std::string& fallback) const;
    // Throw std::invalid_argument naming the option when the value does not parse.
    int64_t get_int(const std::string& key, int64_t fallback) const;
    double get_double(const std::string& key, double fallback) const;
    // The same, then throw std::invalid_argument naming the option unless lo <= value <= hi
    // (NaN never is), so a typo cannot reach the models as a huge size or a negative rate.
    int64_t get_int(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) const;
    double get_double(const std::string& key, double fallback, double lo, double hi) const;
    // Throws std::invalid_argument listing the accepted options when an unknown one was given,
    // and HelpRequested listing them when --help was (every command calls this first).
    void allow_only(const std::vector<std::string>& keys) const;
};

// `genlab VERB MODEL --help`: thrown by allow_only before the command does any work; main
// prints the command's summary and `options` (comma-separated "--key") and exits 0.
struct HelpRequested : std::exception {
    std::string options;
    explicit HelpRequested(std::string list) : options(std::move(list)) {}
    const char* what() const noexcept override { return "help requested"; }
};

Args parse_args(int argc, char** argv);

// Bounds for numeric options: far above any sensible run, low enough to fail with a message
// instead of a bad_alloc or an overflowed int.
constexpr int64_t kMaxSteps = 1'000'000'000;  // training steps, epochs, checkpoint intervals
constexpr int64_t kMaxImages = 100'000;       // images sampled or judged in one call
constexpr int64_t kMaxWidth = 4096;           // layer widths, latent sizes, batch sizes
constexpr int64_t kMnistTrain = 60'000, kMnistTest = 10'000;

// "genlab VERB MODEL [positional] --key value ..." rebuilt from parsed arguments; weights files
// record it as "trained_with".
std::string command_line(const Args& args);
// What a trainer records as "trained_with": command_line(args), preceded by the --resume
// checkpoint's own "trained_with", so a file trained in legs names the whole chain
// ("genlab train gan --checkpoint C && genlab train gan --resume C --epochs 30").
std::string training_command(const Args& args);

using CommandFn = int (*)(const Args&);

struct Command {
    std::string verb, model, summary;
    CommandFn run;
};

bool register_command(const std::string& verb, const std::string& model,
                      const std::string& summary, CommandFn run);
const std::vector<Command>& commands();

// One line on stderr, redrawn in place: label, bar, steps, rate, ETA, and model stats.
class ProgressBar {
public:
    // `first` is where a resumed run starts: the bar shows first..total, the ETA counts from first.
    ProgressBar(std::string label, int64_t total, int64_t first = 0, std::string unit = "steps");
    // `items` is what the rate counts (e.g. samples); stats is free text such as "loss 0.12".
    void update(int64_t done, int64_t items, const std::string& stats);
    void finish(const std::string& stats);

private:
    std::string label_, unit_;
    int64_t total_, first_;
    std::chrono::steady_clock::time_point start_, last_draw_;
    void draw(int64_t done, int64_t items, const std::string& stats, bool final);
};

std::string format_duration(double seconds);  // "1m05s", "12.3s"

// Threads for a command's matrix products (nn/threads.h): --threads N, else the environment's
// GENLAB_THREADS, else `fallback`. Returns the count in effect (1 in a build without OpenMP).
// Throws std::invalid_argument for a value outside 1..256.
int use_threads(const Args& args, int fallback);

}  // namespace cli
