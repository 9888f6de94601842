// genlab train rnn, sample rnn, eval rnn.
#include "cli/cli.h"
#include "io/safetensors.h"
#include "io/text_corpus.h"
#include "models/char_rnn.h"
#include "models/ngram.h"
#include "train/char_rnn_trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace {

constexpr double kValidationFraction = 0.05;

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

struct Corpus {
    std::string source;
    io::CorpusSplit split;
    io::Vocab vocab;  // of the whole normalized corpus
};

Corpus load_split_corpus() {
    Corpus c;
    c.source = io::find_corpus_path();
    io::TextCorpus corpus = io::load_corpus(c.source);
    c.vocab = io::build_vocab(corpus.text);
    c.split = io::split_corpus(corpus.text, kValidationFraction);
    return c;
}

// Interpolated Kneser-Ney baseline: order tuned on the last 10% of train, refit on all of it.
struct Baseline {
    int order = 0;
    double val_bpc = 0;
};

Baseline ngram_baseline(const Corpus& corpus, const io::Vocab& vocab) {
    models::NgramModel ngram;
    models::NgramTuning t =
        models::ngram_fit_tuned(ngram, vocab.encode(corpus.split.train), vocab.size(), 2, 7);
    Baseline b;
    b.order = t.order;
    b.val_bpc = models::ngram_bits_per_char(ngram, vocab.encode(corpus.split.validation));
    return b;
}

