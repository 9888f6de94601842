#include "train/gan_trainer.h"

#include "train/epoch_order.h"

#include "models/metadata_fields.h"
#include "nn/gan_losses.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/threads.h"
#include "train/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace train {

void gan_trainer_init(GanTrainer& t, const GanTrainConfig& config) {
    if (!(config.feature_matching >= 0) || !(config.feature_matching_1 >= 0) ||
        !(config.latent_matching >= 0))
        throw std::invalid_argument("gan trainer: feature- and latent-matching weights must be >= 0");
    for (float w : config.class_weights)
        if (!(w > 0 && w <= 1e6f))
            throw std::invalid_argument("gan trainer: class weights must be > 0 (and finite)");
    if (!(config.lr_d >= 0) || !(config.beta2 >= 0 && config.beta2 < 1) || !(config.r1 >= 0) ||
        config.r1_every < 1 || config.shards < 1 || config.shards > 64)
        throw std::invalid_argument("gan trainer: lr_d >= 0, beta2 in [0, 1), r1 >= 0 and "
                                    "r1_every >= 1, shards in 1..64 required");
    if (config.batch < 2)
        throw std::invalid_argument("gan trainer: batch must be >= 2 (BatchNorm needs a batch), got " +
                                    std::to_string(config.batch));
    t = GanTrainer{};
    t.config = config;
    for (nn::Adam* opt : {&t.opt_g, &t.opt_d}) {
        opt->lr = config.lr;
        opt->beta1 = config.beta1;
        opt->beta2 = config.beta2;
    }
    if (config.lr_d > 0) t.opt_d.lr = config.lr_d;
}

const char* gan_loss_name(GanLoss loss) { return loss == GanLoss::Hinge ? "hinge" : "bce"; }

GanLoss parse_gan_loss(const std::string& name) {
    if (name == "bce") return GanLoss::Bce;
    if (name == "hinge") return GanLoss::Hinge;
    throw std::invalid_argument("GAN loss must be bce or hinge, got \"" + name + "\"");
}

void gan_trainer_set_latent_encoder(GanTrainer& t, const models::Vae& encoder,
                                    const nn::Matrix& images) {
    if (images.rows() < 1 || images.cols() != encoder.config.image_size)
        throw std::invalid_argument("gan_trainer_set_latent_encoder: expected images [N >= 1, " +
                                    std::to_string(encoder.config.image_size) + "], got [" +
                                    std::to_string(images.rows()) + ", " +
                                    std::to_string(images.cols()) + "]");
    t.latent_encoder = encoder;
    // Mean of mu in chunks (the whole training set at once would hold [N, Hd] activations).
    Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(encoder.config.latent);
    models::VaeCache cache;
    for (Eigen::Index start = 0; start < images.rows(); start += 1000) {
        const Eigen::Index rows = std::min<Eigen::Index>(1000, images.rows() - start);
        models::vae_encode_mu_cached(cache, images.middleRows(start, rows), encoder);
        sum += cache.mu.cast<double>().colwise().sum();
    }
    t.latent_real_mean = (sum / double(images.rows())).cast<float>();
}

static double sum_sigmoid(const nn::Matrix& logits) {
    double s = 0;
    for (Eigen::Index i = 0; i < logits.size(); ++i) s += nn::sigmoid(logits.data()[i]);
    return s;
}

// Makes t.shards hold config.shards replicas of gan's discriminator with its current layer
// weights and zero gradients (the replicas are made once, then only their weights are copied).
static void sync_shards(GanTrainer& t, models::Gan& gan) {
    const size_t S = static_cast<size_t>(t.config.shards);
    if (t.shards.size() != S ||
        models::gan_metadata(t.shards[0].replica.config) != models::gan_metadata(gan.config)) {
        t.shards.assign(S, GanShard{});
        for (GanShard& sh : t.shards) sh.replica = gan;
    }
    const nn::ParamList master = models::gan_discriminator_layer_params(gan);
    for (GanShard& sh : t.shards) {
        const nn::ParamList copy = models::gan_discriminator_layer_params(sh.replica);
        for (size_t k = 0; k < master.params.size(); ++k) {
            copy.params[k]->value = master.params[k]->value;
            copy.params[k]->grad.setZero();
        }
    }
}

