// Latent flow matching: SiLU and whole-denoiser gradient checks (every tensor, the input, the
// loss), the ODE sampler against an analytic Gaussian answer, a tiny model trained on Gaussian
// data whose samples get its mean and variance, guidance, save/load, bad files and configs.
#include "gradcheck.h"

#include "io/safetensors.h"
#include "models/diffusion.h"
#include "nn/silu.h"
#include "train/diffusion_trainer.h"

#include <cmath>
#include <string>

using nn::Matrix;

namespace {

models::DiffusionConfig tiny_config(int classes = 3) {
    models::DiffusionConfig c;
    c.latent = 3;
    c.hidden = 7;
    c.layers = 2;
    c.time_features = 4;
    c.classes = classes;
    c.label_embed = 2;
    return c;
}

// Column means and (unbiased) variances of x.
void moments(const Matrix& x, Eigen::RowVectorXd& mean, Eigen::RowVectorXd& var) {
    mean = x.cast<double>().colwise().mean();
    const Eigen::MatrixXd c = x.cast<double>().rowwise() - mean;
    var = c.array().square().colwise().sum() / double(x.rows() - 1);
}

}  // namespace

TEST_CASE("diffusion: silu forward values and gradient") {
    Matrix x(1, 3);
    x << -2.0f, 0.0f, 3.0f;
    Matrix y;
    nn::silu_forward(y, x);
    CHECK(y(0, 0) == doctest::Approx(-2.0 / (1.0 + std::exp(2.0))));
    CHECK(y(0, 1) == 0.0f);
    CHECK(y(0, 2) == doctest::Approx(3.0 / (1.0 + std::exp(-3.0))));
    Matrix big(1, 2);
    big << -100.0f, 100.0f;  // no overflow at the tails
    nn::silu_forward(y, big);
    CHECK(std::isfinite(y(0, 0)));
    CHECK(y(0, 1) == doctest::Approx(100.0));

    Matrix in = gradcheck::random_matrix(4, 5, 3, 3.0f), out, dx;
    nn::silu_forward(out, in);
    const Matrix r = gradcheck::projection_like(out);
    nn::silu_backward(dx, r, in);
    auto loss = [&]() {
        Matrix o;
        nn::silu_forward(o, in);
        return gradcheck::project(o, r);
    };
    gradcheck::Tolerance tol;
    tol.step = 1e-2f;
    gradcheck::require_gradient("silu dx", in, dx, loss, tol);
}

TEST_CASE("diffusion: denoiser gradient of every tensor and of the input x") {
    for (int classes : {0, 3}) {
        INFO("classes " << classes);
        models::Diffusion model;
        models::diffusion_init(model, tiny_config(classes), 5);
        const Matrix x = gradcheck::random_matrix(5, 3, 8, 1.5f);
        const std::vector<float> t = {0.0f, 0.2f, 0.5f, 0.77f, 1.0f};
        const std::vector<int> labels = classes ? std::vector<int>{0, 1, 2, 3, 1} : std::vector<int>{};
        models::DiffusionCache cache;
        models::diffusion_forward(cache, x, t, labels, model);
        const Matrix r = gradcheck::projection_like(cache.velocity);
        nn::ParamList params = models::diffusion_params(model);
        nn::zero_grad(params);
        Matrix dx;
        models::diffusion_backward(&dx, r, cache, model);
        Matrix xv = x;
        auto loss = [&]() {
            models::DiffusionCache c;
            models::diffusion_forward(c, xv, t, labels, model);
            return gradcheck::project(c.velocity, r);
        };
        gradcheck::Tolerance tol;
        tol.step = 2e-3f;
        tol.atol = 2e-3f;
        tol.rtol = 2e-2f;
        int checked = 0;
        for (nn::Param* p : params.params) {
            if (!p->trainable) continue;
            Matrix analytic = p->grad;
            gradcheck::require_gradient(p->name, p->value, analytic, loss, tol);
            ++checked;
        }
        CHECK(checked == (classes ? 7 : 6));  // embedding + 3 Linear x (weight, bias)
        gradcheck::require_gradient("x", xv, dx, loss, tol);
    }
}