int train_rnn(const cli::Args& args) {
    args.allow_only({"cell", "embed", "hidden", "layers", "epochs", "seed", "out", "batch",
                     "steps", "lr", "clip", "checkpoint", "checkpoint-every", "resume", "dtype",
                     "no-baseline", "dropout", "stop-at-step"});
    const double epochs = args.get_double("epochs", 1.0, 0, 100000);
    const std::string dtype = args.get("dtype", "f16");
    if (dtype != "f16" && dtype != "f32")
        throw std::invalid_argument("--dtype " + dtype + ": expected f16 or f32");
    const Corpus corpus = load_split_corpus();
    std::fprintf(stderr, "corpus %s: %zu train + %zu validation characters, vocabulary %d\n",
                 corpus.source.c_str(), corpus.split.train.size(), corpus.split.validation.size(),
                 corpus.vocab.size());
    models::CharRnn model;
    train::CharRnnTrainer trainer;
    if (args.has("resume")) {
        train::load_char_rnn_checkpoint(args.get("resume", ""), trainer, model, corpus.split.train);
        std::fprintf(stderr, "resumed %s at step %lld\n", args.get("resume", "").c_str(),
                     static_cast<long long>(trainer.step));
    } else {
        models::CharRnnConfig config;
        config.cell = args.get("cell", "lstm");
        config.embed = static_cast<int>(args.get_int("embed", 32, 1, cli::kMaxWidth));
        config.hidden = static_cast<int>(args.get_int("hidden", 240, 1, cli::kMaxWidth));
        config.layers = static_cast<int>(args.get_int("layers", 1, 1, 8));
        train::CharRnnTrainOptions options;
        options.steps = static_cast<int>(args.get_int("steps", 64, 1, 100000));
        options.batch = static_cast<int>(args.get_int("batch", 32, 1, cli::kMaxWidth));
        options.lr = static_cast<float>(args.get_double("lr", 2e-3, 0, 10));
        options.clip = static_cast<float>(args.get_double("clip", 5.0, 0, 1e9));
        options.seed = static_cast<uint64_t>(args.get_int("seed", 1));
        options.dropout = static_cast<float>(args.get_double("dropout", 0.0));
        models::char_rnn_init(model, config, corpus.vocab, options.seed);
        train::char_rnn_trainer_init(trainer, model, corpus.split.train, options);
    }
    const int64_t total = std::max<int64_t>(
        1, static_cast<int64_t>(std::llround(epochs * double(trainer.chunks_per_epoch))));
    if (!args.has("resume")) {
        trainer.options.total_steps = total;
    } else if (args.has("lr")) {
        // Warm restart: a new cosine schedule from --lr over the remaining steps.
        trainer.options.lr = static_cast<float>(args.get_double("lr", trainer.options.lr, 0, 10));
        trainer.options.schedule_start = trainer.step;
        trainer.options.total_steps = total;
    }
    if (args.has("dropout")) trainer.options.dropout = static_cast<float>(args.get_double("dropout", 0));
    if (!(trainer.options.dropout >= 0 && trainer.options.dropout < 1))
        throw std::invalid_argument("--dropout must be in [0, 1), got " + args.get("dropout", ""));
    const std::string out = args.get("out", "char_" + model.config.cell + ".safetensors");
    const std::string checkpoint = args.get("checkpoint", "");
    const int64_t checkpoint_every = args.get_int("checkpoint-every", 200, 1, cli::kMaxSteps);
    const std::string trained_with = cli::training_command(args);
    std::fprintf(stderr, "%s char-RNN embed %d hidden %d layers %d: %lld params; T=%d B=%d, %lld steps/epoch, %lld steps\n",
                 model.config.cell.c_str(), model.config.embed, model.config.hidden,
                 model.config.layers, static_cast<long long>(char_rnn_params(model).numel()),
                 trainer.chunk, trainer.streams, static_cast<long long>(trainer.chunks_per_epoch),
                 static_cast<long long>(total));

    const auto start = std::chrono::steady_clock::now();

    double avg = 0;
    const int64_t first = trainer.step;
    // --stop-at-step ends this run early without changing the schedule (stage 1 of a chain).
    const int64_t stop = std::min(total, args.get_int("stop-at-step", total, 0, cli::kMaxSteps));
    cli::ProgressBar bar("train rnn", stop, first);
    while (trainer.step < stop) {
        train::CharRnnStepStats s = train::char_rnn_train_step(trainer, model);
        const double k = trainer.step - first < 50 ? 1.0 / double(trainer.step - first) : 0.02;
        avg += k * (s.bits_per_char - avg);
        bar.update(trainer.step, (trainer.step - first) * trainer.chunk * trainer.streams,
                   "epoch " + std::to_string(s.epoch + 1) + " bpc " + fmt("%.3f", avg) + " lr " +
                       fmt("%.5f", s.lr));
        if (!checkpoint.empty() && checkpoint_every > 0 && trainer.step % checkpoint_every == 0)
            train::save_char_rnn_checkpoint(checkpoint, trainer, model, {{"trained_with", trained_with}});
    }
    bar.finish("bpc " + fmt("%.3f", avg));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!checkpoint.empty())
        train::save_char_rnn_checkpoint(checkpoint, trainer, model, {{"trained_with", trained_with}});

    const double f32 = models::char_rnn_bits_per_char(model, corpus.split.validation);
    std::map<std::string, std::string> extra = {
        {"trained_with", trained_with},
        {"train_seconds", fmt("%.0f", seconds)},
        {"train_steps", std::to_string(trainer.step)},
        {"corpus", corpus.source},
        {"metric.val_bits_per_char_f32", fmt("%.4f", f32)},
        {"metric.note", "bits per character on the last 5% of the normalized corpus "
                        "(io::split_corpus), the whole validation text as one stream, state "
                        "carried, as the n-gram baseline is scored"}};
    double stored = f32;
    if (dtype == "f16") {
        auto bytes = io::serialize_safetensors(char_rnn_params(model), models::char_rnn_metadata(model, {}),
                                               io::Dtype::F16);
        models::CharRnn half;
        models::load_char_rnn(half, io::parse_safetensors(std::move(bytes), "f16 round trip"));
        stored = models::char_rnn_bits_per_char(half, corpus.split.validation);
        model = std::move(half);
    }
    extra["metric.val_bits_per_char"] = fmt("%.4f", stored);
    extra["dtype"] = dtype == "f16" ? "F16" : "F32";
    if (!args.has("no-baseline")) {
        const Baseline b = ngram_baseline(corpus, model.vocab);
        extra["metric.ngram_kn_order"] = std::to_string(b.order);
        extra["metric.ngram_kn_val_bits_per_char"] = fmt("%.4f", b.val_bpc);
        std::printf("interpolated Kneser-Ney %d-gram baseline: val %.4f bits/char\n", b.order, b.val_bpc);
    }
    io::save_safetensors(out, char_rnn_params(model), models::char_rnn_metadata(model, extra),
                         dtype == "f16" ? io::Dtype::F16 : io::Dtype::F32);
    std::printf("wrote %s (%s) after %s: val %.4f bits/char (F32 %.4f)\n", out.c_str(),
                extra["dtype"].c_str(), cli::format_duration(seconds).c_str(), stored, f32);
    return 0;
}

