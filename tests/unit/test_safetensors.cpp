// safetensors reader/writer: round trips, half/bfloat16 bit patterns, one rejection per
// validation rule, load_params strictness, and a truncation/corruption sweep (run under ASan).
#include "io/safetensors.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>

namespace {

#define CHECK_HAS(message, word) \
    CHECK_MESSAGE((message).find(word) != std::string::npos, "message: " << (message) << "\nlacks: " << (word))

const char* kLabel = "mem.safetensors";

std::vector<uint8_t> raw_file(const std::string& header, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> out;
    io::append_u64_le(out, header.size());
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
    try {
        io::parse_safetensors(bytes, kLabel);
    } catch (const io::SafetensorsError& e) {
        return e.what();
    }
    return "(parsed without error)";
}

uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

// Three parameters with awkward shapes: a matrix, a vector and a scalar.
struct SmallModel {
    nn::Param weight, bias, scale;
    nn::ParamList list;
    explicit SmallModel(std::vector<int64_t> weight_shape = {3, 4}) {
        nn::param_init(weight, "layer.0.weight", weight_shape, int(weight_shape[0]), int(weight_shape[1]));
        nn::param_init(bias, "layer.0.bias", {3}, 1, 3);
        nn::param_init(scale, "scale", {}, 1, 1);
        list.add(weight);
        list.add(bias);
        list.add(scale);
    }
    void fill(float seed) {
        for (nn::Param* p : list.params)
            for (Eigen::Index i = 0; i < p->value.size(); ++i) p->value.data()[i] = seed * float(i + 1) - 0.37f;
    }
};

}  // namespace

TEST_CASE("safetensors: F32 round trip is bit-exact and keeps metadata") {
    SmallModel saved;
    saved.fill(0.731f);
    saved.weight.value(0, 0) = -0.0f;
    saved.weight.value(0, 1) = std::numeric_limits<float>::denorm_min();
    saved.weight.value(0, 2) = std::numeric_limits<float>::infinity();
    const std::map<std::string, std::string> metadata = {{"model", "test"}, {"latent", "32"}};
    std::vector<uint8_t> bytes = io::serialize_safetensors(saved.list, metadata, io::Dtype::F32);

    const uint64_t header_len = io::load_u64_le(bytes.data());
    CHECK(header_len % 8 == 0);
    CHECK(bytes[8] == '{');
    io::SafetensorsFile file = io::parse_safetensors(bytes, kLabel);
    CHECK(file.metadata == metadata);
    REQUIRE(file.tensors.size() == 3);
    // Written in name order: data offsets increase with the name.
    CHECK(file.tensors[0].name == "layer.0.bias");
    CHECK(file.tensors[1].name == "layer.0.weight");
    CHECK(file.tensors[2].name == "scale");
    CHECK(file.tensors[1].shape == std::vector<int64_t>{3, 4});
    CHECK(file.tensors[2].shape.empty());
    CHECK(file.tensors[1].dtype == "F32");

    SmallModel loaded;
    io::load_params(file, loaded.list);
    for (size_t k = 0; k < 3; ++k)
        for (Eigen::Index i = 0; i < saved.list.params[k]->value.size(); ++i)
            CHECK(float_bits(loaded.list.params[k]->value.data()[i]) ==
                  float_bits(saved.list.params[k]->value.data()[i]));
}