TEST_CASE("diffusion: flow-matching loss gradient, and its value at the exact velocity") {
    models::Diffusion model;
    models::diffusion_init(model, tiny_config(), 9);
    const Matrix x0 = gradcheck::random_matrix(6, 3, 1, 1.0f), x1 = gradcheck::random_matrix(6, 3, 2, 1.0f);
    const std::vector<float> t = {0.1f, 0.3f, 0.5f, 0.6f, 0.9f, 0.95f};
    const std::vector<int> labels = {0, 1, 2, 3, 3, 0};
    models::DiffusionCache cache;
    nn::ParamList params = models::diffusion_params(model);
    nn::zero_grad(params);
    const float value = models::flow_matching_loss(x0, x1, t, labels, model, cache, true);
    // The loss is the MSE of the velocity against x1 - x0 at x_t = (1-t) x0 + t x1.
    Matrix xt(6, 3);
    for (int b = 0; b < 6; ++b) xt.row(b) = (1 - t[b]) * x0.row(b) + t[b] * x1.row(b);
    models::DiffusionCache c2;
    models::diffusion_forward(c2, xt, t, labels, model);
    CHECK(value == doctest::Approx((c2.velocity - (x1 - x0)).squaredNorm() / 18.0).epsilon(1e-5));
    auto loss = [&]() {
        models::DiffusionCache c;
        return double(models::flow_matching_loss(x0, x1, t, labels, model, c, false));
    };
    gradcheck::Tolerance tol;
    tol.step = 2e-3f;
    tol.atol = 1e-3f;
    tol.rtol = 2e-2f;
    for (nn::Param* p : params.params) {
        if (!p->trainable) continue;
        Matrix analytic = p->grad;
        gradcheck::require_gradient(p->name, p->value, analytic, loss, tol);
    }
    // Buffers get no gradient and no update.
    CHECK(model.latent_mean.grad.isZero());
}

TEST_CASE("diffusion: Euler and Heun carry N(0,1) to N(m, s^2) along the analytic velocity") {
    // Data x0 ~ N(m, s^2) per dimension, x1 ~ N(0, 1): x_t is Gaussian and
    // E[x1 - x0 | x_t] = -m + (t - (1-t) s^2) / ((1-t)^2 s^2 + t^2) (x_t - (1-t) m).
    const double m[2] = {1.5, -0.5}, s[2] = {0.5, 2.0};
    models::VelocityField exact = [&](Matrix& v, const Matrix& x, float tf) {
        const double t = tf;
        v.resize(x.rows(), x.cols());
        for (int j = 0; j < 2; ++j) {
            const double var = (1 - t) * (1 - t) * s[j] * s[j] + t * t;
            const double gain = (t - (1 - t) * s[j] * s[j]) / var;
            for (Eigen::Index i = 0; i < x.rows(); ++i)
                v(i, j) = static_cast<float>(-m[j] + gain * (x(i, j) - (1 - t) * m[j]));
        }
    };
    Matrix noise;
    models::diffusion_sample_noise(noise, 20000, 2, 3);
    struct Case { models::FlowSampler sampler; int steps; double tol; };
    for (Case c : {Case{models::FlowSampler::Heun, 30, 0.04}, Case{models::FlowSampler::Euler, 200, 0.06}}) {
        INFO(models::flow_sampler_name(c.sampler) << " " << c.steps << " steps");
        Matrix x = noise;
        std::vector<Matrix> path;
        models::flow_integrate(x, c.steps, c.sampler, exact, &path);
        CHECK(path.size() == static_cast<size_t>(c.steps + 1));
        CHECK(path.front() == noise);
        CHECK(path.back() == x);
        Eigen::RowVectorXd mean, var;
        moments(x, mean, var);
        for (int j = 0; j < 2; ++j) {
            INFO("dim " << j << " mean " << mean[j] << " var " << var[j]);
            CHECK(std::fabs(mean[j] - m[j]) < 0.05 * s[j]);
            CHECK(std::fabs(var[j] / (s[j] * s[j]) - 1.0) < c.tol);
        }
    }
    // 4 Heun steps already land close; Euler with 4 is visibly worse on the variance.
    Matrix xh = noise, xe = noise;
    models::flow_integrate(xh, 4, models::FlowSampler::Heun, exact);
    models::flow_integrate(xe, 4, models::FlowSampler::Euler, exact);
    Eigen::RowVectorXd mh, vh, me, ve;
    moments(xh, mh, vh);
    moments(xe, me, ve);
    CHECK(std::fabs(vh[1] / 4.0 - 1.0) < std::fabs(ve[1] / 4.0 - 1.0));
    CHECK_THROWS_AS(models::flow_integrate(xh, 0, models::FlowSampler::Heun, exact), std::invalid_argument);
}

