// The model workloads of the side-by-side benchmark (scripts/bench.sh), shared by the native
// driver (tests/bench/bench_models.cpp) and the wasm module the bench page loads
// (tests/bench/web/bench_module.cpp). Plain C++: no browser, no timing; the callers time.
//
// Inference rows (eval mode, shipped weights):
//   gan_generate   z [B, 64] -> images [B, 784] in [0, 1]              (B = 1, 64)
//   vae_decode     z [B, 16] -> probs [B, 784]                          (B = 1, 64)
//   vae_encode     images [B, 784] -> mu [B, 16], logvar [B, 16]        (B = 64)
//   rnn_run        n character ids fed one step at a time (batch 1) from the zero state, as
//                  generation does; -> logits [V] after the last step   (n = 1000)
// Training rows (one optimiser step each, from the shipped weights; the GAN discriminator is
// freshly initialised from a seed because it does not ship):
//   vae_train  batch 64; gan_train (D step + G step) batch 64; rnn_train LSTM T 64 x B 32.
#pragma once

#include "models/char_rnn.h"
#include "models/gan.h"
#include "models/vae.h"
#include "train/char_rnn_trainer.h"
#include "train/gan_trainer.h"
#include "train/vae_trainer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bench {

struct Workloads {
    models::Gan gan;
    models::Vae vae;
    models::CharRnn rnn;
    models::CharRnnState rnn_state;

    models::Gan gan_train;
    train::GanTrainer gan_trainer;
    nn::Matrix gan_train_images;  // [B, 784]
    train::GanStepStats gan_stats;

    models::Vae vae_train;
    train::VaeTrainer vae_trainer;
    nn::Matrix vae_train_images;  // [B, 784]

    models::CharRnn rnn_train;
    train::CharRnnTrainer rnn_trainer;
};

// Loads the shipped weights from safetensors bytes; `source` names them in errors.
void load_gan(Workloads& w, std::vector<uint8_t> bytes, const std::string& source);
void load_vae(Workloads& w, std::vector<uint8_t> bytes, const std::string& source);
void load_rnn(Workloads& w, std::vector<uint8_t> bytes, const std::string& source);

void gan_generate(Workloads& w, nn::Matrix& images, const nn::Matrix& z);
void vae_decode(Workloads& w, nn::Matrix& probs, const nn::Matrix& z);
void vae_encode(Workloads& w, nn::Matrix& mu, nn::Matrix& logvar, const nn::Matrix& images);
void rnn_run(Workloads& w, nn::RowVector& logits, const std::vector<int>& ids);

// Training: *_train_init copies the loaded model (so inference rows keep the shipped weights)
// and sets up the trainer on fixed data; each *_train_step is one optimiser step and returns
// its loss (GAN: the discriminator loss; the generator loss is in gan_stats).
void vae_train_init(Workloads& w, const nn::Matrix& images);
float vae_train_step(Workloads& w);
void gan_train_init(Workloads& w, const nn::Matrix& images);
float gan_train_step(Workloads& w);
void rnn_train_init(Workloads& w, const std::string& text, int steps, int batch);
float rnn_train_step(Workloads& w);

}  // namespace bench