TEST_CASE("safetensors: F16 round trip stays within half precision") {
    SmallModel saved;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> uniform(-300.0f, 300.0f);
    for (nn::Param* p : saved.list.params)
        for (Eigen::Index i = 0; i < p->value.size(); ++i) p->value.data()[i] = uniform(rng);
    saved.weight.value(2, 3) = 1e-6f;  // lands in the half subnormal range
    io::SafetensorsFile file = io::parse_safetensors(io::serialize_safetensors(saved.list, {}, io::Dtype::F16), kLabel);
    CHECK(file.tensors[0].dtype == "F16");
    CHECK(file.tensors[1].end - file.tensors[1].begin == 12 * 2);
    SmallModel loaded;
    io::load_params(file, loaded.list);
    for (size_t k = 0; k < 3; ++k)
        for (Eigen::Index i = 0; i < saved.list.params[k]->value.size(); ++i) {
            const float x = saved.list.params[k]->value.data()[i];
            const float y = loaded.list.params[k]->value.data()[i];
            // Half has an 11-bit significand: relative error <= 2^-11; subnormal spacing 2^-24.
            CHECK(std::fabs(x - y) <= std::fabs(x) * std::ldexp(1.0f, -11) + std::ldexp(1.0f, -25));
        }
}

TEST_CASE("safetensors: F16 decoding of specific bit patterns") {
    CHECK(io::half_to_float(0x3C00) == 1.0f);
    CHECK(io::half_to_float(0xC000) == -2.0f);
    CHECK(io::half_to_float(0x7BFF) == 65504.0f);
    CHECK(io::half_to_float(0x0001) == std::ldexp(1.0f, -24));           // smallest subnormal
    CHECK(io::half_to_float(0x03FF) == std::ldexp(1023.0f, -24));        // largest subnormal
    CHECK(io::half_to_float(0x0400) == std::ldexp(1.0f, -14));           // smallest normal
    CHECK(io::half_to_float(0x7C00) == std::numeric_limits<float>::infinity());
    CHECK(io::half_to_float(0xFC00) == -std::numeric_limits<float>::infinity());
    CHECK(std::isnan(io::half_to_float(0x7E00)));
    CHECK(std::isnan(io::half_to_float(0x7C01)));
    CHECK(float_bits(io::half_to_float(0x8000)) == 0x80000000u);         // -0
}

TEST_CASE("safetensors: F16 encoding rounds to nearest even, overflows to inf") {
    CHECK(io::float_to_half(1.0f) == 0x3C00);
    CHECK(io::float_to_half(-2.0f) == 0xC000);
    CHECK(io::float_to_half(65504.0f) == 0x7BFF);
    CHECK(io::float_to_half(65519.0f) == 0x7BFF);   // below the halfway point to 65536
    CHECK(io::float_to_half(65520.0f) == 0x7C00);   // halfway rounds to even: inf
    CHECK(io::float_to_half(1e6f) == 0x7C00);
    CHECK(io::float_to_half(-1e6f) == 0xFC00);
    CHECK(io::float_to_half(std::ldexp(1.0f, -24)) == 0x0001);
    CHECK(io::float_to_half(std::ldexp(1.0f, -25)) == 0x0000);        // tie -> even (0)
    CHECK(io::float_to_half(std::ldexp(1.5f, -25)) == 0x0001);
    CHECK(io::float_to_half(std::ldexp(3.0f, -25)) == 0x0002);        // 1.5 units, tie -> even (2)
    CHECK(io::float_to_half(std::ldexp(1.0f, -30)) == 0x0000);
    CHECK(io::float_to_half(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);   // tie -> even
    CHECK(io::float_to_half(1.0f + std::ldexp(3.0f, -11)) == 0x3C02);   // tie -> even
    CHECK(io::float_to_half(-0.0f) == 0x8000);
    CHECK(io::float_to_half(std::numeric_limits<float>::infinity()) == 0x7C00);
    const uint16_t nan = io::float_to_half(std::numeric_limits<float>::quiet_NaN());
    CHECK((nan & 0x7C00) == 0x7C00);
    CHECK((nan & 0x03FF) != 0);
    // Every non-NaN half survives half -> float -> half.
    int mismatches = 0;
    for (uint32_t h = 0; h < 0x10000; ++h) {
        if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0) continue;
        if (io::float_to_half(io::half_to_float(uint16_t(h))) != h) ++mismatches;
    }
    CHECK(mismatches == 0);
}