TEST_CASE("diffusion: a tiny model trained on Gaussian latents samples their mean and variance") {
    train::TimeSampling time_sampling = train::TimeSampling::Uniform;
    SUBCASE("uniform training times") {}
    SUBCASE("logit-normal training times") { time_sampling = train::TimeSampling::LogitNormal; }
    models::DiffusionConfig config;
    config.latent = 2;
    config.hidden = 48;
    config.layers = 2;
    config.time_features = 8;
    config.classes = 0;
    models::Diffusion model;
    models::diffusion_init(model, config, 2);
    // Training latents: N((3, -1), diag(0.25, 4)), normalised by the model.
    Matrix raw(4000, 2);
    nn::Rng rng(17);
    for (Eigen::Index i = 0; i < raw.rows(); ++i) {
        raw(i, 0) = 3.0f + 0.5f * rng.normal();
        raw(i, 1) = -1.0f + 2.0f * rng.normal();
    }
    models::diffusion_set_normalization(model, raw);
    Matrix data;
    models::diffusion_normalize(data, raw, model);
    train::DiffusionTrainOptions options;
    options.batch = 128;
    options.lr = 3e-3f;
    options.total_steps = 600;
    options.time_sampling = time_sampling;
    train::DiffusionTrainer trainer;
    train::diffusion_trainer_init(trainer, options);
    const float before = train::diffusion_validation_loss(model, data, {});
    for (int s = 0; s < options.total_steps; ++s) train::diffusion_train_step(trainer, model, data, {});
    const float after = train::diffusion_validation_loss(model, data, {});
    INFO("validation loss " << before << " -> " << after);
    CHECK(after < before);
    Matrix noise, samples;
    models::diffusion_sample_noise(noise, 4000, 2, 5);
    models::DiffusionSampleOptions so;
    so.steps = 20;
    models::diffusion_sample(samples, noise, {}, so, model);
    Eigen::RowVectorXd mean, var;
    moments(samples, mean, var);
    INFO("mean " << mean << " var " << var);
    CHECK(std::fabs(mean[0] - 3.0) < 0.1);
    CHECK(std::fabs(mean[1] + 1.0) < 0.4);
    CHECK(std::fabs(var[0] / 0.25 - 1.0) < 0.25);
    CHECK(std::fabs(var[1] / 4.0 - 1.0) < 0.25);
}

