// The wasm side of the bench page (tests/bench/web/): GenLab's workloads behind a small
// extern "C" surface. Built as its own emcc target (genlab_bench_web) so genlab_app stays as it
// is. Every function returns 0 (or a loss) on success; on an exception it returns -1 / NaN and
// bench_error() holds the message.
//
// Buffers: bench_input(n) / bench_output() are float arrays the page fills / reads through
// HEAPF32; ids travel as floats too (exact below 2^24).
#include "workloads.h"

#include <emscripten/emscripten.h>

#include <cmath>
#include <exception>
#include <string>
#include <vector>

namespace {

bench::Workloads w;
std::vector<float> input, output;
std::vector<uint8_t> bytes;
std::string error;

template <class F>
int guarded(F&& f) {
    try {
        f();
        return 0;
    } catch (const std::exception& e) {
        error = e.what();
        return -1;
    }
}

// Writes n floats at `offset`; the output then ends there.
void put(const float* data, size_t n, size_t offset = 0) {
    output.resize(offset + n);
    std::copy(data, data + n, output.begin() + static_cast<std::ptrdiff_t>(offset));
}

nn::Matrix input_matrix(int rows, int cols) {
    if (input.size() < static_cast<size_t>(rows) * cols)
        throw std::invalid_argument("bench input holds " + std::to_string(input.size()) +
                                    " floats, need " + std::to_string(rows * cols));
    return Eigen::Map<const nn::Matrix>(input.data(), rows, cols);
}

nn::Matrix gan_z, vae_z, vae_images, out_a, out_b;
std::vector<int> rnn_ids;
nn::RowVector logits;

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* bench_error() { return error.c_str(); }
EMSCRIPTEN_KEEPALIVE float* bench_input(int n) {
    input.assign(static_cast<size_t>(n), 0.0f);
    return input.data();
}
EMSCRIPTEN_KEEPALIVE float* bench_output() { return output.data(); }
EMSCRIPTEN_KEEPALIVE int bench_output_size() { return static_cast<int>(output.size()); }
EMSCRIPTEN_KEEPALIVE uint8_t* bench_bytes(int n) {
    bytes.assign(static_cast<size_t>(n), 0);
    return bytes.data();
}

// which: 0 = GAN, 1 = VAE, 2 = char-RNN; the bytes were written to bench_bytes().
EMSCRIPTEN_KEEPALIVE int bench_load(int which) {
    return guarded([&] {
        if (which == 0) bench::load_gan(w, bytes, "gan.safetensors");
        else if (which == 1) bench::load_vae(w, bytes, "vae16.safetensors");
        else bench::load_rnn(w, bytes, "char_lstm.safetensors");
    });
}

// Inference: *_set copies the input buffer once (outside the timed call); the timed call writes
// the output buffer.
EMSCRIPTEN_KEEPALIVE int bench_gan_set(int batch) {
    return guarded([&] { gan_z = input_matrix(batch, w.gan.config.latent); });
}
EMSCRIPTEN_KEEPALIVE int bench_gan_generate() {
    return guarded([&] {
        bench::gan_generate(w, out_a, gan_z);
        put(out_a.data(), static_cast<size_t>(out_a.size()));
    });
}
EMSCRIPTEN_KEEPALIVE int bench_vae_decode_set(int batch) {
    return guarded([&] { vae_z = input_matrix(batch, w.vae.config.latent); });
}
EMSCRIPTEN_KEEPALIVE int bench_vae_decode() {
    return guarded([&] {
        bench::vae_decode(w, out_a, vae_z);
        put(out_a.data(), static_cast<size_t>(out_a.size()));
    });
}
EMSCRIPTEN_KEEPALIVE int bench_vae_encode_set(int batch) {
    return guarded([&] { vae_images = input_matrix(batch, 784); });
}
// Output: mu [B, Z] then logvar [B, Z].
EMSCRIPTEN_KEEPALIVE int bench_vae_encode() {
    return guarded([&] {
        bench::vae_encode(w, out_a, out_b, vae_images);
        put(out_a.data(), static_cast<size_t>(out_a.size()));
        put(out_b.data(), static_cast<size_t>(out_b.size()), static_cast<size_t>(out_a.size()));
    });
}
EMSCRIPTEN_KEEPALIVE int bench_rnn_set(int n) {
    return guarded([&] {
        const nn::Matrix ids = input_matrix(1, n);
        rnn_ids.assign(static_cast<size_t>(n), 0);
        for (int i = 0; i < n; ++i) rnn_ids[static_cast<size_t>(i)] = static_cast<int>(ids(0, i));
    });
}
// Output: logits [V] after the last character.
EMSCRIPTEN_KEEPALIVE int bench_rnn_run() {
    return guarded([&] {
        bench::rnn_run(w, logits, rnn_ids);
        put(logits.data(), static_cast<size_t>(logits.size()));
    });
}
EMSCRIPTEN_KEEPALIVE int bench_rnn_vocab() { return w.rnn.config.vocab; }

// Training. *_init takes the input buffer (images [B, 784], or the text as character codes).
EMSCRIPTEN_KEEPALIVE int bench_vae_train_init(int batch) {
    return guarded([&] { bench::vae_train_init(w, input_matrix(batch, 784)); });
}
EMSCRIPTEN_KEEPALIVE float bench_vae_train_step() {
    float loss = NAN;
    guarded([&] { loss = bench::vae_train_step(w); });
    return loss;
}
// The noise eps [B, Z] of the last VAE step -> output buffer.
EMSCRIPTEN_KEEPALIVE int bench_vae_train_eps() {
    return guarded([&] {
        const nn::Matrix& eps = w.vae_trainer.cache.eps;
        put(eps.data(), static_cast<size_t>(eps.size()));
    });
}
EMSCRIPTEN_KEEPALIVE int bench_gan_train_init(int batch) {
    return guarded([&] { bench::gan_train_init(w, input_matrix(batch, 784)); });
}
EMSCRIPTEN_KEEPALIVE float bench_gan_train_step() {
    float loss = NAN;
    guarded([&] { loss = bench::gan_train_step(w); });
    return loss;
}
EMSCRIPTEN_KEEPALIVE float bench_gan_train_g_loss() { return w.gan_stats.g_loss; }
// The latents z [B, L] of the last GAN step -> output buffer.
EMSCRIPTEN_KEEPALIVE int bench_gan_train_z() {
    return guarded([&] {
        const nn::Matrix& z = w.gan_trainer.z;
        put(z.data(), static_cast<size_t>(z.size()));
    });
}
// The discriminator's parameters (not shipped) in gan_discriminator_params order -> output.
EMSCRIPTEN_KEEPALIVE int bench_gan_discriminator() {
    return guarded([&] {
        output.clear();
        for (nn::Param* p : models::gan_discriminator_params(w.gan).params)
            put(p->value.data(), static_cast<size_t>(p->value.size()), output.size());
    });
}
EMSCRIPTEN_KEEPALIVE int bench_rnn_train_init(int chars, int steps, int batch) {
    return guarded([&] {
        std::string text(static_cast<size_t>(chars), ' ');
        for (int i = 0; i < chars; ++i) text[static_cast<size_t>(i)] = static_cast<char>(input[static_cast<size_t>(i)]);
        bench::rnn_train_init(w, text, steps, batch);
    });
}
EMSCRIPTEN_KEEPALIVE float bench_rnn_train_step() {
    float loss = NAN;
    guarded([&] { loss = bench::rnn_train_step(w); });
    return loss;
}
// The inputs then the targets [T*B] of the last RNN step -> output.
EMSCRIPTEN_KEEPALIVE int bench_rnn_train_batch() {
    return guarded([&] {
        output.clear();
        for (int id : w.rnn_trainer.inputs) output.push_back(static_cast<float>(id));
        for (int id : w.rnn_trainer.targets) output.push_back(static_cast<float>(id));
    });
}

}  // extern "C"