TEST_CASE("safetensors: F16 encoding at every rounding boundary: ties to even, subnormals, max, inf, NaN") {
    // Between two neighbouring finite halves a and a+1 (positive, subnormal through max): the
    // midpoint (exact in float) goes to the even one, a float just below it to a, just above to a+1.
    int wrong = 0;
    for (uint32_t a = 0; a < 0x7BFF; ++a) {
        const float lo = io::half_to_float(uint16_t(a)), hi = io::half_to_float(uint16_t(a + 1));
        const float mid = lo + (hi - lo) / 2;
        const uint16_t even = (a & 1) ? uint16_t(a + 1) : uint16_t(a);
        wrong += io::float_to_half(mid) != even;
        wrong += io::float_to_half(std::nextafter(mid, 0.0f)) != a;
        wrong += io::float_to_half(std::nextafter(mid, 1e9f)) != a + 1;
        wrong += io::float_to_half(-mid) != (even | 0x8000);  // sign-symmetric
    }
    CHECK(wrong == 0);
    CHECK(io::float_to_half(std::ldexp(1023.0f, -24)) == 0x03FF);      // largest subnormal
    CHECK(io::float_to_half(std::ldexp(1023.5f, -24)) == 0x0400);      // tie: up into the normals
    CHECK(io::float_to_half(std::numeric_limits<float>::denorm_min()) == 0x0000);
    CHECK(io::float_to_half(-std::numeric_limits<float>::denorm_min()) == 0x8000);
    CHECK(io::float_to_half(std::numeric_limits<float>::max()) == 0x7C00);
    CHECK(io::float_to_half(-std::numeric_limits<float>::infinity()) == 0xFC00);
    CHECK(io::float_to_half(std::nextafter(65520.0f, 0.0f)) == 0x7BFF);  // just below the tie to inf
    const uint16_t negative_nan = io::float_to_half(-std::numeric_limits<float>::quiet_NaN());
    CHECK((negative_nan & 0x7C00) == 0x7C00);
    CHECK((negative_nan & 0x03FF) != 0);  // still a NaN, not inf
    CHECK(std::isnan(io::half_to_float(0xFE00)));
    CHECK(std::isnan(io::half_to_float(0x7FFF)));
    CHECK(io::half_to_float(0xFBFF) == -65504.0f);
    CHECK(io::half_to_float(0x8001) == -std::ldexp(1.0f, -24));
}

TEST_CASE("safetensors: BF16 decoding of edge values: -0, max, subnormals, inf, NaN") {
    CHECK(float_bits(io::bf16_to_float(0x8000)) == 0x80000000u);
    CHECK(io::bf16_to_float(0x7F7F) == std::ldexp(255.0f, 120));  // largest finite: (2 - 2^-7) * 2^127
    CHECK(io::bf16_to_float(0x007F) == std::ldexp(127.0f, -133));  // largest subnormal
    CHECK(io::bf16_to_float(0x0080) == std::numeric_limits<float>::min());
    CHECK(io::bf16_to_float(0xFF80) == -std::numeric_limits<float>::infinity());
    CHECK(std::isnan(io::bf16_to_float(0xFFC1)));
    CHECK(std::isnan(io::bf16_to_float(0x7F81)));  // signalling NaN stays a NaN
    // Every bfloat16 is the top half of its float32.
    int wrong = 0;
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = io::bf16_to_float(uint16_t(h));
        wrong += std::isnan(f) ? ((h & 0x7F80) != 0x7F80 || (h & 0x7F) == 0) : float_bits(f) != h << 16;
    }
    CHECK(wrong == 0);
}

TEST_CASE("safetensors: BF16 decoding of specific bit patterns") {
    CHECK(io::bf16_to_float(0x3F80) == 1.0f);
    CHECK(io::bf16_to_float(0xC000) == -2.0f);
    CHECK(io::bf16_to_float(0x477F) == 65280.0f);
    CHECK(io::bf16_to_float(0x0001) == std::ldexp(1.0f, -133));  // smallest subnormal
    CHECK(io::bf16_to_float(0x7F80) == std::numeric_limits<float>::infinity());
    CHECK(std::isnan(io::bf16_to_float(0x7FC0)));
}

