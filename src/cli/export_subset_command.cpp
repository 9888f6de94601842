// Data files for in-browser training, made at build time (scripts/setup.sh):
//   genlab export-subset --split train|test --count N --out FILE   MNIST subset (mnist-subset.bin)
//   genlab export-corpus --bytes N --out FILE                       cleaned corpus excerpt (text)
// The browser fetches them on demand (src/app/panel_train.cpp).
#include "cli/cli.h"
#include "io/file_bytes.h"
#include "io/idx.h"
#include "io/text_corpus.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace {

int export_subset(const cli::Args& args) {
    args.allow_only({"split", "count", "out", "mnist-dir"});
    const std::string split_name = args.get("split", "train");
    if (split_name != "train" && split_name != "test")
        throw std::invalid_argument("--split expects train or test, got '" + split_name + "'");
    const int64_t count = args.get_int("count", 6000);
    const std::string out = args.get("out", "");
    if (out.empty()) throw std::invalid_argument("--out FILE is required");
    const std::string dir = args.has("mnist-dir") ? args.get("mnist-dir", "") : io::find_mnist_dir();
    io::MnistSplit split = io::load_mnist_part(
        dir, split_name == "train" ? io::MnistPart::Train : io::MnistPart::Test);
    if (count < 1 || count > split.n)
        throw std::invalid_argument("--count expects 1.." + std::to_string(split.n) + " for the " +
                                    split_name + " split, got " + std::to_string(count));
    io::write_mnist_subset(out, split, int(count));
    std::printf("wrote %s: %lld %s images %dx%d + labels\n", out.c_str(), (long long)count,
                split_name.c_str(), split.rows, split.cols);
    return 0;
}

int export_corpus(const cli::Args& args) {
    args.allow_only({"bytes", "out", "corpus"});
    const int64_t max_bytes = args.get_int("bytes", 200000, 1000, 1'000'000'000);
    const std::string out = args.get("out", "");
    if (out.empty()) throw std::invalid_argument("--out FILE is required");
    const std::string path = args.has("corpus") ? args.get("corpus", "") : io::find_corpus_path();
    io::TextCorpus corpus = io::load_corpus(path);
    // Start past the front matter (title page, contents): the glossary entries are the text a
    // char-RNN should learn. Cut at a line start so the excerpt begins and ends cleanly.
    const std::string& text = corpus.text;
    size_t begin = text.find("\n:");
    begin = begin == std::string::npos ? 0 : begin + 1;
    size_t end = std::min(text.size(), begin + size_t(max_bytes));
    if (end < text.size()) {
        size_t line = text.rfind('\n', end);
        if (line != std::string::npos && line > begin) end = line + 1;
    }
    std::ofstream file(out, std::ios::binary);
    if (!file) throw io::IoError(out + ": cannot open for writing");
    file.write(text.data() + begin, std::streamsize(end - begin));
    if (!file) throw io::IoError(out + ": write failed");
    std::printf("wrote %s: %zu bytes of normalized text from %s\n", out.c_str(), end - begin,
                path.c_str());
    return 0;
}

const bool registered_subset = cli::register_command(
    "export-subset", "", "--split train|test --count N --out FILE: MNIST subset for the browser",
    export_subset);
const bool registered_corpus = cli::register_command(
    "export-corpus", "", "--bytes N --out FILE: cleaned corpus excerpt for the browser",
    export_corpus);

}  // namespace