TEST_CASE("diffusion: training times, uniform and logit-normal (t = sigmoid(m + s n))") {
    train::DiffusionTrainOptions options;
    nn::Rng a(3, 7), b(3, 7);
    for (int i = 0; i < 5; ++i) CHECK(train::diffusion_sample_time(options, a) == b.uniform());
    options.time_sampling = train::TimeSampling::LogitNormal;
    options.logit_mean = 0.5f;
    options.logit_std = 0.8f;
    nn::Rng rng(11);
    const int n = 20000;
    double sum = 0, sum_sq = 0;
    int low = 0, middle = 0;
    for (int i = 0; i < n; ++i) {
        const float t = train::diffusion_sample_time(options, rng);
        REQUIRE(t > 0.0f);
        REQUIRE(t < 1.0f);
        const double logit = std::log(double(t) / (1.0 - double(t)));
        sum += logit;
        sum_sq += logit * logit;
        low += t < 0.1f;
        middle += t > 0.4f && t < 0.8f;
    }
    const double mean = sum / n, stddev = std::sqrt(sum_sq / n - mean * mean);
    INFO("logit mean " << mean << " std " << stddev << ", t < 0.1: " << low << ", 0.4 < t < 0.8: " << middle);
    CHECK(std::fabs(mean - 0.5) < 0.03);
    CHECK(std::fabs(stddev - 0.8) < 0.03);
    // P(t < 0.1) = Phi((logit(0.1) - 0.5) / 0.8) = Phi(-3.37) ~ 0.0004 (uniform: 0.1);
    // P(0.4 < t < 0.8) = Phi(1.11) - Phi(-1.13) ~ 0.74 (uniform: 0.4).
    CHECK(low < n / 200);
    CHECK(middle > n * 7 / 10);
    CHECK(train::time_sampling_from_name("logit-normal") == train::TimeSampling::LogitNormal);
    CHECK(std::string(train::time_sampling_name(train::TimeSampling::Uniform)) == "uniform");
    CHECK_THROWS_WITH_AS(train::time_sampling_from_name("lognorm"), doctest::Contains("\"lognorm\""),
                         std::invalid_argument);
    train::DiffusionTrainer trainer;
    options.logit_std = 0.0f;
    CHECK_THROWS_WITH_AS(train::diffusion_trainer_init(trainer, options), doctest::Contains("logit_std"),
                         std::invalid_argument);
}

TEST_CASE("diffusion: guidance pulls samples toward their label's cluster") {
    // Two labels with latents at -2 and +2 (1-D): guided samples of label 1 end near +2.
    models::DiffusionConfig config;
    config.latent = 1;
    config.hidden = 32;
    config.layers = 2;
    config.time_features = 8;
    config.classes = 2;
    config.label_embed = 4;
    models::Diffusion model;
    models::diffusion_init(model, config, 3);
    Matrix raw(2000, 1);
    std::vector<int> labels(2000);
    nn::Rng rng(5);
    for (int i = 0; i < 2000; ++i) {
        labels[i] = i % 2;
        raw(i, 0) = (labels[i] ? 2.0f : -2.0f) + 0.3f * rng.normal();
    }
    models::diffusion_set_normalization(model, raw);
    Matrix data;
    models::diffusion_normalize(data, raw, model);
    train::DiffusionTrainOptions options;
    options.batch = 128;
    options.lr = 3e-3f;
    options.total_steps = 500;
    options.label_drop = 0.2f;
    train::DiffusionTrainer trainer;
    train::diffusion_trainer_init(trainer, options);
    for (int s = 0; s < options.total_steps; ++s) train::diffusion_train_step(trainer, model, data, labels);
    Matrix noise;
    models::diffusion_sample_noise(noise, 400, 1, 9);
    auto share_positive = [&](int label, float guidance) {
        models::DiffusionSampleOptions so;
        so.steps = 16;
        so.guidance = guidance;
        Matrix out;
        models::diffusion_sample(out, noise, std::vector<int>(400, label), so, model);
        return (out.array() > 0).cast<double>().mean();
    };
    const double unconditional = share_positive(2, 1.0f);  // the null label: both modes
    CHECK(unconditional > 0.3);
    CHECK(unconditional < 0.7);
    CHECK(share_positive(1, 1.0f) > 0.9);
    CHECK(share_positive(0, 1.0f) < 0.1);
    CHECK(share_positive(1, 3.0f) >= share_positive(1, 1.0f));
    CHECK_THROWS_AS(share_positive(3, 1.0f), std::invalid_argument);
}

