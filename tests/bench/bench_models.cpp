// The model workloads of the side-by-side benchmark (tests/bench/lib/workloads.h) run natively,
// for the wasm/native ratio. A benchmark, not a test: it prints and writes JSON, it never fails
// on a time.
//
//   genlab_bench_models [--runs N] [--weights DIR] [--text FILE] [--json OUT.json]
//
// Each row: one untimed warm-up call, then N timed calls (default 20); median, min, max in ms.
#include "workloads.h"

#include "io/file_bytes.h"
#include "nn/rng.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Row {
    std::string name;
    std::vector<double> ms;
};

Row time_row(const std::string& name, int runs, const std::function<void()>& fn) {
    fn();  // warm-up
    Row row{name, {}};
    for (int i = 0; i < runs; ++i) {
        const auto start = Clock::now();
        fn();
        row.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    return row;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

nn::Matrix random_matrix(int rows, int cols, uint64_t seed, bool normal) {
    nn::Matrix m(rows, cols);
    nn::Rng rng(seed);
    if (normal)
        nn::fill_normal(m, rng);
    else
        nn::fill_uniform(m, rng, 0.0f, 1.0f);
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 20;
    std::string weights = "weights", text_path = "build/data/corpus-excerpt.txt", json_path;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--runs") runs = std::max(1, std::stoi(next()));
        else if (a == "--quick") runs = 3;
        else if (a == "--weights") weights = next();
        else if (a == "--text") text_path = next();
        else if (a == "--json") json_path = next();
        else throw std::invalid_argument("unknown argument " + a);
    }
    bench::Workloads w;
    bench::load_gan(w, io::read_file_bytes(weights + "/gan.safetensors"), weights + "/gan.safetensors");
    bench::load_vae(w, io::read_file_bytes(weights + "/vae16.safetensors"), weights + "/vae16.safetensors");
    bench::load_rnn(w, io::read_file_bytes(weights + "/char_lstm.safetensors"),
                    weights + "/char_lstm.safetensors");
    const std::vector<uint8_t> text_bytes = io::read_file_bytes(text_path);
    const std::string text(text_bytes.begin(), text_bytes.end());

    std::vector<Row> rows;
    nn::Matrix out, out2;
    nn::RowVector logits;
    for (int batch : {1, 64}) {
        const nn::Matrix z = random_matrix(batch, w.gan.config.latent, 1, true);
        rows.push_back(time_row("gan generate b" + std::to_string(batch), runs,
                                [&] { bench::gan_generate(w, out, z); }));
    }
    for (int batch : {1, 64}) {
        const nn::Matrix z = random_matrix(batch, w.vae.config.latent, 2, true);
        rows.push_back(time_row("vae decode b" + std::to_string(batch), runs,
                                [&] { bench::vae_decode(w, out, z); }));
    }
    const nn::Matrix images = random_matrix(64, 784, 3, false);
    rows.push_back(time_row("vae encode b64", runs, [&] { bench::vae_encode(w, out, out2, images); }));
    std::vector<int> ids = w.rnn.vocab.encode(text.substr(0, 1000));
    rows.push_back(time_row("rnn 1000 chars", runs, [&] { bench::rnn_run(w, logits, ids); }));

    bench::vae_train_init(w, images);
    rows.push_back(time_row("train vae b64", runs, [&] { bench::vae_train_step(w); }));
    bench::gan_train_init(w, images);
    rows.push_back(time_row("train gan b64", runs, [&] { bench::gan_train_step(w); }));
    bench::rnn_train_init(w, text, 64, 32);
    rows.push_back(time_row("train rnn 64x32", runs, [&] { bench::rnn_train_step(w); }));

#if defined(__EMSCRIPTEN__)
    const char* target = "wasm";
#else
    const char* target = "native";
#endif
    std::printf("GenLab %s, %d runs after 1 warm-up (ms)\n", target, runs);
    std::printf("%-20s %10s %10s %10s\n", "workload", "median", "min", "max");
    std::string json = "{\"target\": \"" + std::string(target) + "\", \"runs\": " +
                       std::to_string(runs) + ", \"rows\": [";
    for (size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        const double med = median(r.ms), lo = *std::min_element(r.ms.begin(), r.ms.end()),
                     hi = *std::max_element(r.ms.begin(), r.ms.end());
        std::printf("%-20s %10.3f %10.3f %10.3f\n", r.name.c_str(), med, lo, hi);
        char buf[256];
        std::snprintf(buf, sizeof buf, "%s{\"name\": \"%s\", \"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f}",
                      i ? ", " : "", r.name.c_str(), med, lo, hi);
        json += buf;
    }
    json += "]}\n";
    if (!json_path.empty()) {
        std::ofstream f(json_path);
        f << json;
        if (!f.flush()) {
            std::fprintf(stderr, "cannot write %s\n", json_path.c_str());
            return 1;
        }
    }
    return 0;
}
