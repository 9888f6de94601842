// Save -> load -> identical outputs, per layer type, through the real safetensors writer and
// reader (in memory). A second layer with different random init receives the weights.
#include "gradcheck.h"

#include "io/safetensors.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/layers.h"
#include "nn/rnn.h"

#include <functional>

using nn::Matrix;

// Round-trips `source`'s params into `target`'s and returns the largest output difference.
static float round_trip(const nn::ParamList& source, const nn::ParamList& target,
                        const std::function<Matrix(int which)>& forward, io::Dtype dtype) {
    Matrix before = forward(0);
    Matrix other = forward(1);
    REQUIRE((before - other).cwiseAbs().maxCoeff() > 1e-3f);  // different init really differs
    std::vector<uint8_t> bytes = io::serialize_safetensors(source, {{"model", "test"}}, dtype);
    io::SafetensorsFile file = io::parse_safetensors(std::move(bytes), "memory");
    CHECK(file.metadata.at("model") == "test");
    io::load_params(file, target);
    Matrix after = forward(1);
    return (before - after).cwiseAbs().maxCoeff();
}

TEST_CASE("nn: save -> load -> identical outputs for every layer type") {
    Matrix x_flat = gradcheck::random_matrix(3, 2 * 6 * 6, 1);

    SUBCASE("linear") {
        nn::Rng r1(1), r2(2);
        nn::Linear a, b;
        nn::linear_init(a, "fc", 72, 5, r1);
        nn::linear_init(b, "fc", 72, 5, r2);
        nn::ParamList pa, pb;
        nn::linear_params(a, pa);
        nn::linear_params(b, pb);
        auto fwd = [&](int which) { Matrix y; nn::linear_forward(y, x_flat, which ? b : a); return y; };
        CHECK(round_trip(pa, pb, fwd, io::Dtype::F32) == 0.0f);
    }
    SUBCASE("conv2d") {
        nn::Rng r1(1), r2(2);
        nn::Conv2d a, b;
        nn::conv2d_init(a, "conv", 2, 4, 3, 2, 1, 6, 6, r1);
        nn::conv2d_init(b, "conv", 2, 4, 3, 2, 1, 6, 6, r2);
        nn::ParamList pa, pb;
        nn::conv2d_params(a, pa);
        nn::conv2d_params(b, pb);
        auto fwd = [&](int which) { Matrix y; nn::ConvScratch s; nn::conv2d_forward(y, x_flat, which ? b : a, s); return y; };
        CHECK(round_trip(pa, pb, fwd, io::Dtype::F32) == 0.0f);
    }
    SUBCASE("conv_transpose2d") {
        nn::Rng r1(1), r2(2);
        nn::ConvTranspose2d a, b;
        nn::conv_transpose2d_init(a, "deconv", 2, 3, 4, 2, 1, 0, 6, 6, r1);
        nn::conv_transpose2d_init(b, "deconv", 2, 3, 4, 2, 1, 0, 6, 6, r2);
        nn::ParamList pa, pb;
        nn::conv_transpose2d_params(a, pa);
        nn::conv_transpose2d_params(b, pb);
        auto fwd = [&](int which) { Matrix y; nn::ConvScratch s; nn::conv_transpose2d_forward(y, x_flat, which ? b : a, s); return y; };
        CHECK(round_trip(pa, pb, fwd, io::Dtype::F32) == 0.0f);
        // F16 storage changes outputs only at half precision.
        nn::Rng r3(3);
        nn::conv_transpose2d_init(b, "deconv", 2, 3, 4, 2, 1, 0, 6, 6, r3);
        float f16_error = round_trip(pa, pb, fwd, io::Dtype::F16);
        CHECK(f16_error > 0.0f);
        CHECK(f16_error < 5e-3f);
    }
    SUBCASE("batchnorm (running statistics included)") {
        nn::BatchNorm a, b;
        nn::batchnorm_init(a, "bn", 2, 36);
        nn::batchnorm_init(b, "bn", 2, 36);
        nn::Rng rng(4);
        nn::fill_uniform(a.weight.value, rng, 0.5f, 2.0f);
        nn::fill_uniform(a.bias.value, rng, -1.0f, 1.0f);
        nn::BatchNormCache cache;
        Matrix y;
        for (int i = 0; i < 3; ++i) nn::batchnorm_forward(y, x_flat * float(i + 1), a, cache, true);
        nn::ParamList pa, pb;
        nn::batchnorm_params(a, pa);
        nn::batchnorm_params(b, pb);
        CHECK(pa.find("bn.running_var") != nullptr);
        auto fwd = [&](int which) { Matrix o; nn::BatchNormCache c; nn::batchnorm_forward(o, x_flat, which ? b : a, c, false); return o; };
        CHECK(round_trip(pa, pb, fwd, io::Dtype::F32) == 0.0f);
    }
    SUBCASE("embedding") {
        nn::Rng r1(1), r2(2);
        nn::Embedding a, b;
        nn::embedding_init(a, "embed", 10, 4, r1);
        nn::embedding_init(b, "embed", 10, 4, r2);
        nn::ParamList pa, pb;
        nn::embedding_params(a, pa);
        nn::embedding_params(b, pb);
        std::vector<int> ids = {0, 9, 3};
        auto fwd = [&](int which) { Matrix y; nn::embedding_forward(y, ids, which ? b : a); return y; };
        CHECK(round_trip(pa, pb, fwd, io::Dtype::F32) == 0.0f);
    }
    SUBCASE("lstm and gru") {
        Matrix seq = gradcheck::random_matrix(4 * 2, 3, 5);
        for (int kind = 0; kind < 2; ++kind) {
            nn::Rng r1(1), r2(2);
            nn::LSTM la, lb;
            nn::GRU ga, gb;
            nn::ParamList pa, pb;
            if (kind == 0) {
                nn::lstm_init(la, "rnn", 0, 3, 5, r1);
                nn::lstm_init(lb, "rnn", 0, 3, 5, r2);
                nn::recurrent_params(la, pa);
                nn::recurrent_params(lb, pb);
            } else {
                nn::gru_init(ga, "rnn", 0, 3, 5, r1);
                nn::gru_init(gb, "rnn", 0, 3, 5, r2);
                nn::recurrent_params(ga, pa);
                nn::recurrent_params(gb, pb);
            }
            auto fwd = [&](int which) {
                Matrix h;
                nn::RecurrentState s;
                if (kind == 0) nn::lstm_forward(h, seq, 4, which ? lb : la, s, nullptr);
                else nn::gru_forward(h, seq, 4, which ? gb : ga, s, nullptr);
                return h;
            };
            CAPTURE(kind);
            CHECK(round_trip(pa, pb, fwd, io::Dtype::F32) == 0.0f);
        }
    }
}

TEST_CASE("nn: loading into a layer of another size names the tensor and both shapes") {
    nn::Rng rng(1);
    nn::Linear small, big;
    nn::linear_init(small, "decoder.0", 16, 8, rng);
    nn::linear_init(big, "decoder.0", 32, 8, rng);
    nn::ParamList ps, pb;
    nn::linear_params(small, ps);
    nn::linear_params(big, pb);
    io::SafetensorsFile file = io::parse_safetensors(io::serialize_safetensors(ps, {}), "vae.safetensors");
    Matrix before = big.weight.value;
    std::string message;
    try {
        io::load_params(file, pb);
    } catch (const io::SafetensorsError& e) {
        message = e.what();
    }
    CHECK(message.find("decoder.0.weight") != std::string::npos);
    CHECK(message.find("[8, 16]") != std::string::npos);
    CHECK(message.find("[8, 32]") != std::string::npos);
    CHECK(big.weight.value == before);  // nothing modified on failure
}