// gan's layer gradients = the sum of the shards' (in shard order, so any thread count adds the
// same numbers in the same order).
static void add_shard_gradients(GanTrainer& t, models::Gan& gan) {
    const nn::ParamList master = models::gan_discriminator_layer_params(gan);
    for (nn::Param* p : master.params) p->grad.setZero();
    for (GanShard& sh : t.shards) {
        const nn::ParamList replica = models::gan_discriminator_layer_params(sh.replica);
        for (size_t k = 0; k < master.params.size(); ++k) master.params[k]->grad += replica.params[k]->grad;
    }
}

// ema = d*ema + (1-d)*w, with d ramped up from 0.1 over the first steps (as in TF's
// ExponentialMovingAverage num_updates) so the average forgets the random initialisation.
static void update_ema(GanTrainer& t, const nn::ParamList& g_params) {
    const double s = static_cast<double>(t.step);
    const float decay = std::min(t.config.ema_decay, static_cast<float>((1 + s) / (10 + s)));
    size_t k = 0;
    for (const nn::Param* p : g_params.params) {
        if (!p->trainable) continue;
        if (t.ema.size() <= k) t.ema.push_back(p->value);
        else t.ema[k] = decay * t.ema[k] + (1 - decay) * p->value;
        ++k;
    }
}

void gan_apply_ema(const GanTrainer& t, models::Gan& gan, int batches, uint64_t seed) {
    if (t.ema.empty()) return;
    nn::ParamList g_params = models::gan_generator_params(gan);
    size_t k = 0;
    for (nn::Param* p : g_params.params)
        if (p->trainable) p->value = t.ema.at(k++);
    // Cumulative average of the batch statistics: momentum 1/(i+1) for the i-th batch.
    const int B = std::max(t.config.batch, 2);
    const float momentum0 = gan.g_bn0.momentum, momentum1 = gan.g_bn1.momentum;
    models::GeneratorActs acts;
    nn::Matrix z;
    std::vector<int> labels;
    for (int i = 0; i < batches; ++i) {
        const float momentum = 1.0f / static_cast<float>(i + 1);
        for (nn::BatchNorm* bn : {&gan.g_bn0, &gan.g_bn1}) bn->momentum = momentum;
        nn::Rng rng(seed, static_cast<uint64_t>(i));
        z.resize(B, gan.config.latent);
        nn::fill_normal(z, rng);
        labels.clear();
        for (int b = 0; b < B && gan.config.classes > 0; ++b) labels.push_back(b % gan.config.classes);
        models::generator_forward(acts, z, labels, gan, /*training=*/true);
    }
    gan.g_bn0.momentum = momentum0;  // back to what training used
    gan.g_bn1.momentum = momentum1;
}