TEST_CASE("safetensors: reads hand-made F16 and BF16 tensors at unaligned offsets") {
    // Header length 61 is odd, so the data section (and every tensor in it) is unaligned.
    std::string header = R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"F16","shape":[3],"data_offsets":[4,10]}})";
    REQUIRE(header.size() % 2 == 1);
    const std::vector<uint8_t> data = {0x80, 0x3F, 0x00, 0xC0,               // bf16 1, -2
                                       0x01, 0x00, 0xFF, 0x7B, 0x00, 0x7C};  // f16 2^-24, 65504, inf
    io::SafetensorsFile file = io::parse_safetensors(raw_file(header, data), kLabel);
    REQUIRE(file.find("a") != nullptr);
    CHECK(file.read_f32(*file.find("a")) == std::vector<float>{1.0f, -2.0f});
    std::vector<float> b = file.read_f32(*file.find("b"));
    REQUIRE(b.size() == 3);
    CHECK(b[0] == std::ldexp(1.0f, -24));
    CHECK(b[1] == 65504.0f);
    CHECK(std::isinf(b[2]));
    CHECK(file.find("c") == nullptr);
}

TEST_CASE("safetensors: accepts a space-padded header and zero-size tensors") {
    std::string header = R"({"e":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0]},)"
                         R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}     )";
    io::SafetensorsFile file = io::parse_safetensors(raw_file(header, {0, 0, 128, 63}), kLabel);
    CHECK(file.read_f32(*file.find("w")) == std::vector<float>{1.0f});
    CHECK(file.read_f32(*file.find("e")).empty());
}

TEST_CASE("safetensors: rejects a file shorter than 8 bytes") {
    std::string m = parse_error({1, 2, 3, 4, 5});
    CHECK_HAS(m, kLabel);
    CHECK_HAS(m, "5 bytes");
    CHECK_HAS(m, "8-byte");
}

TEST_CASE("safetensors: rejects a header length above 100 MB") {
    std::vector<uint8_t> bytes;
    io::append_u64_le(bytes, 100000001);
    bytes.resize(64, ' ');
    std::string m = parse_error(bytes);
    CHECK_HAS(m, "100000001");
    CHECK_HAS(m, "exceeds the limit of 100000000");
}

TEST_CASE("safetensors: rejects a header length beyond the end of the file") {
    std::vector<uint8_t> bytes = raw_file("{}", {});
    bytes[0] = 40;  // claims 40 header bytes, has 2
    std::string m = parse_error(bytes);
    CHECK_HAS(m, "header length 40");
    CHECK_HAS(m, "only 2 bytes");
    CHECK_HAS(m, "truncated");
}

TEST_CASE("safetensors: rejects a header that is not JSON") {
    std::string m = parse_error(raw_file("{\"w\": nope}", {}));
    CHECK_HAS(m, "not valid JSON");
}

TEST_CASE("safetensors: rejects a header that is not a JSON object") {
    std::string m = parse_error(raw_file("[1, 2]", {}));
    CHECK_HAS(m, "must be a JSON object");
    CHECK_HAS(m, "array");
}