TEST_CASE("diffusion: save/load round trip gives the same samples; sampling is prefix-stable") {
    models::Diffusion model;
    models::diffusion_init(model, tiny_config(), 21);
    Matrix raw = gradcheck::random_matrix(50, 3, 4, 2.0f);
    models::diffusion_set_normalization(model, raw);
    auto meta = models::diffusion_metadata(model.config, {{"default_steps", "7"}, {"default_sampler", "euler"}});
    auto bytes = io::serialize_safetensors(models::diffusion_params(model), meta, io::Dtype::F32);
    models::Diffusion loaded;
    io::SafetensorsFile file = io::parse_safetensors(std::move(bytes), "round trip");
    models::load_diffusion(loaded, file);
    const models::DiffusionSampleOptions defaults = models::diffusion_default_sampling(file.metadata);
    CHECK(defaults.steps == 7);
    CHECK(defaults.sampler == models::FlowSampler::Euler);
    Matrix noise, a, b, prefix;
    models::diffusion_sample_noise(noise, 6, 3, 8);
    const std::vector<int> labels = {0, 1, 2, 3, 0, 1};
    models::DiffusionSampleOptions so;
    so.guidance = 2.0f;
    models::diffusion_sample(a, noise, labels, so, model);
    models::diffusion_sample(b, noise, labels, so, loaded);
    CHECK(a == b);
    Matrix noise4;
    models::diffusion_sample_noise(noise4, 4, 3, 8);
    CHECK(noise4 == noise.topRows(4));
    models::diffusion_sample(prefix, noise4, {0, 1, 2, 3}, so, loaded);
    CHECK(prefix.isApprox(a.topRows(4), 1e-6f));
}

TEST_CASE("diffusion: bad files and configs fail with a message naming the problem") {
    models::DiffusionConfig c = tiny_config();
    c.time_features = 5;
    models::Diffusion model;
    CHECK_THROWS_WITH_AS(models::diffusion_init(model, c, 1), doctest::Contains("time_features"),
                         std::invalid_argument);
    c = tiny_config();
    c.layers = 0;
    CHECK_THROWS_WITH_AS(models::diffusion_init(model, c, 1), doctest::Contains("layers"),
                         std::invalid_argument);
    CHECK_THROWS_AS(models::flow_sampler_from_name("ddim"), std::invalid_argument);

    models::diffusion_init(model, tiny_config(), 1);
    auto meta = models::diffusion_metadata(model.config, {});
    std::map<std::string, std::string> vae = {{"model", "vae"}, {"format_version", "1"}};
    CHECK_THROWS_WITH_AS(models::diffusion_config_from_metadata(vae, "weights/vae16.safetensors"),
                         doctest::Contains("\"vae\""), std::invalid_argument);
    auto odd = meta;
    odd["time_features"] = "7";
    CHECK_THROWS_WITH_AS(models::diffusion_config_from_metadata(odd, "f.safetensors"),
                         doctest::Contains("f.safetensors"), std::invalid_argument);
    auto missing = meta;
    missing.erase("hidden");
    CHECK_THROWS_WITH_AS(models::diffusion_config_from_metadata(missing, "f"), doctest::Contains("hidden"),
                         std::invalid_argument);

    // A file whose tensors do not match its metadata (hidden 7 claimed, 8 stored).
    models::Diffusion wide;
    models::DiffusionConfig wc = tiny_config();
    wc.hidden = 8;
    models::diffusion_init(wide, wc, 1);
    auto bytes = io::serialize_safetensors(models::diffusion_params(wide), meta, io::Dtype::F32);
    models::Diffusion loaded;
    CHECK_THROWS_WITH(models::load_diffusion(loaded, io::parse_safetensors(std::move(bytes), "wide.safetensors")),
                      doctest::Contains("net.0.weight"));
    // A zero std would divide by zero when normalising.
    model.latent_std.value.setZero();
    auto zero = io::serialize_safetensors(models::diffusion_params(model), meta, io::Dtype::F32);
    CHECK_THROWS_WITH_AS(models::load_diffusion(loaded, io::parse_safetensors(std::move(zero), "z")),
                         doctest::Contains("latent_std"), std::invalid_argument);

    // Wrong shapes at the API.
    models::DiffusionCache cache;
    CHECK_THROWS_AS(models::diffusion_forward(cache, Matrix::Zero(2, 4), {0.f, 0.f}, {0, 0}, model),
                    std::invalid_argument);
    CHECK_THROWS_AS(models::diffusion_forward(cache, Matrix::Zero(2, 3), {0.f}, {0, 0}, model),
                    std::invalid_argument);
    CHECK_THROWS_AS(models::diffusion_forward(cache, Matrix::Zero(2, 3), {0.f, 0.f}, {0, 9}, model),
                    std::out_of_range);
    train::DiffusionTrainer trainer;
    train::DiffusionTrainOptions bad;
    bad.label_drop = 1.5f;
    CHECK_THROWS_AS(train::diffusion_trainer_init(trainer, bad), std::invalid_argument);
    train::diffusion_trainer_init(trainer, {});
    CHECK_THROWS_AS(train::diffusion_train_step(trainer, model, Matrix::Zero(4, 2), {0, 0, 0, 0}),
                    std::invalid_argument);
}