GanStepStats gan_train_step(GanTrainer& t, models::Gan& gan, const nn::Matrix& images,
                            const std::vector<int>& labels) {
    const int n = static_cast<int>(images.rows());
    const bool conditional = gan.config.classes > 0;
    if (images.cols() != 784 || n < 2)
        throw std::invalid_argument("gan_train_step: expected images [N >= 2, 784], got [" +
                                    std::to_string(images.rows()) + ", " +
                                    std::to_string(images.cols()) + "]");
    if (conditional && static_cast<int>(labels.size()) != n)
        throw std::invalid_argument("gan_train_step: a cGAN needs one label per training image (" +
                                    std::to_string(n) + "), got " + std::to_string(labels.size()));
    const int B = std::min(t.config.batch, n);
    // before any state moves (cursor, epoch), so a bad config leaves the trainer as it was
    if (B % gan.config.d_pack != 0)
        throw std::invalid_argument("gan_train_step: batch " + std::to_string(B) +
                                    " is not a multiple of d_pack = " +
                                    std::to_string(gan.config.d_pack));
    if ((B / gan.config.d_pack) % t.config.shards != 0 || B / gan.config.d_pack < 2 * t.config.shards)
        throw std::invalid_argument("gan_train_step: batch " + std::to_string(B) + " does not split "
                                    "into " + std::to_string(t.config.shards) + " equal shards of "
                                    "at least 2 discriminator inputs");
    if (t.config.r1 > 0 && (gan.config.d_minibatch_std || gan.config.d_pack != 1))
        throw std::invalid_argument("gan_train_step: R1 needs a discriminator without minibatch "
                                    "std and with d_pack 1");
    if (t.config.latent_matching > 0 && t.latent_real_mean.size() == 0)
        throw std::invalid_argument("gan_train_step: latent matching is on but no encoder is set "
                                    "(gan_trainer_set_latent_encoder)");
    const std::vector<float>& class_weights = t.config.class_weights;
    const bool weighted = !class_weights.empty();
    if (weighted) {
        if (conditional || gan.config.d_pack != 1)
            throw std::invalid_argument("gan_train_step: class weights are for the unconditional "
                                        "GAN with d_pack 1 (a cGAN is told the class)");
        if (static_cast<int>(labels.size()) != n)
            throw std::invalid_argument("gan_train_step: class weights need one label per "
                                        "training image (" + std::to_string(n) + "), got " +
                                        std::to_string(labels.size()));
        for (int label : labels)
            if (label < 0 || label >= static_cast<int>(class_weights.size()))
                throw std::invalid_argument("gan_train_step: label " + std::to_string(label) +
                                            " has no class weight (" +
                                            std::to_string(class_weights.size()) + " given)");
    }
    ensure_batch_available(t.order, t.cursor, t.epoch, t.config.seed, n, B);

    // Real batch, mapped to the generator's range [-1, 1].
    t.real.resize(B, 784);
    t.labels.clear();
    if (weighted) t.real_weights.resize(B, 1);
    for (int b = 0; b < B; ++b) {
        const int index = t.order[static_cast<size_t>(t.cursor + b)];
        t.real.row(b) = images.row(index).array() * 2.0f - 1.0f;
        if (conditional) t.labels.push_back(labels[static_cast<size_t>(index)]);
        if (weighted) t.real_weights(b, 0) = class_weights[static_cast<size_t>(labels[static_cast<size_t>(index)])];
    }
    if (weighted)  // self-normalised: the weights of a batch average 1
        t.real_weights *= static_cast<float>(B) / t.real_weights.sum();
    t.cursor += B;
    nn::Rng rng(t.config.seed ^ 0x9a11ULL, 77 + static_cast<uint64_t>(t.step));
    t.z.resize(B, gan.config.latent);
    nn::fill_normal(t.z, rng);

    nn::ParamList g_params = models::gan_generator_params(gan);
    nn::ParamList d_params = models::gan_discriminator_params(gan);
    models::generator_forward(t.g_acts, t.z, t.labels, gan, /*training=*/true);
    const nn::Matrix& fake = t.g_acts.out;  // [B, 784] in [-1, 1]
    const int P = gan.config.d_pack;
    const int D_rows = B / P;  // discriminator inputs (packs) per batch
    const int S = t.config.shards, shard_rows = B / S, shard_packs = D_rows / S;
    const float scale = 1.0f / D_rows;
    GanStepStats stats;
    // The shard's slice of a batch-wide [B, *] matrix, and of the labels / class weights.
    auto slice = [&](GanShard& sh, int s) {
        const Eigen::Index first = static_cast<Eigen::Index>(s) * shard_rows;
        sh.real = t.real.middleRows(first, shard_rows);
        sh.fake = fake.middleRows(first, shard_rows);
        sh.labels.assign(t.labels.begin() + (t.labels.empty() ? 0 : first),
                         t.labels.begin() + (t.labels.empty() ? 0 : first + shard_rows));
        if (weighted) sh.real_weights = t.real_weights.middleRows(first, shard_rows);
    };

    // Discriminator step: real -> real_label, fake -> 0 (BCE), or the hinge margins.
    const bool hinge = t.config.loss == GanLoss::Hinge;
    const bool r1_now = t.config.r1 > 0 && t.step % t.config.r1_every == 0;
    models::discriminator_normalize(gan);  // spectral norm: one power iteration, W / sigma
    nn::zero_grad(d_params);
    sync_shards(t, gan);
    nn::parallel_for(S, [&](int s) {
        GanShard& sh = t.shards[static_cast<size_t>(s)];
        slice(sh, s);
        const nn::Matrix* weights = weighted ? &sh.real_weights : nullptr;
        models::discriminator_forward(sh.acts, sh.real, sh.labels, sh.replica);
        sh.d_real = sum_sigmoid(sh.acts.logits);
        sh.targets = nn::Matrix::Constant(shard_packs, 1, t.config.real_label);
        sh.d_loss = hinge ? nn::hinge_d_loss(sh.acts.logits, true, scale, &sh.dlogits, weights)
                          : nn::bce_with_logits(sh.acts.logits, sh.targets, scale, &sh.dlogits, weights);
        models::discriminator_backward(nullptr, sh.dlogits, sh.real, sh.labels, sh.acts, sh.replica);
        models::discriminator_forward(sh.acts, sh.fake, sh.labels, sh.replica);
        sh.d_fake = sum_sigmoid(sh.acts.logits);
        sh.targets.setZero();
        sh.d_loss += hinge ? nn::hinge_d_loss(sh.acts.logits, false, scale, &sh.dlogits)
                           : nn::bce_with_logits(sh.acts.logits, sh.targets, scale, &sh.dlogits);
        models::discriminator_backward(nullptr, sh.dlogits, sh.fake, sh.labels, sh.acts, sh.replica);
        // R1 is a mean over the batch: each of the S equal shards adds 1/S of its own mean.
        if (r1_now)
            sh.r1 = models::discriminator_r1(sh.real, sh.labels, sh.replica,
                                             t.config.r1 * t.config.r1_every / S, sh.r1_scratch);
    });
    add_shard_gradients(t, gan);
    double d_real = 0, d_fake = 0;
    for (const GanShard& sh : t.shards) {
        stats.d_loss += sh.d_loss;
        d_real += sh.d_real;
        d_fake += sh.d_fake;
        if (r1_now) stats.r1 = (stats.r1 < 0 ? 0 : stats.r1) + sh.r1 / S;
    }
    stats.d_real = static_cast<float>(d_real / D_rows);
    stats.d_fake = static_cast<float>(d_fake / D_rows);
    models::discriminator_spectral_backward(gan);  // dL/dW_sn -> dL/dW
    nn::adam_step(t.opt_d, d_params);
    models::discriminator_normalize(gan);  // the G step sees the updated W / sigma

    // Generator step: non-saturating loss -log D(G(z)) through the updated discriminator.
    nn::zero_grad(g_params);
    sync_shards(t, gan);
    const float lambda2 = t.config.feature_matching, lambda1 = t.config.feature_matching_1;
    const bool matching = lambda2 > 0 || lambda1 > 0;
    // Sums over a shard's rows of its features (weighted by the class weights when given).
    auto feature_sums = [&](const nn::Matrix& f, const nn::Matrix* weights, Eigen::RowVectorXf& sum) {
        if (weights) sum = weights->transpose() * f;
        else sum = f.colwise().sum();
    };
    nn::parallel_for(S, [&](int s) {
        GanShard& sh = t.shards[static_cast<size_t>(s)];
        if (matching) {  // features of the real batch under the updated D
            models::discriminator_forward(sh.acts, sh.real, sh.labels, sh.replica);
            feature_sums(sh.acts.h, weighted ? &sh.real_weights : nullptr, sh.real_sum2);
            feature_sums(sh.acts.relu1, weighted ? &sh.real_weights : nullptr, sh.real_sum1);
        }
        models::discriminator_forward(sh.acts, sh.fake, sh.labels, sh.replica);
        sh.targets.setOnes();
        sh.g_loss = hinge ? nn::hinge_g_loss(sh.acts.logits, scale, &sh.dlogits)
                          : nn::bce_with_logits(sh.acts.logits, sh.targets, scale, &sh.dlogits);
        if (matching) {
            feature_sums(sh.acts.h, nullptr, sh.fake_sum2);
            feature_sums(sh.acts.relu1, nullptr, sh.fake_sum1);
        }
    });
    for (const GanShard& sh : t.shards) stats.g_loss += sh.g_loss;
    // loss = lambda * ||m_f - m_r||^2, m = mean over the batch's rows (weighted for the real side,
    // sum_b w_b f_b / B)  ->  df_b = 2 lambda (m_f - m_r) / rows, the same for every row
    auto feature_matching = [&](Eigen::RowVectorXf GanShard::*real_sum, Eigen::RowVectorXf GanShard::*fake_sum,
                                float lambda, nn::Matrix& grad) -> const nn::Matrix* {
        if (lambda <= 0) return nullptr;
        Eigen::RowVectorXf real_total = t.shards[0].*real_sum, fake_total = t.shards[0].*fake_sum;
        for (int k = 1; k < S; ++k) {  // in shard order
            real_total += t.shards[static_cast<size_t>(k)].*real_sum;
            fake_total += t.shards[static_cast<size_t>(k)].*fake_sum;
        }
        const Eigen::RowVectorXf diff = fake_total / static_cast<float>(D_rows) -
                                        real_total / static_cast<float>(D_rows);
        stats.fm_loss += diff.squaredNorm();
        grad = (diff * (2.0f * lambda / static_cast<float>(D_rows))).replicate(shard_packs, 1);
        return &grad;
    };
    const nn::Matrix* dh_fm = feature_matching(&GanShard::real_sum2, &GanShard::fake_sum2, lambda2, t.dh_fm);
    const nn::Matrix* drelu1_fm = feature_matching(&GanShard::real_sum1, &GanShard::fake_sum1, lambda1, t.drelu1_fm);
    nn::parallel_for(S, [&](int s) {
        GanShard& sh = t.shards[static_cast<size_t>(s)];
        models::discriminator_backward(&sh.dx, sh.dlogits, sh.fake, sh.labels, sh.acts, sh.replica,
                                       dh_fm, drelu1_fm);
    });
    t.dfake.resize(B, 784);
    for (int s = 0; s < S; ++s)
        t.dfake.middleRows(static_cast<Eigen::Index>(s) * shard_rows, shard_rows) = t.shards[static_cast<size_t>(s)].dx;
    if (t.config.latent_matching > 0) {
        // loss = lambda ||m - target||^2, m = mean_b mu(x_b), x = (fake + 1) / 2 in [0, 1]
        //   ->  dmu_b = 2 lambda (m - target) / B,  dfake = dx / 2
        t.latent_x = (fake.array() + 1.0f) * 0.5f;
        models::vae_encode_mu_cached(t.latent_cache, t.latent_x, t.latent_encoder);
        const Eigen::RowVectorXf diff = t.latent_cache.mu.colwise().mean() - t.latent_real_mean;
        stats.lm_loss = diff.squaredNorm();
        t.latent_dmu = (diff * (2.0f * t.config.latent_matching / static_cast<float>(B))).replicate(B, 1);
        models::vae_encode_mu_backward_input(t.latent_dx, t.latent_dmu, t.latent_cache, t.latent_encoder);
        t.dfake += 0.5f * t.latent_dx;
    }
    models::generator_backward(t.dfake, t.g_acts, gan);
    nn::adam_step(t.opt_g, g_params);
    nn::zero_grad(d_params);  // the G step left D gradients behind; keep them out of the next step
    if (t.config.ema_decay > 0) update_ema(t, g_params);

    ++t.step;
    stats.batch = B;
    stats.step = t.step;
    stats.epoch = t.epoch;
    return stats;
}

