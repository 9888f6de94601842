#include "workloads.h"

#include "io/safetensors.h"

#include <stdexcept>

namespace bench {

void load_gan(Workloads& w, std::vector<uint8_t> bytes, const std::string& source) {
    models::load_gan_generator(w.gan, io::parse_safetensors(std::move(bytes), source));
}

void load_vae(Workloads& w, std::vector<uint8_t> bytes, const std::string& source) {
    models::load_vae(w.vae, io::parse_safetensors(std::move(bytes), source));
}

void load_rnn(Workloads& w, std::vector<uint8_t> bytes, const std::string& source) {
    models::load_char_rnn(w.rnn, io::parse_safetensors(std::move(bytes), source));
}

void gan_generate(Workloads& w, nn::Matrix& images, const nn::Matrix& z) {
    models::gan_generate(images, z, {}, w.gan);
}

void vae_decode(Workloads& w, nn::Matrix& probs, const nn::Matrix& z) {
    models::vae_decode(probs, z, w.vae);
}

void vae_encode(Workloads& w, nn::Matrix& mu, nn::Matrix& logvar, const nn::Matrix& images) {
    models::vae_encode(mu, logvar, images, w.vae);
}

void rnn_run(Workloads& w, nn::RowVector& logits, const std::vector<int>& ids) {
    models::char_rnn_reset(w.rnn_state, w.rnn, 1);
    for (int id : ids) models::char_rnn_step(logits, id, w.rnn_state, w.rnn);
}

void vae_train_init(Workloads& w, const nn::Matrix& images) {
    w.vae_train = w.vae;
    w.vae_train_images = images;
    train::VaeTrainOptions options;
    options.batch = static_cast<int>(images.rows());
    train::vae_trainer_init(w.vae_trainer, options);
}

float vae_train_step(Workloads& w) {
    return train::vae_train_step_batch(w.vae_trainer, w.vae_train, w.vae_train_images).loss;
}

void gan_train_init(Workloads& w, const nn::Matrix& images) {
    w.gan_train = w.gan;
    w.gan_train_images = images;
    train::GanTrainConfig config;
    config.batch = static_cast<int>(images.rows());
    train::gan_trainer_init(w.gan_trainer, config);
}

float gan_train_step(Workloads& w) {
    w.gan_stats = train::gan_train_step(w.gan_trainer, w.gan_train, w.gan_train_images, {});
    return w.gan_stats.d_loss;
}

void rnn_train_init(Workloads& w, const std::string& text, int steps, int batch) {
    w.rnn_train = w.rnn;
    train::CharRnnTrainOptions options;
    options.steps = steps;
    options.batch = batch;
    train::char_rnn_trainer_init(w.rnn_trainer, w.rnn_train, text, options);
}

float rnn_train_step(Workloads& w) {
    return train::char_rnn_train_step(w.rnn_trainer, w.rnn_train).loss;
}

}  // namespace bench