models::CharRnn load_model(const cli::Args& args) {  // for sample rnn
    models::CharRnn model;
    models::load_char_rnn(model, io::read_safetensors(args.get("weights", "weights/char_lstm.safetensors")));
    return model;
}

int sample_rnn(const cli::Args& args) {
    args.allow_only({"prime", "temperature", "top-k", "length", "seed", "weights"});
    const models::CharRnn model = load_model(args);
    const std::string prime = args.get("prime", "");
    const std::string text = models::generate_text(
        model, prime, static_cast<int>(args.get_int("length", 400, 0, 10'000'000)),
        static_cast<float>(args.get_double("temperature", 0.8, 0, 100)),
        static_cast<int>(args.get_int("top-k", 0, 0, 1000)), static_cast<uint64_t>(args.get_int("seed", 0)));
    std::printf("%s%s\n", prime.c_str(), text.c_str());
    return 0;
}

int eval_rnn(const cli::Args& args) {
    args.allow_only({"weights", "no-baseline", "record"});
    const std::string weights = args.get("weights", "weights/char_lstm.safetensors");
    io::SafetensorsFile file = io::read_safetensors(weights);
    models::CharRnn model;
    models::load_char_rnn(model, file);
    const Corpus corpus = load_split_corpus();
    const double bpc = models::char_rnn_bits_per_char(model, corpus.split.validation, 1);
    const double bpc16 = models::char_rnn_bits_per_char(model, corpus.split.validation, 16);
    std::printf("%s: %s char-RNN embed %d hidden %d layers %d, vocabulary %d\n", weights.c_str(),
                model.config.cell.c_str(), model.config.embed, model.config.hidden,
                model.config.layers, model.config.vocab);
    std::printf("validation (%zu characters of %s): %.4f bits/char (one stream; %.4f as 16 "
                "cold-started streams)\n",
                corpus.split.validation.size(), corpus.source.c_str(), bpc, bpc16);
    std::map<std::string, std::string> metrics = {
        {"metric.val_bits_per_char", fmt("%.4f", bpc)},
        {"metric.val_bits_per_char_16_streams", fmt("%.4f", bpc16)}};
    if (!args.has("no-baseline")) {
        const Baseline b = ngram_baseline(corpus, model.vocab);
        std::printf("interpolated Kneser-Ney %d-gram baseline (order tuned on train): %.4f bits/char\n",
                    b.order, b.val_bpc);
        metrics["metric.ngram_kn_order"] = std::to_string(b.order);
        metrics["metric.ngram_kn_val_bits_per_char"] = fmt("%.4f", b.val_bpc);
    }
    if (args.has("record")) {
        // Rewrite the file with these metrics, in its own dtype (F16 -> F32 -> F16 is exact).
        bool f16 = false;
        for (const io::TensorInfo& t : file.tensors) f16 = f16 || t.dtype == "F16";
        std::map<std::string, std::string> meta = file.metadata;
        for (const auto& [k, v] : metrics) meta[k] = v;
        meta["metric.note"] = "bits per character on the last 5% of the normalized corpus "
                              "(io::split_corpus), the whole validation text as one stream, state "
                              "carried, as the n-gram baseline is scored";
        io::save_safetensors(weights, char_rnn_params(model), meta,
                             f16 ? io::Dtype::F16 : io::Dtype::F32);
        std::printf("recorded the metrics in %s\n", weights.c_str());
    }
    return 0;
}

const bool registered_train = cli::register_command(
    "train", "rnn", "train the char-RNN (--cell lstm|gru) on the text corpus", train_rnn);
const bool registered_sample = cli::register_command(
    "sample", "rnn", "generate text (--prime, --temperature, --top-k, --length, --seed)", sample_rnn);
const bool registered_eval = cli::register_command(
    "eval", "rnn", "validation bits/char of a char-RNN and the n-gram baseline", eval_rnn);

}  // namespace