// The GAN trainer's settings in a checkpoint (one list for saving and loading). The optional
// ones are absent in checkpoints from before TTUR / R1 / shards / EMA / feature and latent
// matching: the defaults are what those runs used.
static TrainerSettings gan_settings(GanTrainConfig& c) {
    constexpr TrainerSettings::Presence opt = TrainerSettings::Optional;
    TrainerSettings s = common_settings(c, 2);  // batch >= 2: the discriminator's batch statistics
    s.real("trainer.beta1", c.beta1).real("trainer.real_label", c.real_label);
    s.real("trainer.lr_d", c.lr_d, opt).real("trainer.beta2", c.beta2, opt).real("trainer.r1", c.r1, opt);
    s.count("trainer.r1_every", c.r1_every, 1, 1 << 20, opt).count("trainer.shards", c.shards, 1, 64, opt);
    s.real("trainer.ema_decay", c.ema_decay, opt).real("trainer.feature_matching", c.feature_matching, opt);
    s.real("trainer.feature_matching_1", c.feature_matching_1, opt);
    s.real("trainer.latent_matching", c.latent_matching, opt);
    return s;
}

void gan_save_checkpoint(const std::string& path, const GanTrainer& t, models::Gan& gan,
                         std::map<std::string, std::string> meta) {
    for (const auto& [k, v] : models::gan_metadata(gan.config)) meta[k] = v;
    GanTrainConfig config = t.config;
    CheckpointWriter out(std::move(meta), t.step, gan_settings(config));
    out.set_epoch_position(t.epoch, t.cursor);
    out.set_string("trainer.loss", gan_loss_name(config.loss));
    if (!config.class_weights.empty()) {
        std::string list;
        for (float w : config.class_weights) list += (list.empty() ? "" : ",") + exact_float_string(w);
        out.set_string("trainer.class_weights", list);
    }
    nn::ParamList g_params = models::gan_generator_params(gan);
    out.add_model(g_params, t.opt_g, "optim_g");
    out.add_model(models::gan_discriminator_params(gan), t.opt_d, "optim_d");
    out.add_ema(g_params, t.ema);
    out.save(path);
}

void gan_load_checkpoint(const std::string& path, GanTrainer& t, models::Gan& gan) {
    const CheckpointReader in(path, "GAN");
    models::gan_init(gan, models::gan_config_from_metadata(in.metadata(), path), 0);
    GanTrainConfig config;
    gan_settings(config).read(in);
    if (in.has("trainer.loss")) config.loss = parse_gan_loss(in.get_string("trainer.loss"));
    if (in.has("trainer.class_weights"))  // absent when off
        config.class_weights = models::meta::parse_float_list(in.get_string("trainer.class_weights"),
                                                              path + ": trainer.class_weights");
    gan_trainer_init(t, config);
    t.step = in.step();
    in.read_epoch_position(t.epoch, t.cursor);
    const nn::ParamList g_params = models::gan_generator_params(gan);
    in.load_model(g_params, t.opt_g, "optim_g");
    in.load_model(models::gan_discriminator_params(gan), t.opt_d, "optim_d");
    models::discriminator_normalize(gan, 0);  // spectral norm: the layers' W / sigma from the loaded u
    t.ema = in.read_ema(g_params);
}

}  // namespace train