TEST_CASE("safetensors: rejects an entry without a string dtype") {
    std::string m = parse_error(raw_file(R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", {0, 0, 0, 0}));
    CHECK_HAS(m, "tensor w");
    CHECK_HAS(m, "\"dtype\" must be a string");
}

TEST_CASE("safetensors: rejects a shape with a negative dimension") {
    std::string m = parse_error(raw_file(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", {0, 0, 0, 0}));
    CHECK_HAS(m, "tensor w");
    CHECK_HAS(m, "non-negative integers");
    CHECK_HAS(m, "[-1]");
}

TEST_CASE("safetensors: rejects data_offsets that are not two non-negative integers") {
    std::string m = parse_error(raw_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", {0, 0, 0, 0}));
    CHECK_HAS(m, "tensor w");
    CHECK_HAS(m, "\"data_offsets\" must be [begin, end]");
}

TEST_CASE("safetensors: rejects data_offsets with begin > end") {
    std::string m = parse_error(raw_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", {0, 0, 0, 0}));
    CHECK_HAS(m, "tensor w");
    CHECK_HAS(m, "begin > end");
}

TEST_CASE("safetensors: rejects a first tensor that does not start at offset 0") {
    std::string m = parse_error(
        raw_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", std::vector<uint8_t>(8)));
    CHECK_HAS(m, "tensor w starts at data offset 4");
    CHECK_HAS(m, "expected 0");
}

TEST_CASE("safetensors: rejects a hole between tensors") {
    std::string m = parse_error(raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                         std::vector<uint8_t>(12)));
    CHECK_HAS(m, "tensor b starts at data offset 8");
    CHECK_HAS(m, "expected 4 where tensor a ends");
    CHECK_HAS(m, "hole of 4 bytes");
}

TEST_CASE("safetensors: rejects overlapping tensors") {
    std::string m = parse_error(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                         std::vector<uint8_t>(8)));
    CHECK_HAS(m, "tensor b");
    CHECK_HAS(m, "overlaps tensor a");
}

TEST_CASE("safetensors: rejects a last tensor that does not end at the data size") {
    std::string extra = parse_error(
        raw_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", std::vector<uint8_t>(6)));
    CHECK_HAS(extra, "last tensor w ends at data offset 4");
    CHECK_HAS(extra, "expected the data section size 6");
    std::string truncated = parse_error(
        raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::vector<uint8_t>(6)));
    CHECK_HAS(truncated, "tensor w ends at data offset 8");
    CHECK_HAS(truncated, "only 6 bytes");
    std::string empty = parse_error(raw_file("{}", std::vector<uint8_t>(3)));
    CHECK_HAS(empty, "no tensors");
}

TEST_CASE("safetensors: rejects a byte size that does not match shape and dtype") {
    std::string m = parse_error(
        raw_file(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", std::vector<uint8_t>(20)));
    CHECK_HAS(m, "tensor w");
    CHECK_HAS(m, "shape [2, 3] with dtype F32 needs 24 bytes");
    CHECK_HAS(m, "span 20 bytes");
}

TEST_CASE("safetensors: rejects a shape whose byte count overflows 64 bits") {
    std::string m = parse_error(raw_file(
        R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}})", {}));
    CHECK_HAS(m, "tensor w");
    CHECK_HAS(m, "64 bits");
    std::string bytes_overflow = parse_error(raw_file(
        R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", {}));
    CHECK_HAS(bytes_overflow, "64 bits");
}

TEST_CASE("safetensors: rejects duplicate tensor names") {
    std::string m = parse_error(raw_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                         R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                         std::vector<uint8_t>(8)));
    CHECK_HAS(m, "duplicate tensor name w");
    std::string inner = parse_error(raw_file(
        R"({"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})", std::vector<uint8_t>(4)));
    CHECK_HAS(inner, "duplicate key \"dtype\"");
}

TEST_CASE("safetensors: rejects an unknown dtype, naming it") {
    std::string m = parse_error(raw_file(R"({"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}})", {0, 0, 0, 0}));
    CHECK_HAS(m, "tensor w has unknown dtype \"Q7\"");
    CHECK_HAS(m, "expected F32, F16 or BF16");
}

TEST_CASE("safetensors: parses but refuses to read other known dtypes") {
    io::SafetensorsFile file = io::parse_safetensors(
        raw_file(R"({"scale":{"dtype":"I64","shape":[],"data_offsets":[0,8]}})", std::vector<uint8_t>(8)), kLabel);
    std::string m;
    try {
        file.read_f32(file.tensors.at(0));
    } catch (const io::SafetensorsError& e) {
        m = e.what();
    }
    CHECK_HAS(m, "tensor scale has unsupported dtype I64");
    CHECK_HAS(m, "GenLab reads F32, F16, BF16");
    SmallModel model;
    CHECK_THROWS_WITH_AS(io::load_params(file, model.list, {true}), doctest::Contains("unsupported dtype I64"),
                         io::SafetensorsError);
}

TEST_CASE("safetensors: rejects metadata values that are not strings") {
    std::string m = parse_error(raw_file(R"({"__metadata__":{"epochs":3}})", {}));
    CHECK_HAS(m, "__metadata__");
    CHECK_HAS(m, "\"epochs\"");
    CHECK_HAS(m, "must be a string");
    std::string not_object = parse_error(raw_file(R"({"__metadata__":"x"})", {}));
    CHECK_HAS(not_object, "__metadata__ must be an object");
}

TEST_CASE("safetensors: load_params reports a missing tensor") {
    SmallModel saved;
    nn::ParamList partial;
    partial.add(saved.weight);
    partial.add(saved.bias);
    io::SafetensorsFile file = io::parse_safetensors(io::serialize_safetensors(partial, {}), "weights/small.safetensors");
    SmallModel loaded;
    CHECK_THROWS_WITH_AS(io::load_params(file, loaded.list),
                         "weights/small.safetensors: tensor scale is missing, expected shape [] "
                         "(was the file saved by a model with a different configuration?)",
                         io::SafetensorsError);
}

TEST_CASE("safetensors: load_params reports a wrong shape and changes nothing") {
    SmallModel saved({4, 3});
    saved.fill(1.0f);
    io::SafetensorsFile file = io::parse_safetensors(io::serialize_safetensors(saved.list, {}), "weights/vae.safetensors");
    SmallModel loaded;
    loaded.fill(2.0f);
    const nn::Matrix before = loaded.bias.value;
    std::string m;
    try {
        io::load_params(file, loaded.list);
    } catch (const io::SafetensorsError& e) {
        m = e.what();
    }
    CHECK_HAS(m, "weights/vae.safetensors: tensor layer.0.weight has shape [4, 3], expected [3, 4]");
    CHECK(loaded.bias.value == before);  // all checks run before any copy
}

TEST_CASE("safetensors: load_params rejects extra tensors unless allowed") {
    SmallModel saved;
    saved.fill(0.5f);
    nn::Param extra;
    nn::param_init(extra, "extra.bias", {2}, 1, 2);
    saved.list.add(extra);
    io::SafetensorsFile file = io::parse_safetensors(io::serialize_safetensors(saved.list, {}), kLabel);
    SmallModel loaded;
    CHECK_THROWS_WITH_AS(io::load_params(file, loaded.list), doctest::Contains("unexpected tensor extra.bias [2]"),
                         io::SafetensorsError);
    io::LoadOptions options;
    options.allow_extra = true;
    io::load_params(file, loaded.list, options);
    CHECK(loaded.weight.value == saved.weight.value);
}

TEST_CASE("safetensors: load_params lists every problem at once") {
    SmallModel saved({4, 3});
    nn::Param extra;
    nn::param_init(extra, "extra", {1}, 1, 1);
    nn::ParamList list;
    list.add(saved.weight);
    list.add(extra);
    io::SafetensorsFile file = io::parse_safetensors(io::serialize_safetensors(list, {}), kLabel);
    SmallModel loaded;
    std::string m;
    try {
        io::load_params(file, loaded.list);
    } catch (const io::SafetensorsError& e) {
        m = e.what();
    }
    CHECK_HAS(m, "4 problems");
    CHECK_HAS(m, "tensor layer.0.weight has shape [4, 3], expected [3, 4]");
    CHECK_HAS(m, "tensor layer.0.bias is missing");
    CHECK_HAS(m, "tensor scale is missing");
    CHECK_HAS(m, "unexpected tensor extra");
}

TEST_CASE("safetensors: serialize rejects inconsistent parameters") {
    nn::Param a, b;
    nn::param_init(a, "w", {2, 3}, 2, 3);
    nn::param_init(b, "w", {2, 3}, 2, 3);
    nn::ParamList dup;
    dup.add(a);
    dup.add(b);
    CHECK_THROWS_WITH_AS(io::serialize_safetensors(dup, {}), doctest::Contains("duplicate parameter name w"),
                         io::SafetensorsError);
    nn::Param wrong;
    nn::param_init(wrong, "v", {5}, 1, 4);
    nn::ParamList bad;
    bad.add(wrong);
    CHECK_THROWS_WITH_AS(io::serialize_safetensors(bad, {}), doctest::Contains("parameter v has shape [5]"),
                         io::SafetensorsError);
}

TEST_CASE("safetensors: describe lists tensors, dtypes, shapes, sizes and metadata") {
    SmallModel model;
    io::SafetensorsFile file =
        io::parse_safetensors(io::serialize_safetensors(model.list, {{"model", "gan"}}, io::Dtype::F16), "gan.safetensors");
    const std::string text = io::describe(file);
    CHECK_HAS(text, "gan.safetensors: 3 tensors, 16 elements, 32 data bytes");
    CHECK_HAS(text, "model = gan");
    CHECK_HAS(text, "layer.0.weight");
    CHECK_HAS(text, "F16  [3, 4]");
    CHECK_HAS(text, "24 bytes");
}

TEST_CASE("safetensors: save and read through a file") {
    const std::string path = "genlab-test-tmp-roundtrip.safetensors";
    SmallModel saved;
    saved.fill(0.25f);
    io::save_safetensors(path, saved.list, {{"k", "v"}});
    io::SafetensorsFile file = io::read_safetensors(path);
    std::remove(path.c_str());
    CHECK(file.source == path);
    CHECK(file.metadata.at("k") == "v");
    SmallModel loaded;
    io::load_params(file, loaded.list);
    CHECK(loaded.weight.value == saved.weight.value);
    CHECK_THROWS_WITH_AS(io::read_safetensors("genlab-test-tmp-does-not-exist.safetensors"),
                         doctest::Contains("genlab-test-tmp-does-not-exist.safetensors: cannot open"),
                         io::SafetensorsError);
}

TEST_CASE("safetensors: deeply nested or huge headers fail without recursion") {
    const std::string deep = R"({"w":{"dtype":"F32","shape":)" + std::string(200000, '[') +
                             std::string(200000, ']') + R"(,"data_offsets":[0,0]}})";
    std::string m = parse_error(raw_file(deep, {}));
    CHECK_HAS(m, "tensor w");
    CHECK_HAS(m, "[[...]]");
    std::string unclosed = parse_error(raw_file(std::string(300000, '['), {}));
    CHECK_HAS(unclosed, "not valid JSON");
}

TEST_CASE("safetensors: every truncation and random corruption fails cleanly") {
    SmallModel model;
    model.fill(0.1f);
    const std::vector<uint8_t> good = io::serialize_safetensors(model.list, {{"a", "b"}}, io::Dtype::F16);
    int rejected = 0;
    for (size_t len = 0; len < good.size(); ++len) {
        std::vector<uint8_t> cut(good.begin(), good.begin() + ptrdiff_t(len));
        try {
            io::parse_safetensors(cut, kLabel);
        } catch (const io::SafetensorsError&) {
            ++rejected;
        }
    }
    CHECK(rejected == int(good.size()));  // no prefix of a file is itself a valid file here
    std::mt19937 rng(1234);
    for (int trial = 0; trial < 3000; ++trial) {
        std::vector<uint8_t> bad = good;
        const int flips = 1 + int(rng() % 3);
        for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = uint8_t(rng());
        try {
            io::SafetensorsFile file = io::parse_safetensors(bad, kLabel);
            for (const io::TensorInfo& t : file.tensors) (void)file.read_f32(t);
            SmallModel target;
            io::load_params(file, target.list);
        } catch (const io::SafetensorsError&) {
        }
    }
}