TEST_CASE("diffusion: the EMA of the weights follows the steps and is what apply_ema installs") {
    models::Diffusion model;
    models::diffusion_init(model, tiny_config(), 4);
    const Matrix data = gradcheck::random_matrix(64, 3, 6, 1.0f);
    std::vector<int> labels(64);
    for (int i = 0; i < 64; ++i) labels[i] = i % 3;
    train::DiffusionTrainOptions options;
    options.batch = 16;
    options.ema_decay = 0.5f;
    train::DiffusionTrainer trainer;
    train::diffusion_trainer_init(trainer, options);
    train::diffusion_train_step(trainer, model, data, labels);
    const Matrix after_one = model.net[0].weight.value;
    REQUIRE(trainer.ema.size() == 7);
    CHECK(trainer.ema[1] == after_one);  // [0] is the label embedding; starts at the weights
    train::diffusion_train_step(trainer, model, data, labels);
    const Matrix expected = 0.5f * after_one + 0.5f * model.net[0].weight.value;
    CHECK(trainer.ema[1].isApprox(expected, 1e-6f));
    train::diffusion_apply_ema(trainer, model);
    CHECK(model.net[0].weight.value.isApprox(expected, 1e-6f));
    options.ema_decay = 1.0f;
    CHECK_THROWS_AS(train::diffusion_trainer_init(trainer, options), std::invalid_argument);
}

TEST_CASE("diffusion: golden latents of the shipped files (same natively and in wasm)") {
    // `genlab sample diffusion --weights W --n 4 --seed 42 --label 3 --steps 8 --latents-out F`
    struct Golden {
        const char* file;
        int index[6];
        float value[6];
    };
    const Golden goldens[] = {
        {"weights/diffusion16.safetensors", {0, 5, 17, 30, 44, 63},
         {-0.3446097f, -0.9623663f, -1.2827758f, 1.5543938f, 1.3984051f, -0.0303556f}},
        {"weights/diffusion2.safetensors", {0, 1, 2, 3, 4, 5},
         {-0.1493570f, -0.2030614f, -0.1199681f, -0.2396777f, 0.0127206f, -0.3538541f}},
    };
    for (const Golden& g : goldens) {
        INFO(g.file);
        io::SafetensorsFile file = io::read_safetensors(std::string(GENLAB_SOURCE_DIR) + "/" + g.file);
        models::Diffusion model;
        models::load_diffusion(model, file);
        models::DiffusionSampleOptions options = models::diffusion_default_sampling(file.metadata);
        CHECK(options.sampler == models::FlowSampler::Heun);
        CHECK(options.guidance == 1.5f);
        options.steps = 8;
        Matrix noise, latents;
        models::diffusion_sample_noise(noise, 4, model.config.latent, 42);
        models::diffusion_sample(latents, noise, std::vector<int>(4, 3), options, model);
        for (int k = 0; k < 6; ++k)
            CHECK(latents.data()[g.index[k]] == doctest::Approx(g.value[k]).epsilon(1e-4).scale(1.0));
    }
}
