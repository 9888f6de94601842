// Data files for in-browser training, made at build time (scripts/setup.sh):
//   genlab export-subset --split train|test --count N --out FILE   MNIST subset (mnist-subset.bin)
//   genlab export-corpus --bytes N --out FILE                       prose excerpt of the corpus (text)
// The browser fetches them on demand (src/app/panel_train.cpp).
#include "cli/cli.h"
#include "io/file_bytes.h"
#include "io/idx.h"
#include "io/text_corpus.h"

#include <algorithm>
#include <cctype>
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

// The prose of the glossary entries, for a char-RNN a learner trains for a minute: paragraphs
// of running text only. Dropped: entry headings (":name: pronunciation, n."), indented
// paragraphs (code, ASCII art, tables, quoted mail) and paragraphs under 85% letters and
// spaces; the {cross-reference} braces are removed. Paragraphs stay separated by blank lines.
std::string prose_paragraphs(const std::string& text) {
    std::string out;
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find("\n\n", at);
        if (end == std::string::npos) end = text.size();
        std::string para = text.substr(at, end - at);
        at = end + 2;
        while (!para.empty() && para.front() == '\n') para.erase(para.begin());
        while (!para.empty() && para.back() == '\n') para.pop_back();
        if (para.empty() || para.front() == ':' || para.front() == ' ' ||
            para.find("\n ") != std::string::npos)
            continue;
        size_t letters = 0;
        for (char c : para) letters += (std::isalpha(static_cast<unsigned char>(c)) || c == ' ') ? 1 : 0;
        if (letters < para.size() * 85 / 100) continue;
        para.erase(std::remove_if(para.begin(), para.end(), [](char c) { return c == '{' || c == '}'; }),
                   para.end());
        out += para;
        out += "\n\n";
    }
    return out;
}

int export_corpus(const cli::Args& args) {
    args.allow_only({"bytes", "out", "corpus"});
    const int64_t max_bytes = args.get_int("bytes", 200000, 1000, 1'000'000'000);
    const std::string out = args.get("out", "");
    if (out.empty()) throw std::invalid_argument("--out FILE is required");
    const std::string path = args.has("corpus") ? args.get("corpus", "") : io::find_corpus_path();
    io::TextCorpus corpus = io::load_corpus(path);
    // Start past the front matter (title page, contents): the glossary entries are the text a
    // char-RNN should learn; keep their prose. Cut at a paragraph end.
    const std::string& text = corpus.text;
    size_t begin = text.find("\n:");
    begin = begin == std::string::npos ? 0 : begin + 1;
    const std::string prose = prose_paragraphs(text.substr(begin));
    size_t end = std::min(prose.size(), size_t(max_bytes));
    if (end < prose.size()) {
        const size_t para = prose.rfind("\n\n", end);
        if (para != std::string::npos && para > 0) end = para + 2;
    }
    if (end == 0) throw std::invalid_argument(path + ": no prose paragraphs found");
    std::ofstream file(out, std::ios::binary);
    if (!file) throw io::IoError(out + ": cannot open for writing");
    file.write(prose.data(), std::streamsize(end));
    if (!file) throw io::IoError(out + ": write failed");
    std::printf("wrote %s: %zu bytes of prose from %s\n", out.c_str(), end, path.c_str());
    return 0;
}

const bool registered_subset = cli::register_command(
    "export-subset", "", "--split train|test --count N --out FILE: MNIST subset for the browser",
    export_subset);
const bool registered_corpus = cli::register_command(
    "export-corpus", "", "--bytes N --out FILE: cleaned corpus excerpt for the browser",
    export_corpus);

}  // namespace
