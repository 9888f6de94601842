// `genlab forward classifier|vae|rnn`: one forward pass on explicit inputs, outputs as raw
// float32 (cli/raw_f32.h), so another implementation of a model (python/genlab_torch, the
// PyTorch twins) can be checked against GenLab number for number. With `genlab sample
// gan|cgan|vae --z FILE --out F.f32` (generators and the VAE decoder) this covers every model.
//   forward classifier --images X.f32 [N,784] --out LOGITS.f32 [N,10] [--features F.f32 [N,hidden]]
//   forward vae        --images X.f32 [N,784] --out MU_LOGVAR.f32 [N,2Z] (row: mu, then logvar)
//   forward rnn        --text FILE --out LOGITS.f32 [T,V]: the text's characters fed one after
//                      another from the zero state (as `sample rnn` primes), T = characters
#include "cli/cli.h"
#include "cli/raw_f32.h"
#include "io/file_bytes.h"
#include "io/safetensors.h"
#include "models/char_rnn.h"
#include "models/classifier.h"
#include "models/vae.h"

#include <cstdio>
#include <stdexcept>

namespace {

std::string required(const cli::Args& args, const std::string& key, const std::string& what) {
    const std::string value = args.get(key, "");
    if (value.empty()) throw std::invalid_argument("--" + key + " " + what + " is required");
    return value;
}

nn::Matrix read_images(const cli::Args& args) {
    return cli::read_raw_f32(required(args, "images", "FILE.f32 (float32 [N, 784])"), models::kImagePixels,
                             "--images", cli::kMaxImages);
}

int forward_classifier(const cli::Args& args) {
    args.allow_only({"weights", "images", "out", "features"});
    const std::string out = required(args, "out", "FILE.f32");
    models::Classifier model;
    models::load_classifier(model, io::read_safetensors(args.get("weights", "weights/classifier.safetensors")));
    nn::Matrix features, logits;
    models::classifier_features_and_logits(features, logits, read_images(args), model);
    cli::write_raw_f32(out, logits);
    if (args.has("features")) cli::write_raw_f32(required(args, "features", "FILE.f32"), features);
    std::printf("wrote logits [%lld, 10] to %s\n", static_cast<long long>(logits.rows()), out.c_str());
    return 0;
}

int forward_vae(const cli::Args& args) {
    args.allow_only({"weights", "images", "out"});
    const std::string out = required(args, "out", "FILE.f32");
    models::Vae vae;
    models::load_vae(vae, io::read_safetensors(args.get("weights", "weights/vae16.safetensors")));
    nn::Matrix mu, logvar;
    models::vae_encode(mu, logvar, read_images(args), vae);
    nn::Matrix both(mu.rows(), mu.cols() + logvar.cols());
    both << mu, logvar;
    cli::write_raw_f32(out, both);
    std::printf("wrote mu and logvar [%lld, 2 x %d] to %s\n", static_cast<long long>(mu.rows()),
                vae.config.latent, out.c_str());
    return 0;
}

int forward_rnn(const cli::Args& args) {
    args.allow_only({"weights", "text", "out"});
    const std::string out = required(args, "out", "FILE.f32");
    const std::vector<uint8_t> bytes = io::read_file_bytes(required(args, "text", "FILE"), 1u << 20);
    models::CharRnn model;
    models::load_char_rnn(model, io::read_safetensors(args.get("weights", "weights/char_lstm.safetensors")));
    const std::vector<int> ids = model.vocab.encode_user_text(std::string(bytes.begin(), bytes.end()));
    if (ids.empty()) throw std::invalid_argument("--text " + args.get("text", "") + " has no characters");
    models::CharRnnState state;
    models::char_rnn_reset(state, model, 1);
    models::CharRnnCache cache;
    models::char_rnn_forward(cache, ids, static_cast<int>(ids.size()), 1, state, model, false);
    cli::write_raw_f32(out, cache.logits);
    std::printf("wrote logits [%zu, %d] to %s\n", ids.size(), model.config.vocab, out.c_str());
    return 0;
}

const bool r1 = cli::register_command(
    "forward", "classifier", "logits (and --features) of images from a raw float32 file", forward_classifier);
const bool r2 = cli::register_command(
    "forward", "vae", "encoder mu and logvar of images from a raw float32 file", forward_vae);
const bool r3 = cli::register_command(
    "forward", "rnn", "next-character logits after each character of --text FILE", forward_rnn);

}  // namespace
